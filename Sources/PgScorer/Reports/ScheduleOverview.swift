import PgClient

/// A schedule as `schedule list` and `status` show it, with its next tick computed by
/// the same code the scheduler uses.
package struct ScheduleOverview: Sendable, Encodable {
    package let name: String
    package let enabled: Bool
    /// `cron */5 * * * *` or `every 5m`.
    package let timing: String
    package let window: String
    package let devices: String
    package let sensors: String
    /// `skip`, or `catch up N`.
    package let missedTicks: String
    /// `score`, or `train` with its training parameters as JSON text.
    package let kind: String
    package let trainParams: String?
    package let lastTick: PostgresTimestamp?
    package let nextTick: PostgresTimestamp?

    init(_ schedule: Schedule) {
        name = schedule.name
        enabled = schedule.enabled
        timing = schedule.timingText
        window = DurationText.format(schedule.window)
        devices = SeriesSelector.typed(fromLikePattern: schedule.devicePattern)
        sensors = SeriesSelector.typed(fromLikePattern: schedule.sensorPattern)
        missedTicks =
            switch schedule.missedTicks {
            case .skip: "skip"
            case .catchUp(let limit): "catch up \(limit)"
            }
        kind = schedule.kind
        trainParams = schedule.trainParams
        lastTick = schedule.lastTick
        nextTick = schedule.nextTick
    }

    /// Every schedule, by name.
    package static func all(on connection: PostgresConnection) async throws -> [ScheduleOverview] {
        try await Schedule.all(on: connection).map(ScheduleOverview.init)
    }
}
