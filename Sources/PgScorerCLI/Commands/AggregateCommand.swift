import ArgumentParser
import PgScorer

/// `pgscorer aggregate`: aggregations are rows of pgscorer.aggregations; these commands
/// and plain SQL edit the same rows (the database validates both).
struct AggregateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aggregate",
        abstract: "Add, list and remove aggregations that turn raw samples into windowed readings; close what is due.",
        discussion: """
            A series an aggregation matches holds raw samples (pgscorer.samples). Each window [start, end), aligned to \
            the epoch, becomes one reading of the target series (same device, sensor named by --target) stamped with \
            the window's end, its features in the order listed. A window closes when its device's newest sample \
            reaches its end plus --lateness, or when the device has been silent for --idle-close. Workers close \
            windows every second; `aggregate run` closes what is due now.
            """,
        subcommands: [Add.self, List.self, Remove.self, Run.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an aggregation.",
            discussion: """
                Example: pgscorer aggregate add temp_5m --window 5m --features mean,min,max,std --sensor temp \
                --target '{sensor}_5m' --lateness 30s --late recompute
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Aggregation name (letters, digits, _ . : -).") var name: String
        @Option(help: "Window length, dividing a day: e.g. 10s, 1m, 5m, 1h.") var window: DurationArgument
        @Option(help: "Hopping windows: a new window every hop (dividing the window). Default: the window (tumbling).")
        var hop: DurationArgument?
        @Option(help: ArgumentHelp("Comma-separated, in order: \(AggregationStore.features.joined(separator: ", ")).", valueName: "list"))
        var features: String = "mean,min,max,std"
        @OptionGroup var selection: SelectionOptions
        @Option(help: "Sensor name of the windows' readings; {sensor} stands for the source's. Default: {sensor}_<window>, e.g. {sensor}_5m.")
        var target: String?
        @Option(help: "How long after a window's end (in its device's event time) it waits for stragglers.")
        var lateness: DurationArgument = DurationArgument(.seconds(30))
        @Option(help: "A sample for a closed window: drop (a dead letter, reason late) or recompute (rewrite and re-score).")
        var late: String = "drop"
        @Option(name: .customLong("idle-close"), help: "Close a silent device's last windows after this much wall-clock time.")
        var idleClose: DurationArgument = DurationArgument(.seconds(600))

        func validate() throws {
            guard ["drop", "recompute"].contains(late) else { throw ValidationError("--late is drop or recompute, not \(late)") }
        }

        func run() async throws {
            let listed = features.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            var aggregation = AggregationStore.NewAggregation(
                name: name, window: window.duration, features: listed,
                target: target ?? "{sensor}_\(DurationText.format(window.duration))")
            aggregation.hop = hop?.duration
            aggregation.devicePattern = selection.selector.devicePattern
            aggregation.sensorPattern = selection.selector.sensorPattern
            aggregation.lateness = lateness.duration
            aggregation.latePolicy = late
            aggregation.idleClose = idleClose.duration
            let matched = try await global.withDatabase { session in
                try await AggregationStore(connection: session.connection).add(aggregation)
            }
            var line = "aggregation \(name) added; it reads \(matched.sources) series now"
            if matched.sources == 0 { line += " (series that appear later and match \(selection.selector) hold samples from their first value)" }
            if matched.skipped > 0 { line += "; \(matched.skipped) matching series with more than one value per sample keep readings" }
            print(line)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List aggregations with their windows and late samples.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "table, csv or json.") var format: OutputFormat = .table

        func run() async throws {
            let aggregations = try await global.withDatabase { try await AggregationOverview.all(on: $0.connection) }
            let header = ["name", "window", "hop", "features", "devices", "sensors", "target", "lateness", "late", "idle close",
                          "series", "open", "closed", "late dropped", "late recomputed", "closed until (UTC)"]
            let rows = aggregations.map { a in
                [a.name, a.window, a.hop, a.features.joined(separator: ","), a.devices, a.sensors, a.target, a.lateness, a.latePolicy,
                 a.idleClose, "\(a.sources)", "\(a.openWindows)", "\(a.closedWindows)", "\(a.lateDropped)", "\(a.lateRecomputed)",
                 a.closedUntil?.description ?? "-"]
            }
            try printTable(format, header: header, rows: rows, json: aggregations)
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an aggregation (its windows' state goes; samples and the readings it made stay).")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        func run() async throws {
            try await global.withDatabase { try await AggregationStore(connection: $0.connection).remove(name) }
            print("aggregation \(name) removed")
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close every window that is due now, as the workers do (safe beside them).")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            let outcome = try await global.withDatabase { try await WindowCloser().closeDue(on: $0.connection) }
            var line = "closed \(outcome.closed) window(s); rewrote \(outcome.rewritten) changed by late samples"
            line += "; queued \(outcome.rescored) re-scoring job(s) and \(outcome.fired) on-close job(s); released \(outcome.released) waiting job(s)"
            if outcome.skipped > 0 { line += "; \(outcome.skipped) aggregation(s) were being closed by another process" }
            print(line)
        }
    }
}
