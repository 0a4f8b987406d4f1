import Kernels
import PgClient

/// `pgscorer models check`: the health of stored models, recomputed and recorded. The
/// evidence is the training readings of models PgScorer trained (their time range is in
/// the model's params, and they are still stored), probes derived from the model otherwise.
package struct ModelCheck: Sendable {
    package let connection: PostgresConnection

    package init(connection: PostgresConnection) { self.connection = connection }

    /// One checked model.
    package struct Checked: Sendable, Encodable {
        package let modelID: Int64
        package let verdict: String
        package let reasons: [String]
        package let evidence: String
    }

    /// Checks the models `ids` (nil: every model of the selected series) in pages of
    /// 500, recording each verdict; returns them.
    package func run(ids: [Int64]?, selector: SeriesSelector) async throws -> [Checked] {
        var checked: [Checked] = []
        var after: Int64 = 0
        while true {
            let rows = try await connection.query(
                ModelQueries.toCheck.bind(ids, selector.devicePattern, selector.sensorPattern, after, Int32(500)))
            guard !rows.isEmpty else { break }
            var page: [Checked] = []
            for row in rows {
                let modelID: Int64 = try row.decode("model_id")
                after = modelID
                let payload: PostgresBytes = try row.decode("payload")
                guard let model = try? OneClassSVM(encoded: payload.bytes) else {
                    page.append(Checked(modelID: modelID, verdict: "fail", reasons: ["its payload does not decode"], evidence: "none"))
                    continue
                }
                var evidence: [Double]?
                if let from: PostgresTimestamp = try row.decode("trained_from"), let until: PostgresTimestamp = try row.decode("trained_until") {
                    var features: [Double] = []
                    let end = PostgresTimestamp(microsecondsSince2000: until.microsecondsSince2000 + 1)
                    for reading in try await connection.query(ReadingQueries.trainingFeatures.bind(try row.decode("series_id") as Int64, from, end)) {
                        _ = try reading.appendFloat8Array(0, to: &features)
                    }
                    if features.count >= model.featureCount { evidence = features }
                }
                let health = ModelHealth.check(model, trainingData: evidence, nu: try row.decode("nu"))
                page.append(Checked(
                    modelID: modelID, verdict: health.verdict.rawValue, reasons: health.reasons,
                    evidence: health.evidenceIsTrainingData ? "\(health.evidenceCount) readings" : "\(health.evidenceCount) probes"))
            }
            try await connection.execute(
                ModelQueries.recordHealth.bind(page.map(\.modelID), page.map(\.verdict), page.map { ModelStore.reasonsJSON($0.reasons) }))
            checked += page
        }
        if let ids, let missing = Set(ids).subtracting(checked.map(\.modelID)).sorted().first {
            throw PgScorerError(.notFound, "no model \(missing)")
        }
        return checked
    }
}
