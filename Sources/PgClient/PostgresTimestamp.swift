import Foundation

/// A `timestamptz` as PostgreSQL stores it: microseconds since 2000-01-01 00:00 UTC.
/// Exact, unlike `Date`'s floating-point seconds; use it where timestamps are keys.
public struct PostgresTimestamp: Hashable, Comparable, Sendable, PostgresArrayElement, CustomStringConvertible {
    public var microsecondsSince2000: Int64

    public init(microsecondsSince2000: Int64) { self.microsecondsSince2000 = microsecondsSince2000 }

    /// 2000-01-01 00:00:00 UTC as seconds since the Unix epoch.
    public static let postgresEpochUnixSeconds: Int64 = 946_684_800

    public init(unixMicroseconds: Int64) {
        microsecondsSince2000 = unixMicroseconds - Self.postgresEpochUnixSeconds * 1_000_000
    }

    public init(_ date: Date) {
        let micros = ((date.timeIntervalSince1970 - Double(Self.postgresEpochUnixSeconds)) * 1e6).rounded()
        microsecondsSince2000 = Int64(micros)
    }

    public var unixMicroseconds: Int64 { microsecondsSince2000 + Self.postgresEpochUnixSeconds * 1_000_000 }
    public var date: Date { Date(timeIntervalSince1970: Double(unixMicroseconds) / 1e6) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.microsecondsSince2000 < rhs.microsecondsSince2000 }

    public static var postgresType: PostgresDataType { .timestamptz }
    public static var postgresArrayType: PostgresDataType { .timestamptzArray }
    @inlinable public func encode(into buffer: inout [UInt8]) { buffer.appendBigEndian(microsecondsSince2000) }

    /// ISO 8601 in UTC with the precision that is there: `2026-11-25T01:00:00Z`,
    /// `…:00.250Z` (milliseconds), `…:00.123456Z` (microseconds).
    public var description: String {
        let micros = unixMicroseconds
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let fractionText =
            fraction == 0 ? "" : fraction % 1000 == 0 ? String(format: ".%03lld", fraction / 1000) : String(format: ".%06lld", fraction)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec)) + fractionText + "Z"
    }
}

extension Date: PostgresEncodable {
    public static var postgresType: PostgresDataType { .timestamptz }
    public func encode(into buffer: inout [UInt8]) { PostgresTimestamp(self).encode(into: &buffer) }
}

/// An `interval` in PostgreSQL's three fields (months and days are not fixed lengths).
public struct PostgresInterval: Hashable, Sendable, PostgresEncodable, CustomStringConvertible {
    public var months: Int32
    public var days: Int32
    public var microseconds: Int64

    public init(months: Int32 = 0, days: Int32 = 0, microseconds: Int64 = 0) {
        self.months = months
        self.days = days
        self.microseconds = microseconds
    }

    public static var postgresType: PostgresDataType { .interval }
    public func encode(into buffer: inout [UInt8]) {
        buffer.appendBigEndian(microseconds)
        buffer.appendBigEndian(days)
        buffer.appendBigEndian(months)
    }

    /// Text in PostgreSQL's default `postgres` interval style, e.g. `1 mon 2 days 03:04:05.5`.
    public var description: String {
        var parts: [String] = []
        let years = months / 12, mons = months % 12
        if years != 0 { parts.append("\(years) year\(abs(years) == 1 ? "" : "s")") }
        if mons != 0 { parts.append("\(mons) mon\(abs(mons) == 1 ? "" : "s")") }
        if days != 0 { parts.append("\(days) day\(abs(days) == 1 ? "" : "s")") }
        if microseconds != 0 || parts.isEmpty {
            let negative = microseconds < 0
            let total = microseconds.magnitude
            let hours = total / 3_600_000_000
            let minutes = total / 60_000_000 % 60
            let seconds = total / 1_000_000 % 60
            let fraction = total % 1_000_000
            var clock = String(format: "%02llu:%02llu:%02llu", hours, minutes, seconds)
            if fraction != 0 {
                var digits = String(format: "%06llu", fraction)
                while digits.hasSuffix("0") { digits.removeLast() }
                clock += "." + digits
            }
            parts.append((negative ? "-" : "") + clock)
        }
        return parts.joined(separator: " ")
    }
}

extension PostgresTimestamp: Encodable {
    /// Encodes as its ISO 8601 text in UTC (`description`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
