import PgClient

/// Writes the predictions of completed jobs inside their completion transaction: first
/// the DELETE of the predictions their windows replace (a re-scored reading keeps one
/// row per model), then one binary COPY of the new ones. A window without readings
/// writes and removes nothing, so predictions outlive readings that retention removed.
struct PredictionWriter {
    let connection: PostgresConnection

    func write(_ results: [ScoredJob]) async throws {
        let written = results.filter { !$0.scores.isEmpty }
        guard !written.isEmpty else { return }
        try await connection.execute(
            PredictionQueries.deleteReplaced.bind(
                written.map(\.job.seriesID), written.map(\.job.modelID), written.map(\.job.windowStart), written.map(\.job.windowEnd)))
        var encoder = PostgresBinaryCopyEncoder()
        encoder.appendHeader()
        Self.appendRows(of: written, to: &encoder)
        encoder.appendTrailer()
        try await connection.copyFrom(PredictionQueries.copyIn, name: "predictions.copy_in") { writer in
            try await writer.write(encoder.take())
        }
    }

    /// Appends the COPY rows of `results`, one per (series, timestamp, model): where jobs
    /// of the batch overlap, the higher job id wins.
    static func appendRows(of results: [ScoredJob], to encoder: inout PostgresBinaryCopyEncoder) {
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
}
