import ArgumentParser
import PgClient

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
            abstract: "Add a schedule: every tick scores each selected series' readings in the window before the tick.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Schedule name (letters, digits, _ . : -).") var name: String
        @Option(help: "5-field cron in UTC, e.g. \"*/5 * * * *\".") var cron: String?
        @Option(help: "Fixed interval instead of cron, e.g. 5m, 1h, 30s.") var every: String?
        @Option(help: "How far back each tick scores, e.g. 5m.") var window: String
        @Option(help: "Device SQL LIKE pattern (default: all).") var devices = "%"
        @Option(help: "Sensor SQL LIKE pattern (default: all).") var sensors = "%"
        @Option(name: .customLong("catch-up"), help: "After downtime, fire up to N missed ticks (default: only the latest).")
        var catchUp: Int?
        @Option(help: "Priority of the jobs (lower runs first).") var priority: Int16 = 0
        @Option(name: .customLong("max-attempts"), help: "Attempts per job before it stays failed.") var maxAttempts: Int16 = 5

        func validate() throws {
            guard (cron == nil) != (every == nil) else { throw ValidationError("give exactly one of --cron and --every") }
            if let every, DurationArgument.parse(every) == nil { throw ValidationError("--every \(every): use e.g. 30s, 5m, 1h, 1d") }
            guard DurationArgument.parse(window) != nil else { throw ValidationError("--window \(window): use e.g. 30s, 5m, 1h, 1d") }
        }

        func run() async throws {
            let logger = global.bootstrapLogging()
            let connection = try await global.connectCurrent(logger: logger)
            let everyInterval = every.flatMap(DurationArgument.parse).map(Self.interval)
            let windowInterval = Self.interval(DurationArgument.parse(window)!)
            try await connection.execute(
                """
                INSERT INTO pgscorer.schedules
                    (name, cron, every, "window", device_pattern, sensor_pattern, missed_ticks, catch_up_limit, priority, max_attempts)
                VALUES ($1, $2, $3, $4, $5, $6, $7::pgscorer.missed_tick_policy, $8, $9, $10)
                """, name, cron, everyInterval, windowInterval, devices, sensors, catchUp == nil ? "skip" : "catch_up",
                Int32(catchUp ?? 0), priority, maxAttempts)
            print("schedule \(name) added")
            await connection.close()
        }

        static func interval(_ duration: Duration) -> PostgresInterval {
            PostgresInterval(microseconds: duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List schedules with their last and next ticks.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            let logger = global.bootstrapLogging()
            let connection = try await global.connectCurrent(logger: logger)
            var table = TextTable(["name", "enabled", "when", "window", "devices", "sensors", "missed ticks", "last tick (UTC)", "next tick (UTC)"])
            for schedule in try await ScheduleOverview.load(connection) {
                table.add([
                    schedule.name, schedule.enabled ? "yes" : "no", schedule.timing, schedule.window, schedule.devices, schedule.sensors,
                    schedule.missedTicks, schedule.lastTick?.description ?? "-", schedule.nextTick?.description ?? "-",
                ])
            }
            print(table.rendered, terminator: "")
            await connection.close()
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a schedule.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        func run() async throws { try await setEnabled(global: global, name: name, enabled: true) }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a schedule (its queued jobs still run).")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        func run() async throws { try await setEnabled(global: global, name: name, enabled: false) }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a schedule (its jobs and predictions stay).")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        func run() async throws {
            let logger = global.bootstrapLogging()
            let connection = try await global.connectCurrent(logger: logger)
            guard try await connection.execute("DELETE FROM pgscorer.schedules WHERE name = $1", name) == 1 else {
                throw ValidationError("no schedule named \(name)")
            }
            print("schedule \(name) removed")
            await connection.close()
        }
    }

    static func setEnabled(global: GlobalOptions, name: String, enabled: Bool) async throws {
        let logger = global.bootstrapLogging()
        let connection = try await global.connectCurrent(logger: logger)
        guard try await connection.execute("UPDATE pgscorer.schedules SET enabled = $2 WHERE name = $1", name, enabled) == 1 else {
            throw ValidationError("no schedule named \(name)")
        }
        print("schedule \(name) \(enabled ? "enabled" : "disabled")")
        await connection.close()
    }
}

/// A schedule as shown by `schedule list` and `status`, with its next tick computed
/// by the same code the scheduler uses.
struct ScheduleOverview: Sendable {
    let name: String
    let enabled: Bool
    let timing: String
    let window: String
    let devices: String
    let sensors: String
    let missedTicks: String
    let lastTick: PostgresTimestamp?
    let nextTick: PostgresTimestamp?

    static func load(_ connection: PostgresConnection) async throws -> [ScheduleOverview] {
        let rows = try await connection.query(
            """
            SELECT s.name, s.enabled, coalesce('cron ' || s.cron, 'every ' || s.every::text), s."window"::text, s.device_pattern,
                   s.sensor_pattern, CASE WHEN s.missed_ticks = 'skip' THEN 'skip' ELSE 'catch up ' || s.catch_up_limit END,
                   (SELECT max(scheduled_for) FROM pgscorer.schedule_runs r WHERE r.schedule_id = s.schedule_id),
                   s.cron, (extract(epoch FROM s.every) * 1000000)::int8, now()
            FROM pgscorer.schedules s ORDER BY s.name
            """)
        return try rows.map { row in
            let now: PostgresTimestamp = try row.decode(10)
            var next: PostgresTimestamp?
            if try row.decode(1) as Bool {
                let timing: ScheduleTiming? =
                    if let cron: String = try row.decode(8) { (try? CronExpression(cron)).map(ScheduleTiming.cron) } else {
                        .every(microseconds: try row.decode(9))
                    }
                next = timing.flatMap { $0.nextTick(after: now.unixMicroseconds) }.map(PostgresTimestamp.init(unixMicroseconds:))
            }
            return ScheduleOverview(
                name: try row.decode(0), enabled: try row.decode(1), timing: try row.decode(2), window: try row.decode(3),
                devices: try row.decode(4), sensors: try row.decode(5), missedTicks: try row.decode(6), lastTick: try row.decode(7),
                nextTick: next)
        }
    }
}
