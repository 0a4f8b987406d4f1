import PgClient

/// Writes the predictions of completed jobs inside their completion transaction: first
/// the DELETE of the predictions their windows replace (a re-scored reading keeps one
/// row per model), then one binary COPY of the new ones. A window without readings
/// writes and removes nothing, so predictions outlive readings that retention removed.
struct PredictionWriter {
    let connection: PostgresConnection

    /// One model's scores of one job's window: the champion's, or the challenger's.
    struct Scores {
        let job: ClaimedJob
        let modelID: Int64
        let timestamps: [PostgresTimestamp]
        let scores: [Double]
    }

    /// The champion's scores of each result, and the challenger's where it shadow-scored.
    static func scores(of results: [ScoredJob]) -> [Scores] {
        results.flatMap { result -> [Scores] in
            var sets = [Scores(job: result.job, modelID: result.modelID, timestamps: result.timestamps, scores: result.scores)]
            if let shadow = result.shadow {
                sets.append(Scores(job: result.job, modelID: shadow.modelID, timestamps: result.timestamps, scores: shadow.scores))
            }
            return sets
        }
    }

    func write(_ results: [ScoredJob]) async throws {
        let written = Self.scores(of: results).filter { !$0.scores.isEmpty }
        guard !written.isEmpty else { return }
        try await connection.execute(
            PredictionQueries.deleteReplaced.bind(
                written.map(\.job.seriesID), written.map(\.modelID), written.map(\.job.windowStart), written.map(\.job.windowEnd)))
        var encoder = PostgresBinaryCopyEncoder()
        encoder.appendHeader()
        Self.appendRows(of: written, to: &encoder)
        encoder.appendTrailer()
        try await connection.copyFrom(PredictionQueries.copyIn, name: "predictions.copy_in") { writer in
            try await writer.write(encoder.take())
        }
    }

    /// Appends the COPY rows of `sets`, one per (series, timestamp, model): where jobs
    /// of the batch overlap, the higher job id wins.
    static func appendRows(of sets: [Scores], to encoder: inout PostgresBinaryCopyEncoder) {
        func append(_ job: ClaimedJob, _ modelID: Int64, _ timestamp: PostgresTimestamp, _ score: Double) {
            encoder.beginRow(fieldCount: 6)
            encoder.append(job.seriesID)
            encoder.append(timestamp)
            encoder.append(modelID)
            encoder.append(score)
            encoder.append(score <= 0)
            encoder.append(job.jobID)
        }
        var setsPerKey: [SeriesModel: Int] = [:]
        for set in sets { setsPerKey[SeriesModel(set), default: 0] += 1 }
        var overlapping: [SeriesModel: [PostgresTimestamp: (job: ClaimedJob, score: Double)]] = [:]
        for set in sets {
            let key = SeriesModel(set)
            if setsPerKey[key] == 1 {
                for (timestamp, score) in zip(set.timestamps, set.scores) { append(set.job, set.modelID, timestamp, score) }
                continue
            }
            for (timestamp, score) in zip(set.timestamps, set.scores) {
                if let kept = overlapping[key]?[timestamp], kept.job.jobID > set.job.jobID { continue }
                overlapping[key, default: [:]][timestamp] = (set.job, score)
            }
        }
        for (key, byTimestamp) in overlapping {
            for (timestamp, kept) in byTimestamp { append(kept.job, key.modelID, timestamp, kept.score) }
        }
    }

    private struct SeriesModel: Hashable {
        let seriesID: Int64, modelID: Int64
        init(_ set: Scores) { (seriesID, modelID) = (set.job.seriesID, set.modelID) }
    }
}
