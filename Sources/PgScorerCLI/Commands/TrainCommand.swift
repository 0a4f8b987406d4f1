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
    @OptionGroup var training: TrainingOptions
    @Option(help: "Readings from (inclusive): ISO 8601 (no zone means UTC), a date, now, or a duration ago (7d); default: the first.")
    var since: String?
    @Option(help: "Readings until (exclusive), in the same forms; default: the last.") var until: String?
    @Option(help: "Series trained at once, each on its own connection. Default: four per core, at most 16 (a series spends much of its time waiting on the database).")
    var parallel = min(4 * ProcessInfo.processInfo.activeProcessorCount, 16)
    @Flag(name: .customLong("no-activate"), help: "Store the new versions without activating them.") var noActivate = false
    @Flag(help: "Make each new version its series' challenger (shadow-scored beside the champion until promoted); the champion if it has none.")
    var challenger = false
    @Flag(help: "Activate new versions even when their health check fails.") var force = false
    @Option(help: "table or json: how to print the summary.") var format: SummaryFormat = .table

    func validate() throws {
        if challenger && noActivate { throw ValidationError("--challenger and --no-activate cannot be combined") }
        guard parallel >= 1 else { throw ValidationError("--parallel must be at least 1") }
    }

    func run() async throws {
        let range = try TimeRange(since: since, until: until)
        let summary = try await global.withDatabase { session in
            let targets = try await SeriesTraining.Target.matching(selection.selector, on: session.connection)
            guard !targets.isEmpty else { throw PgScorerError(.notFound, "no series matches \(selection.selector)") }
            var training = SeriesTraining(
                databaseURL: session.databaseURL, trainer: training.parameters.trainer, range: range, minReadings: training.parameters.minReadings,
                role: noActivate ? .stored : challenger ? .challenger : .champion,
                logger: session.logger)
            training.force = force
            return try await training.run(targets, parallel: parallel, progress: isatty(STDERR_FILENO) == 1)
        }
        if format == .json { return try JSONOutput.print(summary) }
        print("trained \(summary.trained) model(s), skipped \(summary.skipped.count) series, in \(String(format: "%.1f", summary.seconds)) s")
        for skipped in summary.skipped.prefix(20) { print("  skipped \(skipped.series): \(skipped.reason)") }
        let failed = summary.notActivated.filter { $0.reason != SeriesTraining.storedAsAsked }
        if noActivate {
            print("\(summary.notActivated.count) new version(s) stored without activating them, as --no-activate asked (pgscorer models activate ID activates one)")
        } else if !failed.isEmpty {
            print("\(failed.count) new version(s) failed their health check and were stored but not activated (--force activates them):")
            for version in failed.prefix(20) { print("  \(version.series): \(version.reason)") }
        }
    }
}
