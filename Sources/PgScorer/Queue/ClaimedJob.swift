import PgClient

/// One attempt at a job, as claimed by this worker: the fence is `(jobID, attempt)`.
struct ClaimedJob: Sendable, Hashable {
    let jobID: Int64
    let seriesID: Int64
    let modelID: Int64
    let windowStart: PostgresTimestamp
    let windowEnd: PostgresTimestamp
    let attempt: Int16
    let maxAttempts: Int16
    /// When the claim happened, by the database clock.
    let claimedAt: PostgresTimestamp
}

/// What scoring one job produced, ready to be written on completion.
struct ScoredJob: Sendable {
    let job: ClaimedJob
    let timestamps: [PostgresTimestamp]
    let scores: [Double]
    let startedAt: PostgresTimestamp
    let durationMilliseconds: Double

    var anomalies: Int { scores.lazy.filter { $0 <= 0 }.count }
}

/// A job's place in claim order, (priority, run_at, job_id): where a slot's next
/// claim can resume.
struct ClaimKey: Sendable, Comparable {
    let priority: Int16
    let runAt: PostgresTimestamp
    let jobID: Int64

    static func < (a: ClaimKey, b: ClaimKey) -> Bool {
        (a.priority, a.runAt, a.jobID) < (b.priority, b.runAt, b.jobID)
    }
}

/// What one claim statement got.
struct Claim: Sendable {
    var jobs: [ClaimedJob]
    /// The largest key among the due jobs claimed (reclaimed leases excluded): a
    /// resuming claim starts after it. Nil when no due job was claimed.
    var lastKey: ClaimKey?
}
