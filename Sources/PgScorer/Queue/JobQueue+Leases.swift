import PgClient

extension JobQueue {
    /// Renews the leases of `jobs`; returns the ids still held (the others were
    /// cancelled or taken over).
    package func renewLeases(_ jobs: [ClaimedJob], lease: Duration) async throws -> Set<Int64> {
        guard !jobs.isEmpty else { return [] }
        let rows = try await connection.query(JobQueries.renewLeases.bind(jobs.map(\.jobID), jobs.map(\.attempt), lease.seconds))
        return Set(try rows.map { try $0.decode(0) as Int64 })
    }

    /// Hands unstarted attempts back to the queue without using up an attempt.
    package func release(_ jobs: [ClaimedJob]) async throws -> Int {
        guard !jobs.isEmpty else { return 0 }
        return try await connection.query(JobQueries.release.bind(jobs.map(\.jobID), jobs.map(\.attempt))).count
    }

    /// Logs an attempt whose result was refused by the fence (cancelled or taken over).
    package func recordLostAttempt(_ job: ClaimedJob, startedAt: PostgresTimestamp) async throws {
        try await connection.execute(JobQueries.recordLostAttempt.bind(job.jobID, job.attempt, workerID, startedAt))
    }
}
