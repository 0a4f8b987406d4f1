import Kernels
import PgClient

/// Model versions per series: adds them (creating the series if new), activates one,
/// and reads them back. Old versions stay for audit.
package struct ModelStore: Sendable {
    package let connection: PostgresConnection

    package init(connection: PostgresConnection) { self.connection = connection }

    /// What a new version becomes: the series' champion (`active`), its challenger
    /// (shadow-scored beside the champion until promoted), or just a stored version.
    package enum Role: String, Sendable, Encodable {
        case champion, challenger, stored
    }

    /// A stored model version.
    package struct StoredModel: Sendable, Equatable {
        package let modelID: Int64
        package let seriesID: Int64
        package let version: Int
        package let role: Role
        package let health: ModelHealth
        package var active: Bool { role == .champion }
    }

    /// Adds `model` as the next version for (device, sensor), creating the series if it
    /// is new, with its health (`health`, or checked here on probes), in the `role` asked
    /// for: a champion replaces the active version — unless its health is `fail` and not
    /// `force`d: such a model is stored and left inactive; a challenger replaces the
    /// series' challenger, and becomes the champion instead when the series has none.
    package func add(
        _ model: OneClassSVM, device: String, sensor: String, source: String, paramsJSON: String = "{}",
        trainingRows: Int? = nil, fitSeconds: Double? = nil, role: Role = .champion, force: Bool = false, health: ModelHealth? = nil,
        trainingData: [Double]? = nil
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
            return try await ModelStore(connection: connection).add(
                model, seriesID: seriesID, source: source, paramsJSON: paramsJSON, trainingRows: trainingRows, fitSeconds: fitSeconds,
                role: role, force: force, health: health, trainingData: trainingData)
        }
    }

    /// Adds `model` as the next version of the existing series `seriesID` (training,
    /// which knows its series), in one statement, inside the connection's transaction
    /// if it is in one (a training job's completion stores its model this way). The
    /// database decides the role (`pgscorer.store_model_version`): a challenger of a
    /// series without a champion becomes the champion; a champion that failed its check
    /// is only stored unless `force`; the champion or challenger it replaces steps down.
    package func add(
        _ model: OneClassSVM, seriesID: Int64, source: String, paramsJSON: String, trainingRows: Int?, fitSeconds: Double?,
        role: Role, force: Bool, health: ModelHealth?, trainingData: [Double]?
    ) async throws -> StoredModel {
        let statistics = Self.trainingStatistics(model, trainingData: trainingData)
        let health = health ?? ModelHealth.check(model)
        let row = try await connection.query(
            ModelQueries.storeVersion.bind(
                seriesID, model.kernel.rawValue, Int16(model.featureCount), Int32(model.supportVectorCount),
                PostgresJSONB(paramsJSON), PostgresBytes(model.encoded()), source, trainingRows.map(Int32.init), fitSeconds,
                role.rawValue, force, health.verdict.rawValue, PostgresJSONB(Self.reasonsJSON(health.reasons)), statistics.map(PostgresJSONB.init))
        ).single()
        let stored: String = try row.decode("role")
        guard let storedRole = Role(rawValue: stored) else {
            throw PgScorerError(.environment, "the database stored the model version as '\(stored)', a role this pgscorer does not know (a newer schema?)")
        }
        return StoredModel(
            modelID: try row.decode("model_id"), seriesID: seriesID, version: try row.decode("version"), role: storedRole, health: health)
    }

    /// Per-feature mean and standard deviation of the training data as JSON
    /// (`models.training_stats`): from the data when given, else from a StandardScaler
    /// (which states them), else none.
    static func trainingStatistics(_ model: OneClassSVM, trainingData: [Double]?) -> String? {
        let d = model.featureCount
        var mean = [Double](repeating: 0, count: d), std = [Double](repeating: 0, count: d)
        if let trainingData, trainingData.count >= 2 * d {
            let n = Double(trainingData.count / d)
            for (index, value) in trainingData.enumerated() { mean[index % d] += value / n }
            for (index, value) in trainingData.enumerated() {
                let delta = value - mean[index % d]
                std[index % d] += delta * delta / n
            }
            std = std.map { $0.squareRoot() }
        } else if case .standard(let scalerMean, let scale)? = model.scaler {
            (mean, std) = (scalerMean, scale)
        } else {
            return nil
        }
        func array(_ values: [Double]) -> String { "[" + values.map { JSONValue.number($0, text: "\($0)").serialized }.joined(separator: ",") + "]" }
        return "{\"mean\": \(array(mean)), \"std\": \(array(std))}"
    }

    /// The reasons as the JSON array stored in `models.health_reasons`.
    static func reasonsJSON(_ reasons: [String]) -> String {
        "[" + reasons.map { JSONValue.string($0).serialized }.joined(separator: ",") + "]"
    }

    /// Makes model `modelID` the active version of its series; one whose health check
    /// failed only when `force`d.
    package func activate(_ modelID: Int64, force: Bool = false) async throws {
        do {
            _ = try await connection.query(ModelQueries.activate.bind(modelID, force))
        } catch let error as PostgresError where error.sqlState == SQLState.noDataFound {
            throw PgScorerError(.notFound, error.message)
        } catch let error as PostgresError where error.sqlState == SQLState.checkViolation {
            throw PgScorerError(.invalidInput, error.message + "; --force activates it anyway")
        }
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
    /// The series' challenger: shadow-scored beside the champion until promoted.
    package let challenger: Bool
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
    /// ok, warn or fail (nil: never checked), with the reasons as a JSON array.
    package let health: String?
    package let healthReasons: String

    init(row: PostgresRow) throws {
        modelID = try row.decode("model_id")
        device = try row.decode("device")
        sensor = try row.decode("sensor")
        version = try row.decode("version")
        active = try row.decode("active")
        challenger = try row.decode("challenger")
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
        health = try row.decode("health")
        healthReasons = try row.decode("health_reasons")
    }

    private enum CodingKeys: String, CodingKey {
        case modelID, device, sensor, version, active, challenger, kernel, features, supportVectors, source, params, checksum, payloadBytes,
            trainingRows, fitSeconds, createdAt, health, healthReasons
    }

    /// As its fields, with `params` and `health_reasons` as the JSON they hold, not as text.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(modelID, forKey: .modelID)
        try container.encode(device, forKey: .device)
        try container.encode(sensor, forKey: .sensor)
        try container.encode(version, forKey: .version)
        try container.encode(active, forKey: .active)
        try container.encode(challenger, forKey: .challenger)
        try container.encode(kernel, forKey: .kernel)
        try container.encode(features, forKey: .features)
        try container.encode(supportVectors, forKey: .supportVectors)
        try container.encode(source, forKey: .source)
        try container.encode(Self.json(params), forKey: .params)
        try container.encode(checksum, forKey: .checksum)
        try container.encode(payloadBytes, forKey: .payloadBytes)
        try container.encode(trainingRows, forKey: .trainingRows)
        try container.encode(fitSeconds, forKey: .fitSeconds)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(health, forKey: .health)
        try container.encode(Self.json(healthReasons), forKey: .healthReasons)
    }

    /// JSON text as its value (text that does not parse stays a string).
    static func json(_ text: String) -> JSONValue { (try? JSONValue.parse(Array(text.utf8))) ?? .string(text) }
}
