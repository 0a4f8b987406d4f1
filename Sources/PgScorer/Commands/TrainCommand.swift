import ArgumentParser
import Foundation
import Kernels
import Logging
import PgClient

/// `pgscorer train`: fit a new model version for each selected series from its readings.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a one-class SVM for every selected series from its stored readings (no Python needed).",
        discussion: """
            Defaults: --kernel rbf --nu 0.1 --gamma scale --scaler none (as scikit-learn's OneClassSVM defaults, nu aside).
            Each fit is libsvm's algorithm, so it matches scikit-learn's fit on the same data. A new version is stored per
            series and activated unless --no-activate; older versions are kept. Series with fewer than --min-readings
            readings are skipped with a note. Training reads each series in its own short query and never holds locks.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Device name or SQL LIKE pattern.") var device = "%"
    @Option(help: "Sensor name or SQL LIKE pattern.") var sensor = "%"
    @Option(help: "Readings from (inclusive); default: the first.") var since: String?
    @Option(help: "Readings until (exclusive); default: the last.") var until: String?
    @Option(help: "rbf, linear, poly or sigmoid.") var kernel = "rbf"
    @Option(help: "Upper bound on the fraction of training readings treated as outliers, in (0, 1].") var nu = 0.1
    @Option(help: "A number, scale (1/(n_features·Var X)) or auto (1/n_features).") var gamma = "scale"
    @Option(help: "poly/sigmoid constant.") var coef0 = 0.0
    @Option(help: "poly degree.") var degree = 3
    @Option(help: "none, standard or minmax: a scaler fitted first, as in a Pipeline.") var scaler = "none"
    @Option(name: .customLong("min-readings"), help: "Skip series with fewer readings.") var minReadings = 10
    @Option(help: "Series trained at once. Default: the number of cores.") var parallel = ProcessInfo.processInfo.activeProcessorCount
    @Flag(name: .customLong("no-activate"), help: "Store the new versions without activating them.") var noActivate = false

    func validate() throws {
        guard OneClassSVM.Kernel(rawValue: kernel) != nil else { throw ValidationError("--kernel must be rbf, linear, poly or sigmoid") }
        guard nu > 0, nu <= 1 else { throw ValidationError("--nu must be in (0, 1]") }
        guard gamma == "scale" || gamma == "auto" || (Double(gamma).map { $0 > 0 && $0.isFinite } ?? false) else {
            throw ValidationError("--gamma must be a positive number, scale or auto")
        }
        guard OneClassSVMTrainer.Scaling(rawValue: scaler) != nil else { throw ValidationError("--scaler must be none, standard or minmax") }
        guard parallel >= 1, minReadings >= 1 else { throw ValidationError("--parallel and --min-readings must be at least 1") }
    }

    var trainer: OneClassSVMTrainer {
        var trainer = OneClassSVMTrainer()
        trainer.kernel = OneClassSVM.Kernel(rawValue: kernel)!
        trainer.nu = nu
        trainer.gamma = gamma == "scale" ? .scale : gamma == "auto" ? .auto : .value(Double(gamma)!)
        trainer.coef0 = coef0
        trainer.degree = degree
        trainer.scaling = OneClassSVMTrainer.Scaling(rawValue: scaler)!
        return trainer
    }

    func run() async throws {
        let logger = global.bootstrapLogging()
        let url = try global.resolvedDatabaseURL(logger: logger)
        let connection = try await global.connectCurrent(logger: logger, url: url)
        let series = try await connection.query(
            "SELECT series_id, device, sensor FROM pgscorer.series WHERE device LIKE $1 AND sensor LIKE $2 ORDER BY device, sensor",
            device, sensor)
        let targets = try series.map { SeriesTraining.Target(seriesID: try $0.decode(0), device: try $0.decode(1), sensor: try $0.decode(2)) }
        await connection.close()
        let training = SeriesTraining(
            databaseURL: url, trainer: trainer, since: since, until: until, minReadings: minReadings, activate: !noActivate,
            logger: logger)
        let summary = try await training.run(targets, parallel: parallel, progress: isatty(STDERR_FILENO) == 1)
        print("trained \(summary.trained) model(s), skipped \(summary.skipped.count) series, in \(String(format: "%.1f", summary.seconds)) s")
        for (name, reason) in summary.skipped.prefix(20) { print("  skipped \(name): \(reason)") }
    }
}

/// Trains many series in parallel, each on its own connection, storing each result
/// at once (short transactions only).
struct SeriesTraining: Sendable {
    let databaseURL: String
    let trainer: OneClassSVMTrainer
    let since: String?
    let until: String?
    let minReadings: Int
    let activate: Bool
    let logger: Logger

    struct Target: Sendable {
        let seriesID: Int64
        let device: String
        let sensor: String
    }

    struct Summary: Sendable {
        var trained = 0
        var skipped: [(String, String)] = []
        var seconds = 0.0
    }

    enum Outcome: Sendable {
        case trained
        case skipped(String, String)
    }

    func run(_ targets: [Target], parallel: Int, progress: Bool) async throws -> Summary {
        let started = ContinuousClock.now
        var summary = Summary()
        var connections: [PostgresConnection] = []
        for _ in 0..<min(parallel, max(targets.count, 1)) {
            connections.append(try await PostgresConnection.connect(databaseURL, applicationName: "pgscorer train", logger: logger))
        }
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
                case .skipped(let name, let reason): summary.skipped.append((name, reason))
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
        if progress { FileHandle.standardError.write(Data("\n".utf8)) }
        for connection in connections { await connection.close() }
        summary.seconds = (ContinuousClock.now - started).seconds
        return summary
    }

    private func train(_ target: Target, on connection: PostgresConnection) async throws -> Outcome {
        let name = "\(target.device)/\(target.sensor)"
        let rows = try await connection.query(
            """
            SELECT features FROM pgscorer.readings
            WHERE series_id = $1 AND ts >= coalesce($2::timestamptz, '-infinity') AND ts < coalesce($3::timestamptz, 'infinity')
            ORDER BY ts
            """, target.seriesID, since, until)
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
        let gammaText: String =
            switch trainer.gamma {
            case .scale: "\"scale\""
            case .auto: "\"auto\""
            case .value(let value): "\(value)"
            }
        let params = """
            {"nu": \(trainer.nu), "gamma": \(gammaText), "gamma_resolved": \(fit.report.resolvedGamma), "scaler": "\(trainer.scaling.rawValue)", \
            "tol": \(trainer.tolerance), "iterations": \(fit.report.iterations)}
            """
        let stored = try await ModelStore(connection: connection).add(
            fit.model, device: target.device, sensor: target.sensor, source: "native", paramsJSON: params,
            trainingRows: rows.count, fitSeconds: seconds, activate: activate)
        logger.debug(
            "trained", metadata: ["series": "\(name)", "model": "\(stored.modelID)", "rows": "\(rows.count)",
                                  "support_vectors": "\(fit.model.supportVectorCount)", "duration": "\(seconds)s"])
        return .trained
    }
}
