import PgClient

/// How a slot claims (the claim strategy): resuming after its previous claim, so the
/// index scan does not wade through the entries of jobs claimed since the last vacuum
/// (a long transaction elsewhere can hold thousands back), and from the front, with
/// expired leases, at least every `frontClaimInterval` and whenever resuming finds
/// nothing. A job that lands before a slot's key waits at most that interval.
struct SlotClaims {
    let lease: Duration
    let frontClaimInterval: Duration
    /// The key the next claim resumes after.
    private var resumeAfter: ClaimKey?
    /// When the slot last claimed from the front.
    private var lastFrontClaim: ContinuousClock.Instant?

    init(lease: Duration, frontClaimInterval: Duration) {
        self.lease = lease
        self.frontClaimInterval = frontClaimInterval
    }

    /// Claims up to `limit` jobs, timing the claims that found work.
    mutating func claim(upTo limit: Int, from queue: JobQueue) async throws -> [ClaimedJob] {
        let started = ContinuousClock.now
        let jobs = try await claimJobs(upTo: limit, from: queue)
        // Only claims that found work: an idle slot's empty claims would drown the figures.
        if !jobs.isEmpty {
            ScorerMetrics.phase(.claim).recordInterval(since: started)
            ScorerMetrics.claimBatchSize.record(jobs.count)
        }
        return jobs
    }

    private mutating func claimJobs(upTo limit: Int, from queue: JobQueue) async throws -> [ClaimedJob] {
        if let key = resumeAfter, let front = lastFrontClaim, ContinuousClock.now - front < frontClaimInterval {
            let resumed = try await queue.claim(limit: limit, lease: lease, resumingAfter: key)
            if !resumed.jobs.isEmpty {
                // A short batch means the end is near: look at the front next time.
                resumeAfter = resumed.jobs.count == limit ? resumed.lastKey : nil
                return resumed.jobs
            }
        }
        let front = try await queue.claim(limit: limit, lease: lease, resumingAfter: nil)
        lastFrontClaim = .now
        resumeAfter = front.lastKey
        return front.jobs
    }
}
