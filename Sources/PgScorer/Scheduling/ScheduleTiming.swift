/// When a schedule fires: a cron expression, or every fixed interval (ticks aligned to
/// multiples of the interval since 2000-01-01 UTC, like `date_bin`).
package enum ScheduleTiming: Sendable, Equatable {
    case cron(CronExpression)
    case every(microseconds: Int64)

    package static let alignmentOrigin: Int64 = 946_684_800 * 1_000_000  // 2000-01-01 in Unix µs

    /// The latest tick at or before `time` (Unix microseconds).
    package func latestTick(atOrBefore time: Int64) -> Int64? {
        switch self {
        case .cron(let cron):
            let seconds = time >= 0 ? time / 1_000_000 : (time - 999_999) / 1_000_000
            return cron.latestTick(atOrBefore: seconds).map { $0 * 1_000_000 }
        case .every(let step):
            let offset = time - Self.alignmentOrigin
            let floor = offset >= 0 ? offset / step : (offset - step + 1) / step
            return Self.alignmentOrigin + floor * step
        }
    }

    /// The first tick after `time` (Unix microseconds), looking ahead at most 8 years.
    package func nextTick(after time: Int64) -> Int64? {
        switch self {
        case .every(let step):
            return (latestTick(atOrBefore: time) ?? time) + step
        case .cron:
            // Step forward a day at a time, then take the earliest tick in that day.
            var dayEnd = time - time % 86_400_000_000 + 86_400_000_000 - 1
            for _ in 0..<(8 * 366) {
                if var tick = latestTick(atOrBefore: dayEnd), tick > time {
                    while let earlier = latestTick(atOrBefore: tick - 1), earlier > time { tick = earlier }
                    return tick
                }
                dayEnd += 86_400_000_000
            }
            return nil
        }
    }

    /// The ticks to fire now, oldest first (all times Unix microseconds). Never a tick
    /// before the schedule was created (`createdAt`), nor one at or before `lastFired`.
    /// Without catch-up, the latest due tick if it comes at or after `activeSince` (when
    /// the schedule was created or last re-enabled): no tick of a disabled period. With
    /// catch-up, up to `catchUpLimit` of the missed ticks, the disabled period's included.
    package func dueTicks(now: Int64, lastFired: Int64?, activeSince: Int64, createdAt: Int64, catchUpLimit: Int?) -> [Int64] {
        let floor = catchUpLimit == nil ? max(activeSince, createdAt) : createdAt
        guard let latest = latestTick(atOrBefore: now), latest >= floor, latest > (lastFired ?? .min) else { return [] }
        guard let limit = catchUpLimit, limit > 1 else { return [latest] }
        var ticks = [latest]
        var cursor = latest
        while ticks.count < limit, let previous = latestTick(atOrBefore: cursor - 1), previous > (lastFired ?? .min), previous >= floor {
            ticks.append(previous)
            cursor = previous
        }
        return ticks.reversed()
    }
}
