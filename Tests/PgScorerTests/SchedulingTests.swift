import PgClient
import Testing

import PgScorer

@Suite("Cron expressions and schedule ticks")
struct SchedulingTests {
    static func unix(_ text: String) -> Int64 { PostgresTimestampHelpers.unixSeconds(text) }

    @Test("valid expressions parse; invalid ones name the field", arguments: [
        ("*/5 * * * *", nil), ("0 9-17 * * 1-5", nil), ("15,45 */2 1 1,7 0", nil), ("0 0 * * 7", nil),
        ("61 * * * *", "minute"), ("* 24 * * *", "hour"), ("* * 0 * *", "day of month"), ("* * * 13 *", "month"),
        ("* * * * 8", "day of week"), ("*/0 * * * *", "minute"), ("5-1 * * * *", "minute"), ("a * * * *", "minute"),
    ] as [(String, String?)])
    func parsing(text: String, badField: String?) {
        do {
            _ = try CronExpression(text)
            #expect(badField == nil, "\(text) should be refused")
        } catch {
            #expect(badField != nil, "\(text): \(error)")
            #expect("\(error)".contains("invalid \(badField ?? "") field"))
        }
        #expect(throws: CronExpression.ParseError.self) { try CronExpression("* * * *") }
    }

    @Test("six fields are refused as seconds; a step on one value runs to the end of the range, as in cronie")
    func cronUsersExpectations() throws {
        #expect(throws: CronExpression.ParseError.self) { try CronExpression("0 */5 * * * *") }
        do { _ = try CronExpression("0 */5 * * * *") } catch { #expect("\(error)".contains("seconds are not supported")) }
        #expect(try CronExpression("5/15 * * * *").minutes == [5, 20, 35, 50])
        #expect(try CronExpression("10-40/15 * * * *").minutes == [10, 25, 40])
    }

    @Test("latest tick at or before a time")
    func latestTick() throws {
        let everyFive = try CronExpression("*/5 * * * *")
        #expect(everyFive.latestTick(atOrBefore: Self.unix("2026-11-25T10:07:30Z")) == Self.unix("2026-11-25T10:05:00Z"))
        #expect(everyFive.latestTick(atOrBefore: Self.unix("2026-11-25T10:05:00Z")) == Self.unix("2026-11-25T10:05:00Z"))
        let weekdayMornings = try CronExpression("30 9 * * 1-5")
        // Sunday 2026-11-29 → Friday 2026-11-27 09:30.
        #expect(weekdayMornings.latestTick(atOrBefore: Self.unix("2026-11-29T12:00:00Z")) == Self.unix("2026-11-27T09:30:00Z"))
        let leapDay = try CronExpression("0 0 29 2 *")
        #expect(leapDay.latestTick(atOrBefore: Self.unix("2026-11-25T00:00:00Z")) == Self.unix("2024-02-29T00:00:00Z"))
        // Both day fields restricted: either matches (Vixie cron).
        let firstOrMonday = try CronExpression("0 0 1 * 1")
        #expect(firstOrMonday.latestTick(atOrBefore: Self.unix("2026-11-25T00:00:00Z")) == Self.unix("2026-11-23T00:00:00Z"))
    }

    @Test("every-interval ticks are aligned; missed ticks follow the policy")
    func dueTicks() {
        let minute: Int64 = 60_000_000
        let every = ScheduleTiming.every(microseconds: 5 * minute)
        let now = Self.unix("2026-11-25T10:17:10Z") * 1_000_000
        let latest = Self.unix("2026-11-25T10:15:00Z") * 1_000_000
        let created = latest - 60 * minute
        func due(lastFired: Int64?, activeSince: Int64? = nil, catchUp: Int? = nil) -> [Int64] {
            every.dueTicks(now: now, lastFired: lastFired, activeSince: activeSince ?? created, createdAt: created, catchUpLimit: catchUp)
        }
        #expect(every.latestTick(atOrBefore: now) == latest)
        #expect(due(lastFired: nil) == [latest])
        #expect(due(lastFired: latest).isEmpty)
        let lastFired = latest - 20 * minute
        #expect(due(lastFired: lastFired) == [latest])
        #expect(due(lastFired: lastFired, catchUp: 2) == [latest - 5 * minute, latest])
        #expect(due(lastFired: lastFired, catchUp: 100) == [latest - 15 * minute, latest - 10 * minute, latest - 5 * minute, latest])
    }

    @Test("a schedule's first tick is the first at or after its creation; re-enabling fires no tick of the disabled period unless catching up")
    func noTicksFromThePast() {
        let second: Int64 = 1_000_000
        let everyMinute = ScheduleTiming.every(microseconds: 60 * second)
        let created = Self.unix("2026-11-25T10:21:25Z") * second
        func due(at now: String, lastFired: Int64? = nil, activeSince: Int64, catchUp: Int? = nil) -> [Int64] {
            everyMinute.dueTicks(
                now: Self.unix(now) * second, lastFired: lastFired, activeSince: activeSince, createdAt: created, catchUpLimit: catchUp)
        }
        #expect(due(at: "2026-11-25T10:21:30Z", activeSince: created).isEmpty, "10:21:00 came before the schedule")
        #expect(due(at: "2026-11-25T10:22:00Z", activeSince: created) == [Self.unix("2026-11-25T10:22:00Z") * second])
        #expect(due(at: "2026-11-25T10:21:30Z", activeSince: created, catchUp: 5).isEmpty, "catch-up never reaches before creation")
        // Fired 10:22, disabled, re-enabled at 10:25:58: nothing until 10:26.
        let fired = Self.unix("2026-11-25T10:22:00Z") * second
        let reenabled = Self.unix("2026-11-25T10:25:58Z") * second
        #expect(due(at: "2026-11-25T10:25:59Z", lastFired: fired, activeSince: reenabled).isEmpty)
        #expect(due(at: "2026-11-25T10:26:00Z", lastFired: fired, activeSince: reenabled) == [Self.unix("2026-11-25T10:26:00Z") * second])
        // With catch-up, the disabled period's ticks are fired (up to the limit).
        #expect(due(at: "2026-11-25T10:25:59Z", lastFired: fired, activeSince: reenabled, catchUp: 2)
            == [Self.unix("2026-11-25T10:24:00Z") * second, Self.unix("2026-11-25T10:25:00Z") * second])
    }

    @Test("retry delays grow exponentially with jitter and stay capped")
    func backoff() {
        var generator = SeededGenerator(seed: 3)
        let backoff = RetryBackoff(base: 5, maximum: 60)
        for attempt in 1...10 {
            let ceiling = min(60, 5 * Double(1 << (attempt - 1)))
            let delay = backoff.delay(afterAttempt: attempt, using: &generator)
            #expect(delay >= ceiling / 2 && delay <= ceiling)
        }
    }
}

enum PostgresTimestampHelpers {
    static func unixSeconds(_ text: String) -> Int64 {
        PostgresTimestamp.utc(text).unixMicroseconds / 1_000_000
    }
}
