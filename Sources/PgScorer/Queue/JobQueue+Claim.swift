import PgClient

extension JobQueue {
    /// Claims up to `limit` due jobs (and expired leases) with a lease of `lease`.
    package func claim(limit: Int, lease: Duration) async throws -> [ClaimedJob] {
        try await claim(limit: limit, lease: lease, resumingAfter: nil).jobs
    }

    /// Claims up to `limit` due jobs with a lease of `lease`: after `key` in claim order
    /// (no expired leases), or from the front when `key` is nil (expired leases too).
    package func claim(limit: Int, lease: Duration, resumingAfter key: ClaimKey?) async throws -> Claim {
        let query = if let key {
            JobQueries.claimResuming.bind(limit, workerID, lease.seconds, key.priority, key.runAt, key.jobID)
        } else {
            JobQueries.claim.bind(limit, workerID, lease.seconds)
        }
        return try Claim(rows: try await connection.query(query))
    }
}
