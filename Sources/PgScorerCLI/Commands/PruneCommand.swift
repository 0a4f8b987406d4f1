import ArgumentParser
import PgScorer

/// `pgscorer prune`: retention on demand.
struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete what retention says is old enough, now, and print what went (or, with --dry-run, would go).",
        discussion: """
            Ages default to the rows of pgscorer.settings (retention.jobs 7 days, retention.job_runs and \
            retention.schedule_runs, retention.rejected_readings and retention.samples 30 days, readings and predictions \
            kept until set), which workers also apply continuously. Jobs are finished jobs (completed, failed, cancelled); \
            their predictions always stay. Readings, predictions and raw samples go by whole monthly partitions once a \
            month lies wholly past the age (with samples, the state of their windows: a later late sample for them is dropped). \
            Edit the defaults with SQL: UPDATE pgscorer.settings SET value = '14 days' WHERE key = 'retention.jobs';
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Finished jobs older than this (e.g. 7d).") var jobs: DurationArgument?
    @Option(help: "Attempt logs and fired ticks older than this (e.g. 30d).") var runs: DurationArgument?
    @Option(help: "Rejected readings (the gateway's dead letters) received longer ago than this (e.g. 30d).") var rejected: DurationArgument?
    @Option(help: "Prediction partitions wholly older than this (e.g. 365d).") var predictions: DurationArgument?
    @Option(help: "Reading partitions wholly older than this (e.g. 365d).") var readings: DurationArgument?
    @Option(help: "Raw sample partitions wholly older than this (e.g. 30d).") var samples: DurationArgument?
    @Flag(name: .customLong("dry-run"), help: "Count what would go; delete nothing.") var dryRun = false
    @Option(help: "table or json.") var format: SummaryFormat = .table

    func validate() throws {
        // The database refuses these too; said here in the options' words, before connecting.
        for (name, age) in [("--jobs", jobs), ("--runs", runs), ("--rejected", rejected)] {
            if let age, age.duration < .seconds(60) {
                throw ValidationError("\(name) \(DurationText.format(age.duration)) would remove what is current: give at least 1m")
            }
        }
        for (name, age) in [("--predictions", predictions), ("--readings", readings), ("--samples", samples)] {
            if let age, age.duration < .seconds(86_400) {
                throw ValidationError("\(name) \(DurationText.format(age.duration)) would drop current partitions: give at least 1d")
            }
        }
    }

    func run() async throws {
        var retention = Retention()
        retention.overrides[.jobs] = jobs?.duration
        retention.overrides[.jobRuns] = runs?.duration
        retention.overrides[.scheduleRuns] = runs?.duration
        retention.overrides[.rejectedReadings] = rejected?.duration
        retention.overrides[.predictions] = predictions?.duration
        retention.overrides[.readings] = readings?.duration
        retention.overrides[.samples] = samples?.duration
        let outcome = try await global.withDatabase { try await retention.run(on: $0.connection, dryRun: dryRun) }
        if format == .json { return try JSONOutput.print(outcome) }
        let verb = dryRun ? "would remove" : "removed"
        for kind in Retention.Kind.allCases where !kind.isPartitioned {
            print("\(verb) \(outcome.rows[kind.rawValue] ?? 0) \(kind.rawValue)")
        }
        print("\(verb) \(outcome.partitions.count) partition(s)\(outcome.partitions.isEmpty ? "" : ": " + outcome.partitions.joined(separator: ", "))")
    }
}
