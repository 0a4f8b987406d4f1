import Kernels
import PgClient

/// Model versions per series: adds them (creating the series if new), activates one,
/// and reads them back. Old versions stay for audit.
package struct ModelStore: Sendable {
    package let connection: PostgresConnection

    package init(connection: PostgresConnection) { self.connection = connection }

    /// A stored model version.
    package struct StoredModel: Sendable, Equatable {
        package let modelID: Int64
        package let seriesID: Int64
        package let version: Int
        package let active: Bool
    }

    /// Adds `model` as the next version for (device, sensor), creating the series if it
    /// is new, and makes it the active one unless `activate` is false.
    package func add(
        _ model: OneClassSVM, device: String, sensor: String, source: String, paramsJSON: String = "{}",
        trainingRows: Int? = nil, fitSeconds: Double? = nil, activate: Bool = true
    ) async throws -> StoredModel {
        try await connection.transaction { connection in
            let series = try await connection.query(SeriesQueries.findOrCreate.bind(device, sensor, Int16(model.featureCount))).first!
            let seriesID: Int64 = try series.decode("series_id")
            let seriesFeatures: Int = try series.decode("n_features")
            guard seriesFeatures == model.featureCount else {
                throw PgScorerError(
                    .invalidInput,
                    "series \(device)/\(sensor) has \(seriesFeatures) features per reading, but the model expects \(model.featureCount)")
            }
            // Serialise versioning per series.
            _ = try await connection.query(SeriesQueries.lock.bind(seriesID))
            if activate { try await connection.execute(ModelQueries.deactivateSeries.bind(seriesID)) }
            let row = try await connection.query(
                ModelQueries.insertVersion.bind(
                    seriesID, model.kernel.rawValue, Int16(model.featureCount), Int32(model.supportVectorCount),
                    PostgresJSONB(paramsJSON), PostgresBytes(model.encoded()), source, trainingRows.map(Int32.init), fitSeconds,
                    activate)
            ).single()
            return StoredModel(modelID: try row.decode("model_id"), seriesID: seriesID, version: try row.decode("version"), active: activate)
        }
    }

    /// Makes model `modelID` the active version of its series.
    package func activate(_ modelID: Int64) async throws {
        let changed = try await connection.transaction { connection in
            try await connection.execute(ModelQueries.deactivateSiblings.bind(modelID))
            return try await connection.execute(ModelQueries.activate.bind(modelID))
        }
        guard changed == 1 else { throw PgScorerError(.notFound, "no model \(modelID)") }
    }

    /// Versions of the selected series (only active ones if `activeOnly`), by series,
    /// newest first.
    package func versions(_ selector: SeriesSelector, activeOnly: Bool) async throws -> [ModelVersion] {
        try await connection.query(ModelQueries.versions.bind(selector.devicePattern, selector.sensorPattern, activeOnly))
            .map(ModelVersion.init(row:))
    }

    /// Model `modelID` with its decoded payload (or why the payload does not decode).
    package func version(_ modelID: Int64) async throws -> (version: ModelVersion, model: Result<OneClassSVM, ModelError>) {
        guard let row = try await connection.query(ModelQueries.version.bind(modelID)).first else {
            throw PgScorerError(.notFound, "no model \(modelID)")
        }
        let payload: PostgresBytes = try row.decode("payload")
        return (try ModelVersion(row: row), Result { () throws(ModelError) in try OneClassSVM(encoded: payload.bytes) })
    }
}

/// One model version as listings show it (`pgscorer.model_versions`).
package struct ModelVersion: Sendable, Encodable {
    package let modelID: Int64
    package let device: String
    package let sensor: String
    package let version: Int
    package let active: Bool
    package let kernel: String
    package let features: Int
    package let supportVectors: Int
    package let source: String
    /// Training or export facts as JSON text.
    package let params: String
    package let checksum: String
    package let payloadBytes: Int
    package let trainingRows: Int?
    package let fitSeconds: Double?
    package let createdAt: PostgresTimestamp

    init(row: PostgresRow) throws {
        modelID = try row.decode("model_id")
        device = try row.decode("device")
        sensor = try row.decode("sensor")
        version = try row.decode("version")
        active = try row.decode("active")
        kernel = try row.decode("kernel")
        features = try row.decode("n_features")
        supportVectors = try row.decode("n_support")
        source = try row.decode("source")
        params = try row.decode("params")
        checksum = try row.decode("checksum")
        payloadBytes = try row.decode("payload_bytes")
        trainingRows = try row.decode("training_rows")
        fitSeconds = try row.decode("fit_seconds")
        createdAt = try row.decode("created_at")
    }
}
