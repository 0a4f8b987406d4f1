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
