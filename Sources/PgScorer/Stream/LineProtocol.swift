import PgClient

/// InfluxDB line protocol, as `POST /write` takes it, so Influx client libraries and
/// Telegraf's `influxdb` output write unchanged:
///
///     temp,device=pump-1 value=21.5 1764680000000000000
///
/// The measurement names the sensor and the `device` tag the device (other tags are
/// ignored); the numeric fields, in the order of their keys, are the features (a lone
/// `value` field: one feature). Integers (`42i`, `42u`) are numbers too; a string or
/// boolean field refuses the line, as a feature must be a number. The time is in the
/// request's precision (ns unless `precision=` says us, ms or s), or the arrival time
/// when the line has none. Each line stands alone: a bad one is refused with its number
/// and why, the others are stored.
package struct LineProtocol: Sendable {
    /// The unit of a line's time.
    package enum Precision: String, Sendable {
        case ns, us, ms, s

        /// Influx's names too: `n`, `u`, `µs`.
        package init?(parameter: String) {
            switch parameter {
            case "ns", "n": self = .ns
            case "us", "u", "µs", "µ": self = .us
            case "ms": self = .ms
            case "s": self = .s
            default: return nil
            }
        }

        func timestamp(_ count: Int64) -> PostgresTimestamp? {
            switch self {
            case .ns: return PostgresTimestamp(unixMicroseconds: count / 1_000)
            case .us: return PostgresTimestamp(unixMicroseconds: count)
            case .ms: return count.multipliedReportingOverflow(by: 1_000).overflow ? nil : PostgresTimestamp(unixMicroseconds: count * 1_000)
            case .s:
                return count.multipliedReportingOverflow(by: 1_000_000).overflow ? nil : PostgresTimestamp(unixMicroseconds: count * 1_000_000)
            }
        }
    }

    package var precision: Precision = .ns

    package init(precision: Precision = .ns) { self.precision = precision }

    /// The readings of `body`, and the lines refused (each with its number).
    package func decode(_ body: [UInt8], arrival: PostgresTimestamp) -> DecodedTelemetry {
        var decoded = DecodedTelemetry()
        decoded.readings.reserveCapacity(body.count / 48)
        body.withUnsafeBufferPointer { bytes in
            var lineNumber = 0
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count, bytes[end] != 10 { end += 1 }
                lineNumber += 1
                var last = end
                if last > start, bytes[last - 1] == 13 { last -= 1 }  // CRLF
                var first = start
                while first < last, bytes[first] == 32 || bytes[first] == 9 { first += 1 }
                if first < last, bytes[first] != 35 {  // not blank, not a # comment
                    var scanner = Scanner(bytes: bytes, index: first, end: last)
                    decoded.append(decodeLine(&scanner, number: lineNumber, arrival: arrival))
                }
                start = end + 1
            }
        }
        return decoded
    }

    /// Reads one line's bytes; names are copied out only once they are known.
    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var index: Int
        let end: Int
        let start: Int

        init(bytes: UnsafeBufferPointer<UInt8>, index: Int, end: Int) {
            self.bytes = bytes
            self.index = index
            self.end = end
            start = index
        }

        var atEnd: Bool { index >= end }
        var current: UInt8 { bytes[index] }
        var line: String { String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) }

        /// Up to an unescaped `,` or space (and `=` when `equals`); a backslash escapes the next byte.
        mutating func token(stopAtEquals: Bool) -> String {
            let from = index
            var escaped = false
            while index < end {
                let byte = bytes[index]
                if byte == 44 || byte == 32 || (stopAtEquals && byte == 61) { break }
                if byte == 92, index + 1 < end {
                    escaped = true
                    index += 2
                    continue
                }
                index += 1
            }
            let raw = UnsafeBufferPointer(rebasing: bytes[from..<index])
            guard escaped else { return String(decoding: raw, as: UTF8.self) }
            var unescaped: [UInt8] = []
            var position = 0
            while position < raw.count {
                if raw[position] == 92, position + 1 < raw.count { position += 1 }
                unescaped.append(raw[position])
                position += 1
            }
            return String(decoding: unescaped, as: UTF8.self)
        }

        /// The raw bytes up to an unescaped `,` or space, as text (a field value).
        mutating func value() -> Substring {
            let from = index
            while index < end, bytes[index] != 44, bytes[index] != 32 { index += 1 }
            return Substring(String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<index]), as: UTF8.self))
        }
    }

    private enum Field {
        case number(Double)
        case other(String)
    }

    /// One line: a reading, or why not.
    private func decodeLine(_ scanner: inout Scanner, number: Int, arrival: PostgresTimestamp) -> Result<Telemetry, Rejection> {
        func refuse(_ reason: Rejection.Reason, _ detail: String, device: String? = nil, sensor: String? = nil) -> Result<Telemetry, Rejection> {
            let payload = TelemetryRules.payloadText(UnsafeBufferPointer(rebasing: scanner.bytes[scanner.start..<scanner.end]))
            return .failure(Rejection(reason, "line \(number): \(detail)", device: device, sensor: sensor, payload: payload))
        }
        let measurement = scanner.token(stopAtEquals: false)
        guard !measurement.isEmpty else { return refuse(.malformed, "the line has no measurement (the sensor)") }
        var device: String?
        while !scanner.atEnd, scanner.current == 44 {
            scanner.index += 1
            let key = scanner.token(stopAtEquals: true)
            guard !scanner.atEnd, scanner.current == 61 else { return refuse(.malformed, "tag '\(key)' has no value", sensor: measurement) }
            scanner.index += 1
            let value = scanner.token(stopAtEquals: false)
            if key == "device" { device = value }
        }
        guard !scanner.atEnd, scanner.current == 32 else {
            return refuse(.malformed, "the line has no fields (e.g. \(measurement),device=pump-1 value=21.5)", device: device, sensor: measurement)
        }
        while !scanner.atEnd, scanner.current == 32 { scanner.index += 1 }
        var fields: [(key: String, value: Field)] = []
        repeat {
            if !scanner.atEnd, scanner.current == 44 { scanner.index += 1 }
            let key = scanner.token(stopAtEquals: true)
            guard !key.isEmpty, !scanner.atEnd, scanner.current == 61 else {
                return refuse(.malformed, "a field has no key=value (e.g. value=21.5)", device: device, sensor: measurement)
            }
            scanner.index += 1
            if !scanner.atEnd, scanner.current == 34 {  // a quoted string
                scanner.index += 1
                var text: [UInt8] = []
                while !scanner.atEnd, scanner.current != 34 {
                    if scanner.current == 92, scanner.index + 1 < scanner.end { scanner.index += 1 }
                    text.append(scanner.current)
                    scanner.index += 1
                }
                guard !scanner.atEnd else { return refuse(.malformed, "field '\(key)' has an unclosed quote", device: device, sensor: measurement) }
                scanner.index += 1
                fields.append((key, .other("the string \"\(String(decoding: text, as: UTF8.self))\"")))
            } else {
                fields.append((key, Self.fieldValue(scanner.value())))
            }
        } while !scanner.atEnd && scanner.current == 44
        var ts = arrival
        while !scanner.atEnd, scanner.current == 32 { scanner.index += 1 }
        if !scanner.atEnd {
            var text = scanner.value()
            while text.last == " " || text.last == "\t" { text = text.dropLast() }
            guard scanner.atEnd, let count = Int64(text), let stamped = precision.timestamp(count) else {
                let rest = String(decoding: UnsafeBufferPointer(rebasing: scanner.bytes[(scanner.index - text.utf8.count)..<scanner.end]), as: UTF8.self)
                return refuse(.time, "'\(rest)' is not a time in \(precision.rawValue) since the epoch", device: device, sensor: measurement)
            }
            ts = stamped
        }
        guard let device else {
            return refuse(.malformed, "the line has no device tag (e.g. \(measurement),device=pump-1 value=21.5)", sensor: measurement)
        }
        var features: [Double] = []
        features.reserveCapacity(fields.count)
        if fields.count > 1 {
            fields.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for index in 1..<fields.count where fields[index].key == fields[index - 1].key {
                return refuse(.malformed, "field '\(fields[index].key)' repeats", device: device, sensor: measurement)
            }
        }
        for (key, value) in fields {
            switch value {
            case .number(let number): features.append(number)
            case .other(let what):
                return refuse(.malformed, "field '\(key)' is \(what); a reading's fields are numbers", device: device, sensor: measurement)
            }
        }
        return .success(Telemetry(device: device, sensor: measurement, ts: ts, features: features, payload: scanner.line))
    }

    /// A field's value: a float, an integer (`42i`) or unsigned (`42u`); else what it is.
    private static func fieldValue(_ text: Substring) -> Field {
        if let last = text.last, last == "i" || last == "u", let integer = Int64(text.dropLast()) { return .number(Double(integer)) }
        // Swift reads "nan" and "inf" too; those are not finite and refused later.
        if let number = Double(text), text.first != "+" || text.count > 1 { return .number(number) }
        switch text {
        case "t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE": return .other("the boolean \(text)")
        default: return .other("'\(text)', not a number")
        }
    }
}
