import ArgumentParser
import PgScorer

/// `pgscorer schedule`: schedules are rows of pgscorer.schedules; these commands and
/// plain SQL edit the same rows (the database validates both).
struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Add, list, enable, disable and remove scoring schedules.",
        discussion: "The same rows can be edited with SQL: UPDATE pgscorer.schedules SET cron = '*/10 * * * *' WHERE name = 'fleet';",
        subcommands: [Add.self, List.self, Enable.self, Disable.self, Remove.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a schedule: every tick scores (or, with --train, retrains) each selected series on the window before the tick.",
            discussion: """
                With --train the ticks queue training jobs instead: each selected series with readings in the window gets a \
                new model version, trained by a worker with the training options given, stored as the series' challenger \
                (shadow-scored beside the champion until `pgscorer models promote`), or as its champion when it has none. \
                Example: every Sunday at 03:00 on the last 14 days: --cron "0 3 * * 0" --window 14d --train --nu 0.05.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Schedule name (letters, digits, _ . : -).") var name: String
        @Option(help: "5-field cron in UTC, e.g. \"*/5 * * * *\".") var cron: String?
        @Option(help: "Fixed interval instead of cron, e.g. 5m, 1h, 30s, 1h30m.") var every: DurationArgument?
        @Option(
            name: .customLong("on-close"),
            help: ArgumentHelp("Fire when this aggregation closes windows instead: score the readings they made.", valueName: "aggregation"))
        var onClose: String?
        @Option(help: "How far back each tick scores, e.g. 5m (with --on-close: unused, default 1h).") var window: DurationArgument?
        @OptionGroup var selection: SelectionOptions
        @Option(name: .customLong("catch-up"), help: "After downtime, fire up to N missed ticks (default: only the latest).")
        var catchUp: Int?
        @Option(help: "Priority of the jobs (lower runs first).") var priority: Int16 = 0
        @Option(name: .customLong("max-attempts"), help: "Attempts per job before it stays failed.") var maxAttempts: Int16 = 5
        @Flag(help: "Train instead of score: each tick makes a new model version per series (a challenger).") var train = false
        @OptionGroup var training: TrainingOptions

        func validate() throws {
            guard [cron != nil, every != nil, onClose != nil].filter({ $0 }).count == 1 else {
                throw ValidationError("give exactly one of --cron, --every and --on-close")
            }
            if onClose == nil && window == nil { throw ValidationError("--window is needed: how far back each tick scores, e.g. 5m") }
            if onClose != nil && train { throw ValidationError("--on-close fires scoring, not training (--train)") }
            if training.given && !train { throw ValidationError("training options (--nu, --kernel, …) need --train") }
        }

        func run() async throws {
            var schedule = ScheduleStore.NewSchedule(name: name, cron: cron, every: every?.duration, window: window?.duration ?? .seconds(3600))
            schedule.onClose = onClose
            schedule.devicePattern = selection.selector.devicePattern
            schedule.sensorPattern = selection.selector.sensorPattern
            schedule.missedTicks = catchUp.map { .catchUp(limit: $0) } ?? .skip
            schedule.priority = priority
            schedule.maxAttempts = maxAttempts
            if train { schedule.trainParams = training.parameters.json }
            let matching = try await global.withDatabase { session in
                try await ScheduleStore(connection: session.connection).add(schedule)
                return try await SeriesTraining.Target.matching(selection.selector, on: session.connection).count
            }
            print("schedule \(name) added; it selects \(matching) series now"
                + (matching == 0 ? " (none matches \(selection.selector) yet: series that appear later are picked up at each tick)" : ""))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List schedules with their last and next ticks.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "table, csv or json.") var format: OutputFormat = .table

        func run() async throws {
            let schedules = try await global.withDatabase { try await ScheduleOverview.all(on: $0.connection) }
            let header = ["name", "kind", "enabled", "when", "window", "devices", "sensors", "missed ticks", "last tick (UTC)", "next tick (UTC)"]
            let rows = schedules.map { schedule in
                [schedule.name, schedule.kind, schedule.enabled ? "yes" : "no", schedule.timing, schedule.window, schedule.devices, schedule.sensors,
                 schedule.missedTicks, schedule.lastTick?.description ?? "-", schedule.nextTick?.description ?? "-"]
            }
            try printTable(format, header: header, rows: rows, json: schedules)
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a schedule.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        func run() async throws { try await ScheduleCommand.setEnabled(name, true, global: global) }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a schedule (its queued jobs still run).")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        func run() async throws { try await ScheduleCommand.setEnabled(name, false, global: global) }
    }

    static func setEnabled(_ name: String, _ enabled: Bool, global: GlobalOptions) async throws {
        try await global.withDatabase { try await ScheduleStore(connection: $0.connection).setEnabled(name, enabled) }
        print("schedule \(name) \(enabled ? "enabled" : "disabled")")
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a schedule (its jobs and predictions stay).")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        func run() async throws {
            try await global.withDatabase { try await ScheduleStore(connection: $0.connection).remove(name) }
            print("schedule \(name) removed")
        }
    }
}
