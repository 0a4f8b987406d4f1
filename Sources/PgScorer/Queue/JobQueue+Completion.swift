import PgClient

extension JobQueue {
    /// Completes scored attempts with their run logs and predictions, all in one
    /// transaction: `JobQueries.finish` completes the attempts that still hold their
    /// lease (the `(job_id, attempt)` fence), then `PredictionWriter` writes only theirs.
    /// Returns the ids that completed; the others had lost their lease (or were
    /// cancelled) and wrote nothing.
    package func complete(_ results: [ScoredJob]) async throws -> Set<Int64> {
        guard !results.isEmpty else { return [] }
        let finish = JobQueries.finish.bind(
            results.map(\.job.jobID), results.map(\.job.attempt), workerID, results.map(\.startedAt),
            results.map { Int32($0.scores.count) }, results.map { Int32($0.anomalies) }, results.map(\.durationMilliseconds))
        if results.allSatisfy({ $0.scores.isEmpty }) {
            // Empty windows write no predictions: the one statement is its own transaction.
            return Set(try await connection.query(finish).single().decode(0) as [Int64])
        }
        var attempt = 1
        while true {
            do {
                return try await connection.transaction { connection in
                    let completed = Set(try await connection.query(finish).single().decode(0) as [Int64])
                    try await PredictionWriter(connection: connection).write(results.filter { completed.contains($0.job.jobID) })
                    return completed
                }
            } catch let error as PostgresError where error.raisedSQLState == SQLState.uniqueViolation && attempt < 3 {
                // A concurrent job of an overlapping window committed some of the same keys
                // after our DELETE looked; the next try's DELETE sees and replaces them.
                attempt += 1
            }
        }
    }
}

extension JobQueue {
    /// Completes a training attempt in one transaction: `JobQueries.finish` (the fence; no
    /// readings scored, so the run log's scoring figures stay the champion's — the model
    /// keeps its training rows), then `store` — the model version — only
    /// if the attempt still held its lease. Returns what `store` returned, or nil when
    /// the attempt had lost its lease (nothing was stored).
    package func completeTraining<T: Sendable>(
        _ job: ClaimedJob, durationMilliseconds: Double,
        store: (PostgresConnection) async throws -> T
    ) async throws -> T? {
        let finish = JobQueries.finish.bind(
            [job.jobID], [job.attempt], workerID, [job.claimedAt], [Int32(0)], [Int32(0)], [durationMilliseconds])
        return try await connection.transaction { connection in
            let completed: [Int64] = try await connection.query(finish).single().decode(0)
            guard completed.contains(job.jobID) else { return nil }
            return try await store(connection)
        }
    }
}
