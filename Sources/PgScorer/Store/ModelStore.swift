import Kernels
import PgClient

/// Stores models as new versions of their series' model, keeping old versions.
struct ModelStore: Sendable {
    let connection: PostgresConnection

    /// A stored model version.
    struct StoredModel: Sendable, Equatable {
        let modelID: Int64
        let seriesID: Int64
        let version: Int
        let active: Bool
    }

    /// Adds `model` as the next version for (device, sensor), creating the series if it
    /// is new, and makes it the active one unless `activate` is false.
    func add(
        _ model: OneClassSVM, device: String, sensor: String, source: String, paramsJSON: String = "{}",
        trainingRows: Int? = nil, fitSeconds: Double? = nil, activate: Bool = true
    ) async throws -> StoredModel {
        try await connection.transaction { connection in
            let series = try await connection.query(
                """
                WITH inserted AS (
                    INSERT INTO pgscorer.series (device, sensor, n_features) VALUES ($1, $2, $3)
                    ON CONFLICT (device, sensor) DO NOTHING
                    RETURNING series_id, n_features
                )
                SELECT series_id, n_features FROM inserted
                UNION ALL
                SELECT series_id, n_features FROM pgscorer.series WHERE device = $1 AND sensor = $2
                """, device, sensor, Int16(model.featureCount)
            ).first!
            let seriesID: Int64 = try series.decode(0)
            let seriesFeatures: Int = try series.decode(1)
            guard seriesFeatures == model.featureCount else {
                throw ModelStoreError.featureCountMismatch(
                    device: device, sensor: sensor, series: seriesFeatures, model: model.featureCount)
            }
            // Serialise versioning per series.
            _ = try await connection.query("SELECT 1 FROM pgscorer.series WHERE series_id = $1 FOR UPDATE", seriesID)
            if activate {
                try await connection.execute(
                    "UPDATE pgscorer.models SET active = false WHERE series_id = $1 AND active", seriesID)
            }
            let row = try await connection.query(
                """
                INSERT INTO pgscorer.models
                    (series_id, version, kernel, n_features, n_support, params, payload, source, training_rows, fit_seconds,
                     trained_at, active)
                SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5, $6, $7, $8, $9, now(), $10
                FROM pgscorer.models WHERE series_id = $1
                RETURNING model_id, version
                """, seriesID, model.kernel.rawValue, Int16(model.featureCount), Int32(model.supportVectorCount),
                PostgresJSONB(paramsJSON), PostgresBytes(model.encoded()), source, trainingRows.map(Int32.init), fitSeconds, activate
            ).single()
            return StoredModel(modelID: try row.decode(0), seriesID: seriesID, version: try row.decode(1), active: activate)
        }
    }
}

enum ModelStoreError: Error, CustomStringConvertible, Equatable {
    case featureCountMismatch(device: String, sensor: String, series: Int, model: Int)

    var description: String {
        switch self {
        case .featureCountMismatch(let device, let sensor, let series, let model):
            "series \(device)/\(sensor) has \(series) features per reading, but the model expects \(model)"
        }
    }
}
