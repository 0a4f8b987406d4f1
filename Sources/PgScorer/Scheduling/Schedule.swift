import PgClient

/// What a schedule does after downtime (`pgscorer.missed_tick_policy`).
package enum MissedTickPolicy: Sendable, Equatable {
    /// Fire only the latest due tick.
    case skip
    /// Fire up to `limit` of the missed ticks, oldest first.
    case catchUp(limit: Int)
}

/// A row of `pgscorer.schedules` with its last tick, decoded in this one place
/// (`ScheduleQueries.list`); the scheduler and every listing read schedules through it.
package struct Schedule: Sendable {
    package let scheduleID: Int64
    package let name: String
    package let enabled: Bool
    /// The cron text, or nil for a fixed interval.
    package let cron: String?
    /// The fixed interval in microseconds, or nil for cron.
    package let everyMicroseconds: Int64?
    package let window: Duration
    package let devicePattern: String
    package let sensorPattern: String
    package let missedTicks: MissedTickPolicy
    package let lastTick: PostgresTimestamp?
    package let createdAt: PostgresTimestamp
    /// When it was created or last re-enabled: no tick before it fires, but by catch-up.
    package let enabledAt: PostgresTimestamp
    /// The database's clock when the row was read.
    package let now: PostgresTimestamp
    /// `score`, or `train`: its ticks queue training jobs with `trainParams` (JSON text).
    package let kind: String
    package let trainParams: String?
    /// The aggregation whose closing windows fire it, instead of a clock.
    package let onClose: String?

    init(row: PostgresRow) throws {
        scheduleID = try row.decode("schedule_id")
        name = try row.decode("name")
        enabled = try row.decode("enabled")
        cron = try row.decode("cron")
        everyMicroseconds = try row.decode("every_us")
        window = .microseconds(try row.decode("window_us") as Int64)
        devicePattern = try row.decode("device_pattern")
        sensorPattern = try row.decode("sensor_pattern")
        let policy: String = try row.decode("missed_ticks")
        missedTicks = policy == "catch_up" ? .catchUp(limit: try row.decode("catch_up_limit")) : .skip
        lastTick = try row.decode("last_tick")
        createdAt = try row.decode("created_at")
        enabledAt = try row.decode("enabled_at")
        now = try row.decode("now")
        kind = try row.decode("kind")
        trainParams = try row.decode("train_params")
        onClose = try row.decode("on_close")
    }

    /// Every schedule (only the enabled ones if `enabledOnly`), by name.
    package static func all(enabledOnly: Bool = false, on connection: PostgresConnection) async throws -> [Schedule] {
        try await connection.query(ScheduleQueries.list.bind(enabledOnly)).map(Schedule.init(row:))
    }

    /// When it fires on the clock; nil for a schedule that fires on an aggregation's
    /// closing windows (the closer fires it). Throws if its cron text does not parse (the
    /// database refuses such rows, but a row may predate a stricter check).
    package func timing() throws -> ScheduleTiming? {
        if onClose != nil { return nil }
        if let cron { return .cron(try CronExpression(cron)) }
        return .every(microseconds: everyMicroseconds ?? 0)
    }

    /// `cron */5 * * * *`, `every 5m` or `on close of temp_5m`, as listings show it.
    package var timingText: String {
        if let onClose { return "on close of \(onClose)" }
        if let cron { return "cron \(cron)" }
        return "every \(DurationText.format(.microseconds(everyMicroseconds ?? 0)))"
    }

    /// The next tick after the database's clock, if enabled and its timing is valid.
    package var nextTick: PostgresTimestamp? {
        guard enabled, let timing = try? timing(), let next = timing.nextTick(after: now.unixMicroseconds) else { return nil }
        return PostgresTimestamp(unixMicroseconds: next)
    }
}
