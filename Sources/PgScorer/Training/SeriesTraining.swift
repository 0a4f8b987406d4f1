import Foundation
import Kernels
import Logging
import PgClient

/// Trains many series in parallel, each on its own connection, storing each result
/// at once (short transactions only).
package struct SeriesTraining: Sendable {
    let databaseURL: String
    let trainer: OneClassSVMTrainer
    let range: TimeRange
    let minReadings: Int
    /// What each new version becomes (`stored`: `--no-activate`).
    let role: ModelStore.Role
    /// Activate even a model whose health check fails.
    package var force = false
    let logger: Logger

    package init(
        databaseURL: String, trainer: OneClassSVMTrainer, range: TimeRange, minReadings: Int, role: ModelStore.Role, logger: Logger
    ) {
        self.databaseURL = databaseURL
        self.trainer = trainer
        self.range = range
        self.minReadings = minReadings
        self.role = role
        self.logger = logger
    }

    package struct Target: Sendable {
        package let seriesID: Int64
        package let device: String
        package let sensor: String

        /// A row of `SeriesQueries.matching`.
        init(row: PostgresRow) throws {
            seriesID = try row.decode("series_id")
            device = try row.decode("device")
            sensor = try row.decode("sensor")
        }

        /// The series `selector` selects, by name.
        package static func matching(_ selector: SeriesSelector, on connection: PostgresConnection) async throws -> [Target] {
            try await connection.query(SeriesQueries.matching.bind(selector.devicePattern, selector.sensorPattern)).map(Target.init(row:))
        }
    }

    package struct Summary: Sendable, Encodable {
        package var trained = 0
        package var skipped: [Skipped] = []
        /// Trained, but not the champion: its health check failed, or `--no-activate` asked
        /// for a stored version (the reason says which).
        package var notActivated: [Skipped] = []
        package var seconds = 0.0
    }

    /// A series left out, and why.
    package struct Skipped: Sendable, Encodable {
        package let series: String
        package let reason: String
    }

    enum Outcome: Sendable {
        case trained
        case skipped(String, String)
        /// Trained and stored, but left inactive: its health check failed.
        case notActivated(String, String)
    }

    package func run(_ targets: [Target], parallel: Int, progress: Bool) async throws -> Summary {
        let started = ContinuousClock.now
        var summary = Summary()
        var connections: [PostgresConnection] = []
        for _ in 0..<min(parallel, max(targets.count, 1)) {
            connections.append(try await PostgresConnection.connect(databaseURL, applicationName: "pgscorer train", logger: logger))
        }
        do {
            try await withThrowingTaskGroup(of: (Int, Outcome).self) { group in
                var next = 0
                for (slot, _) in connections.enumerated() where next < targets.count {
                    let target = targets[next]
                    let connection = connections[slot]
                    group.addTask { (slot, try await train(target, on: connection)) }
                    next += 1
                }
                var done = 0
                for try await (slot, outcome) in group {
                    done += 1
                    switch outcome {
                    case .trained: summary.trained += 1
                    case .skipped(let name, let reason): summary.skipped.append(Skipped(series: name, reason: reason))
                case .notActivated(let name, let reason):
                    summary.trained += 1
                    summary.notActivated.append(Skipped(series: name, reason: reason))
                    }
                    if progress {
                        let elapsed = (ContinuousClock.now - started).seconds
                        let rate = Double(done) / max(elapsed, 0.001)
                        FileHandle.standardError.write(Data(String(
                            format: "\rtrained %d/%d series, %.1f/s, ETA %.0f s   ", done, targets.count, rate,
                            Double(targets.count - done) / max(rate, 0.001)).utf8))
                    }
                    if next < targets.count {
                        let target = targets[next]
                        let connection = connections[slot]
                        group.addTask { (slot, try await train(target, on: connection)) }
                        next += 1
                    }
                }
            }
        } catch {
            for connection in connections { await connection.close() }
            throw error
        }
        for connection in connections { await connection.close() }
        if progress { FileHandle.standardError.write(Data("\n".utf8)) }
        summary.seconds = (ContinuousClock.now - started).seconds
        return summary
    }

    /// The reason of a version stored inactive because `--no-activate` asked for it.
    package static let storedAsAsked = "stored without activating it (--no-activate)"

    private func train(_ target: Target, on connection: PostgresConnection) async throws -> Outcome {
        let name = "\(target.device)/\(target.sensor)"
        let rows = try await connection.query(ReadingQueries.trainingFeatures.bind(target.seriesID, range.since, range.until))
        guard rows.count >= minReadings else { return .skipped(name, "\(rows.count) readings, fewer than \(minReadings)") }
        var data: [Double] = []
        var featureCount = 0
        for row in rows { featureCount = try row.appendFloat8Array(0, to: &data) }
        let started = ContinuousClock.now
        let fit: (model: OneClassSVM, report: OneClassSVMTrainer.Report)
        do {
            fit = try trainer.fit(data, featureCount: featureCount)
        } catch {
            return .skipped(name, "\(error)")
        }
        let seconds = (ContinuousClock.now - started).seconds
        let params = TrainingParams(
            trainer: trainer, report: fit.report, trainedFrom: try rows.first?.decode(1), trainedUntil: try rows.last?.decode(1))
        let health = ModelHealth.check(fit.model, trainingData: data, nu: trainer.nu)
        let stored = try await ModelStore(connection: connection).add(
            fit.model, seriesID: target.seriesID, source: "native", paramsJSON: params.json, trainingRows: rows.count,
            fitSeconds: seconds, role: role, force: force, health: health, trainingData: data)
        logger.debug(
            "trained", metadata: ["series": "\(name)", "model": "\(stored.modelID)", "rows": "\(rows.count)",
                                  "support_vectors": "\(fit.model.supportVectorCount)", "duration": "\(seconds)s"])
        if role == .stored { return .notActivated(name, Self.storedAsAsked) }
        if role == .champion && !stored.active {
            return .notActivated(name, "its health check failed: " + health.reasons.joined(separator: "; "))
        }
        return .trained
    }
}

/// The training facts stored with a natively trained model (`models.params`).
struct TrainingParams: Encodable {
    let nu: Double
    let gamma: Gamma
    let gammaResolved: Double
    let scaler: String
    let tol: Double
    let iterations: Int
    /// The first and last training reading: where `models check` finds the training data again.
    let trainedFrom: PostgresTimestamp?
    let trainedUntil: PostgresTimestamp?

    /// `scale`, `auto`, or the number given.
    enum Gamma: Encodable {
        case named(String)
        case value(Double)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .named(let name): try container.encode(name)
            case .value(let value): try container.encode(value)
            }
        }
    }

    init(trainer: OneClassSVMTrainer, report: OneClassSVMTrainer.Report, trainedFrom: PostgresTimestamp?, trainedUntil: PostgresTimestamp?) {
        self.trainedFrom = trainedFrom
        self.trainedUntil = trainedUntil
        nu = trainer.nu
        gamma =
            switch trainer.gamma {
            case .scale: .named("scale")
            case .auto: .named("auto")
            case .value(let value): .value(value)
            }
        gammaResolved = report.resolvedGamma
        scaler = trainer.scaling.rawValue
        tol = trainer.tolerance
        iterations = report.iterations
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
