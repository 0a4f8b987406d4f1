import Foundation
import PgClient

/// A half-open time range `[since, until)` as the commands take it; a nil bound is open.
/// Bounds are parsed here, the same way for every command: ISO 8601 (a time without a
/// zone is UTC), a plain date (its midnight UTC), `now`, or a duration meaning that
/// long ago (`6h`, `7d`, `1h30m`).
package struct TimeRange: Sendable, Equatable {
    package let since: PostgresTimestamp?
    package let until: PostgresTimestamp?

    /// Checks that `since` comes before `until`.
    package init(since: PostgresTimestamp?, until: PostgresTimestamp?) throws {
        if let since, let until, since >= until {
            throw PgScorerError(.usage, "--until (\(until)) must be after --since (\(since))")
        }
        self.since = since
        self.until = until
    }

    /// Parses `--since`/`--until` texts (either may be nil) against `now`.
    package init(since: String?, until: String?, now: Date = Date()) throws {
        try self.init(
            since: try since.map { try Self.parseBound($0, option: "--since", now: now) },
            until: try until.map { try Self.parseBound($0, option: "--until", now: now) })
    }

    /// The bound `text` names; errors say which option was wrong and what it accepts.
    package static func parseBound(_ text: String, option: String, now: Date = Date()) throws -> PostgresTimestamp {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased() == "now" { return PostgresTimestamp(now) }
        if let ago = DurationText.parse(trimmed) {
            return PostgresTimestamp(unixMicroseconds: PostgresTimestamp(now).unixMicroseconds - ago.microseconds)
        }
        let isPlainDate = trimmed.count == 10 && trimmed.split(separator: "-").count == 3
        let parser = TimestampParser(zonelessTimeZone: TimeZone(identifier: "UTC"))
        do {
            return try parser.parse(Substring(isPlainDate ? trimmed + "T00:00:00Z" : trimmed))
        } catch {
            throw PgScorerError(
                .usage,
                "\(option) '\(text)' is not a time: use ISO 8601 (2026-11-24T13:05:00Z; without a zone it is UTC), "
                    + "a date (2026-11-24), now, or a duration ago (6h, 7d)")
        }
    }
}
