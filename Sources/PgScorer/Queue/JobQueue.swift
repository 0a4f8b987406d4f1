import Foundation
import PgClient

/// The job queue as seen by one worker connection: claim, fail, renew and release, each
/// one statement, and complete, one transaction (see `JobQueries`).
struct JobQueue: Sendable {
    let connection: PostgresConnection
    let workerID: String

    /// Claims up to `limit` due jobs (and expired leases) with a lease of `lease`.
    func claim(limit: Int, lease: Duration) async throws -> [ClaimedJob] {
        try await claim(limit: limit, lease: lease, resumingAfter: nil).jobs
    }

    /// Claims up to `limit` due jobs with a lease of `lease`: after `key` in claim order
    /// (no expired leases), or from the front when `key` is nil (expired leases too).
    func claim(limit: Int, lease: Duration, resumingAfter key: ClaimKey?) async throws -> Claim {
        let query = if let key {
            JobQueries.claimResuming.bind(limit, workerID, lease.seconds, key.priority, key.runAt, key.jobID)
        } else {
            JobQueries.claim.bind(limit, workerID, lease.seconds)
        }
        var claim = Claim(jobs: [], lastKey: nil)
        for row in try await connection.query(query) {
            let job = ClaimedJob(
                jobID: try row.decode(0), seriesID: try row.decode(1), modelID: try row.decode(2),
                windowStart: try row.decode(3), windowEnd: try row.decode(4), attempt: try row.decode(5),
                maxAttempts: try row.decode(6), claimedAt: try row.decode(7))
            claim.jobs.append(job)
            if try row.decode(10) as Bool {
                let key = ClaimKey(priority: try row.decode(8), runAt: try row.decode(9), jobID: job.jobID)
                claim.lastKey = max(claim.lastKey ?? key, key)
            }
        }
        return claim
    }

    /// Completes scored attempts with their run logs and predictions, all in one
    /// transaction. Returns the ids that completed; the others had lost their lease (or
    /// were cancelled) and wrote nothing.
    func complete(_ results: [ScoredJob]) async throws -> Set<Int64> {
        guard !results.isEmpty else { return [] }
        let finish = JobQueries.finish.bind(
            results.map(\.job.jobID), results.map(\.job.attempt), workerID, results.map(\.startedAt),
            results.map { Int32($0.scores.count) }, results.map { Int32($0.anomalies) }, results.map(\.durationMilliseconds))
        if results.allSatisfy({ $0.scores.isEmpty }) {
            // Empty windows: nothing to copy, the one statement is its own transaction.
            return Set(try await connection.query(finish).single().decode(0) as [Int64])
        }
        var attempt = 1
        while true {
            do {
                return try await connection.transaction { connection in
                    let completed = Set(try await connection.query(finish).single().decode(0) as [Int64])
                    let written = results.filter { completed.contains($0.job.jobID) && !$0.scores.isEmpty }
                    if !written.isEmpty {
                        var encoder = PostgresBinaryCopyEncoder()
                        encoder.appendHeader()
                        Self.appendPredictions(of: written, to: &encoder)
                        encoder.appendTrailer()
                        try await connection.copyFrom(JobQueries.copyPredictions, name: "jobs.copy_predictions") { writer in
                            try await writer.write(encoder.take())
                        }
                    }
                    return completed
                }
            } catch let error as PostgresError where error.sqlState == SQLState.uniqueViolation && attempt < 3 {
                // A concurrent job of an overlapping window committed some of the same keys
                // after our DELETE looked; the next try's DELETE sees and replaces them.
                attempt += 1
            }
        }
    }

    /// Appends the COPY rows of `results`' predictions, one per (series, timestamp,
    /// model): where jobs of the batch overlap, the higher job id wins.
    static func appendPredictions(of results: [ScoredJob], to encoder: inout PostgresBinaryCopyEncoder) {
        func append(_ job: ClaimedJob, _ timestamp: PostgresTimestamp, _ score: Double) {
            encoder.beginRow(fieldCount: 6)
            encoder.append(job.seriesID)
            encoder.append(timestamp)
            encoder.append(job.modelID)
            encoder.append(score)
            encoder.append(score <= 0)
            encoder.append(job.jobID)
        }
        var jobsPerKey: [SeriesModel: Int] = [:]
        for result in results { jobsPerKey[SeriesModel(result.job), default: 0] += 1 }
        var overlapping: [SeriesModel: [PostgresTimestamp: (job: ClaimedJob, score: Double)]] = [:]
        for result in results {
            let key = SeriesModel(result.job)
            if jobsPerKey[key] == 1 {
                for (timestamp, score) in zip(result.timestamps, result.scores) { append(result.job, timestamp, score) }
                continue
            }
            for (timestamp, score) in zip(result.timestamps, result.scores) {
                if let kept = overlapping[key]?[timestamp], kept.job.jobID > result.job.jobID { continue }
                overlapping[key, default: [:]][timestamp] = (result.job, score)
            }
        }
        for byTimestamp in overlapping.values {
            for (timestamp, kept) in byTimestamp { append(kept.job, timestamp, kept.score) }
        }
    }

    private struct SeriesModel: Hashable {
        let seriesID: Int64, modelID: Int64
        init(_ job: ClaimedJob) { (seriesID, modelID) = (job.seriesID, job.modelID) }
    }

    /// Records a failed attempt; returns the job's new state, or nil if the lease was lost.
    func fail(
        _ job: ClaimedJob, error: String, retryAfter seconds: Double, permanent: Bool, startedAt: PostgresTimestamp,
        durationMilliseconds: Double
    ) async throws -> String? {
        let rows = try await connection.query(
            JobQueries.fail.bind(
                job.jobID, job.attempt, error, seconds, permanent, workerID, startedAt, durationMilliseconds))
        return try rows.first?.decode(0)
    }

    /// Logs an attempt whose result was refused by the fence.
    func recordLostAttempt(_ job: ClaimedJob, startedAt: PostgresTimestamp) async throws {
        try await connection.execute(JobQueries.recordLostAttempt.bind(job.jobID, job.attempt, workerID, startedAt))
    }

    /// Renews the leases of `jobs`; returns the ids still held.
    func renewLeases(_ jobs: [ClaimedJob], lease: Duration) async throws -> Set<Int64> {
        guard !jobs.isEmpty else { return [] }
        let rows = try await connection.query(JobQueries.renewLeases.bind(jobs.map(\.jobID), jobs.map(\.attempt), lease.seconds))
        return Set(try rows.map { try $0.decode(0) as Int64 })
    }

    /// Hands unstarted attempts back to the queue without using up an attempt.
    func release(_ jobs: [ClaimedJob]) async throws -> Int {
        guard !jobs.isEmpty else { return 0 }
        return try await connection.query(JobQueries.release.bind(jobs.map(\.jobID), jobs.map(\.attempt))).count
    }

    func pendingCount() async throws -> Int {
        try await connection.query(JobQueries.pendingCount.bind()).single().decode(0)
    }
}

extension Duration {
    /// The duration in seconds, as a Double.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
