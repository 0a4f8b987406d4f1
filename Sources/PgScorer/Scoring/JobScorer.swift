import Kernels
import PgClient

/// Scores one claimed job: its model (cached), its window's readings in one query,
/// one batched kernel call.
struct JobScorer: Sendable {
    let models: ModelCache

    func score(_ job: ClaimedJob, on connection: PostgresConnection) async throws -> ScoredJob {
        let started = ContinuousClock.now
        let scorer = try await models.scorer(for: job.modelID, loading: connection)
        let rows = try await connection.query(JobQueries.windowReadings.bind(job.seriesID, job.windowStart, job.windowEnd))
        let featureCount = scorer.model.featureCount
        var timestamps: [PostgresTimestamp] = []
        var features: [Double] = []
        timestamps.reserveCapacity(rows.count)
        features.reserveCapacity(rows.count * featureCount)
        for row in rows {
            let timestamp: PostgresTimestamp = try row.decode(0)
            let count = try row.appendFloat8Array(1, to: &features)
            guard count == featureCount else {
                throw ScoringFailure.permanent(
                    "reading at \(timestamp) of series \(job.seriesID) has \(count) features but model \(job.modelID) expects \(featureCount)")
            }
            timestamps.append(timestamp)
        }
        let scores = try scorer.decisionFunction(features)
        let elapsed = ContinuousClock.now - started
        return ScoredJob(
            job: job, timestamps: timestamps, scores: scores, startedAt: job.claimedAt,
            durationMilliseconds: elapsed.seconds * 1000)
    }
}
