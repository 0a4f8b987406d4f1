import PgClient

/// Times as devices send them: ISO 8601 with a zone (as `ingest` reads them), or a
/// count since the Unix epoch whose unit is told by its size: seconds below 10¹¹
/// (until the year 5138), milliseconds below 10¹⁴, microseconds below 10¹⁷, else
/// nanoseconds. Stored to the microsecond, as PostgreSQL keeps time.
package enum TelemetryTime {
    private static let parser = TimestampParser(zonelessTimeZone: nil)

    /// The time `text` gives: ISO 8601, or digits read as an epoch count; nil if neither.
    package static func parse(_ text: Substring) -> PostgresTimestamp? {
        if !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) }) {
            return Int64(text).map(epoch)
        }
        return try? parser.parse(text)
    }

    /// Why `text` is not a time, in words.
    package static func problem(_ text: Substring) -> String {
        do {
            _ = try parser.parse(text)
            return "the time '\(text)' cannot be read"
        } catch {
            return "\(error)"
        }
    }

    /// An epoch count whose unit its size tells.
    package static func epoch(_ count: Int64) -> PostgresTimestamp {
        let magnitude = count.magnitude
        let micros: Int64
        if magnitude < 100_000_000_000 {
            micros = count * 1_000_000
        } else if magnitude < 100_000_000_000_000 {
            micros = count * 1_000
        } else if magnitude < 100_000_000_000_000_000 {
            micros = count
        } else {
            micros = count / 1_000
        }
        return PostgresTimestamp(unixMicroseconds: micros)
    }

    /// An epoch count that may have a fraction (JSON numbers), its unit told by its size.
    package static func epoch(_ value: Double) -> PostgresTimestamp? {
        guard value.isFinite, value.magnitude < 9e18 else { return nil }
        if value.magnitude < 1e11 { return PostgresTimestamp(unixMicroseconds: Int64((value * 1e6).rounded())) }
        if value.magnitude < 1e14 { return PostgresTimestamp(unixMicroseconds: Int64((value * 1e3).rounded())) }
        if value.magnitude < 1e17 { return PostgresTimestamp(unixMicroseconds: Int64(value.rounded())) }
        return PostgresTimestamp(unixMicroseconds: Int64((value / 1e3).rounded()))
    }
}
