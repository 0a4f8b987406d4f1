import PgClient

/// What scoring one job produced, ready to be written on completion.
package struct ScoredJob: Sendable {
    package let job: ClaimedJob
    /// The champion that scored the window.
    package let modelID: Int64
    package let timestamps: [PostgresTimestamp]
    package let scores: [Double]
    package let startedAt: PostgresTimestamp
    package let durationMilliseconds: Double
    /// The challenger's scores of the same readings (shadow scoring), when the series has one.
    package var shadow: Shadow?
    /// Why the challenger could not score the window (the job still completes with the champion's).
    package var shadowProblem: String?

    package struct Shadow: Sendable {
        package let modelID: Int64
        package let scores: [Double]
    }

    package init(
        job: ClaimedJob, modelID: Int64, timestamps: [PostgresTimestamp], scores: [Double], startedAt: PostgresTimestamp,
        durationMilliseconds: Double
    ) {
        self.job = job
        self.modelID = modelID
        self.timestamps = timestamps
        self.scores = scores
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
    }

    /// Readings flagged: a decision value of zero or less.
    package var anomalies: Int { scores.lazy.filter { $0 <= 0 }.count }
}
