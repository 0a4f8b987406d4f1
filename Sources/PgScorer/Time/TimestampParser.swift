import Foundation
import PgClient

/// Parses ISO 8601 timestamps strictly: `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]]` followed
/// by `Z` or `±HH[:MM]`. Without a zone, the time is read in `zonelessTimeZone` if one
/// is set (daylight saving included); else it is refused (an instant is never guessed).
/// A zoneless time that a daylight-saving change skips (a gap) or repeats (the repeated
/// hour) is refused too: it names no instant, or two.
package struct TimestampParser: Sendable {
    /// Time zone for timestamps that carry none, or nil to refuse them.
    var zonelessTimeZone: TimeZone?

    package init(zonelessTimeZone: TimeZone? = nil) { self.zonelessTimeZone = zonelessTimeZone }

    package enum Failure: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case outOfRange(String)
        case missingZone(String)
        case nonexistentLocalTime(String, zone: String)
        case ambiguousLocalTime(String, zone: String)

        package var description: String {
            switch self {
            case .malformed(let text): "unparsable timestamp '\(text)' (expected ISO 8601, e.g. 2026-11-24T13:05:00Z)"
            case .outOfRange(let text): "timestamp '\(text)' is out of range"
            case .missingZone(let text): "timestamp '\(text)' has no time zone (add Z or an offset such as +01:00, or give --timezone, e.g. --timezone UTC)"
            case .nonexistentLocalTime(let text, let zone):
                "local time '\(text)' does not exist in \(zone): the clocks skip it when daylight saving time begins (give it with its offset)"
            case .ambiguousLocalTime(let text, let zone):
                "local time '\(text)' happens twice in \(zone): the clocks repeat that hour when daylight saving time ends (give it with its offset)"
            }
        }
    }

    package func parse(_ text: Substring) throws(Failure) -> PostgresTimestamp {
        // Parse the bytes in place when the text has contiguous storage (almost always).
        if let result = text.utf8.withContiguousStorageIfAvailable({ bytes in
            Result { () throws(Failure) in try parse(bytes, text: text) }
        }) {
            return try result.get()
        }
        return try parse(Array(text.utf8), text: text)
    }

    private func parse<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, text: Substring) throws(Failure) -> PostgresTimestamp
    where Bytes.Index == Int {
        var index = bytes.startIndex
        func number(_ digits: Int) throws(Failure) -> Int {
            guard index + digits <= bytes.count else { throw .malformed(String(text)) }
            var value = 0
            for _ in 0..<digits {
                let byte = bytes[index]
                guard (48...57).contains(byte) else { throw .malformed(String(text)) }
                value = value * 10 + Int(byte - 48)
                index += 1
            }
            return value
        }
        func expect(_ character: UInt8) throws(Failure) {
            guard index < bytes.count, bytes[index] == character else { throw .malformed(String(text)) }
            index += 1
        }
        let year = try number(4)
        try expect(UInt8(ascii: "-"))
        let month = try number(2)
        try expect(UInt8(ascii: "-"))
        let day = try number(2)
        guard index < bytes.count, bytes[index] == UInt8(ascii: "T") || bytes[index] == UInt8(ascii: "t") || bytes[index] == UInt8(ascii: " ") else {
            throw .malformed(String(text))
        }
        index += 1
        let hour = try number(2)
        try expect(UInt8(ascii: ":"))
        let minute = try number(2)
        var second = 0
        var micros = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ":") {
            index += 1
            second = try number(2)
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: ",") {
                index += 1
                var digits = 0
                while index < bytes.count, (48...57).contains(bytes[index]) {
                    if digits < 6 { micros = micros * 10 + Int(bytes[index] - 48) }
                    digits += 1
                    index += 1
                }
                guard digits > 0 else { throw .malformed(String(text)) }
                for _ in min(digits, 6)..<6 { micros *= 10 }
            }
        }
        var offset: Int?
        if index == bytes.count {
            guard zonelessTimeZone != nil else { throw .missingZone(String(text)) }
            offset = nil
        } else if bytes[index] == UInt8(ascii: "Z") || bytes[index] == UInt8(ascii: "z") {
            index += 1
            offset = 0
        } else if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            let offsetHours = try number(2)
            var offsetMinutes = 0
            if index < bytes.count {
                if bytes[index] == UInt8(ascii: ":") { index += 1 }
                offsetMinutes = try number(2)
            }
            guard offsetHours <= 15, offsetMinutes < 60 else { throw .outOfRange(String(text)) }
            offset = sign * (offsetHours * 3600 + offsetMinutes * 60)
        } else {
            throw .malformed(String(text))
        }
        guard index == bytes.count else { throw .malformed(String(text)) }
        guard (1...9999).contains(year), (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 60
        else { throw .outOfRange(String(text)) }
        let days = Self.daysFromCivil(year: year, month: month, day: day)
        let local = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        let seconds: Int64
        if let offset {
            seconds = local - Int64(offset)
        } else {
            seconds = try Self.instant(ofLocal: local, in: zonelessTimeZone!, text: text)
        }
        return PostgresTimestamp(unixMicroseconds: seconds * 1_000_000 + Int64(micros))
    }

    /// The instant (Unix seconds) of wall-clock time `local` (seconds since the epoch as
    /// if the wall clock were UTC) in `zone`. The offsets a day before and after are the
    /// candidates; an instant is one whose own offset is the one it was made with. None:
    /// the local time was skipped; two: it was repeated.
    static func instant(ofLocal local: Int64, in zone: TimeZone, text: Substring) throws(Failure) -> Int64 {
        func offset(at instant: Int64) -> Int { zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant))) }
        let before = offset(at: local - 86_400), after = offset(at: local + 86_400)
        if before == after { return local - Int64(before) }
        let instants = Set([before, after].compactMap { candidate -> Int64? in
            let instant = local - Int64(candidate)
            return offset(at: instant) == candidate ? instant : nil
        })
        guard let instant = instants.first else { throw .nonexistentLocalTime(String(text), zone: zone.identifier) }
        guard instants.count == 1 else { throw .ambiguousLocalTime(String(text), zone: zone.identifier) }
        return instant
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
