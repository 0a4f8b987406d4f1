import PgClient

/// What scoring one job produced, ready to be written on completion.
package struct ScoredJob: Sendable {
    package let job: ClaimedJob
    package let timestamps: [PostgresTimestamp]
    package let scores: [Double]
    package let startedAt: PostgresTimestamp
    package let durationMilliseconds: Double

    package init(job: ClaimedJob, timestamps: [PostgresTimestamp], scores: [Double], startedAt: PostgresTimestamp, durationMilliseconds: Double) {
        self.job = job
        self.timestamps = timestamps
        self.scores = scores
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
    }

    /// Readings flagged: a decision value of zero or less.
    package var anomalies: Int { scores.lazy.filter { $0 <= 0 }.count }
}
