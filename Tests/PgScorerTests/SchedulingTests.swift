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
        #expect(every.latestTick(atOrBefore: now) == latest)
        #expect(every.dueTicks(now: now, lastFired: nil, catchUpLimit: nil) == [latest])
        #expect(every.dueTicks(now: now, lastFired: latest, catchUpLimit: nil).isEmpty)
        let lastFired = latest - 20 * minute
        #expect(every.dueTicks(now: now, lastFired: lastFired, catchUpLimit: nil) == [latest])
        #expect(every.dueTicks(now: now, lastFired: lastFired, catchUpLimit: 2) == [latest - 5 * minute, latest])
        #expect(every.dueTicks(now: now, lastFired: lastFired, catchUpLimit: 100)
            == [latest - 15 * minute, latest - 10 * minute, latest - 5 * minute, latest])
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
