import ArgumentParser
import Foundation
import Kernels
import PgScorer

/// `pgscorer train`: fit a new model version for each selected series from its readings.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a one-class SVM for every selected series from its stored readings (no Python needed).",
        discussion: """
            Defaults: --kernel rbf --nu 0.1 --gamma scale --scaler none (as scikit-learn's OneClassSVM defaults, nu aside). \
            Each fit is libsvm's algorithm, so it matches scikit-learn's fit on the same data. A new version is stored per \
            series and activated unless --no-activate; older versions are kept. Series with fewer than --min-readings \
            readings are skipped with a note. Training reads each series in its own short query and never holds locks.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: SelectionOptions
    @Option(help: "Readings from (inclusive): ISO 8601 (no zone means UTC), a date, now, or a duration ago (7d); default: the first.")
    var since: String?
    @Option(help: "Readings until (exclusive), in the same forms; default: the last.") var until: String?
    @Option(help: "rbf, linear, poly or sigmoid.") var kernel = "rbf"
    @Option(help: "Upper bound on the fraction of training readings treated as outliers, in (0, 1].") var nu = 0.1
    @Option(help: "A number, scale (1/(n_features·Var X)) or auto (1/n_features).") var gamma = "scale"
    @Option(help: "poly/sigmoid constant.") var coef0 = 0.0
    @Option(help: "poly degree.") var degree = 3
    @Option(help: "none, standard or minmax: a scaler fitted first, as in a Pipeline.") var scaler = "none"
    @Option(name: .customLong("min-readings"), help: "Skip series with fewer readings.") var minReadings = 10
    @Option(help: "Series trained at once. Default: the number of cores.") var parallel = ProcessInfo.processInfo.activeProcessorCount
    @Flag(name: .customLong("no-activate"), help: "Store the new versions without activating them.") var noActivate = false
    @Flag(help: "Activate new versions even when their health check fails.") var force = false
    @Option(help: "table or json: how to print the summary.") var format: SummaryFormat = .table

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
        let range = try TimeRange(since: since, until: until)
        let summary = try await global.withDatabase { session in
            let targets = try await SeriesTraining.Target.matching(selection.selector, on: session.connection)
            guard !targets.isEmpty else { throw PgScorerError(.notFound, "no series matches \(selection.selector)") }
            var training = SeriesTraining(
                databaseURL: session.databaseURL, trainer: trainer, range: range, minReadings: minReadings, activate: !noActivate,
                logger: session.logger)
            training.force = force
            return try await training.run(targets, parallel: parallel, progress: isatty(STDERR_FILENO) == 1)
        }
        if format == .json { return try JSONOutput.print(summary) }
        print("trained \(summary.trained) model(s), skipped \(summary.skipped.count) series, in \(String(format: "%.1f", summary.seconds)) s")
        for skipped in summary.skipped.prefix(20) { print("  skipped \(skipped.series): \(skipped.reason)") }
        if !summary.notActivated.isEmpty {
            print("\(summary.notActivated.count) new version(s) failed their health check and were stored but not activated (--force activates them):")
            for failed in summary.notActivated.prefix(20) { print("  \(failed.series): \(failed.reason)") }
        }
    }
}
