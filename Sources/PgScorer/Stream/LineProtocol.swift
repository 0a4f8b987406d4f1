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
        var lineNumber = 0
        var start = 0
        while start < body.count {
            var end = start
            while end < body.count, body[end] != 10 { end += 1 }
            lineNumber += 1
            var line = body[start..<end]
            start = end + 1
            if line.last == 13 { line = line.dropLast() }  // CRLF
            let content = line.drop(while: { $0 == 32 || $0 == 9 })
            if content.isEmpty || content.first == 35 { continue }  // blank or # comment
            decoded.append(decodeLine(content, number: lineNumber, arrival: arrival))
        }
        return decoded
    }

    private enum Field {
        case number(Double)
        case other(String)
    }

    /// One line: a reading, or why not.
    private func decodeLine(_ line: ArraySlice<UInt8>, number: Int, arrival: PostgresTimestamp) -> Result<Telemetry, Rejection> {
        let payload = TelemetryRules.payloadText(line)
        func refuse(_ reason: Rejection.Reason, _ detail: String, device: String? = nil, sensor: String? = nil) -> Result<Telemetry, Rejection> {
            .failure(Rejection(reason, "line \(number): \(detail)", device: device, sensor: sensor, payload: payload))
        }
        var index = line.startIndex
        // Reads up to an unescaped byte of `stops`; backslash escapes the next byte.
        func token(until stops: Set<UInt8>) -> String {
            var bytes: [UInt8] = []
            while index < line.endIndex, !stops.contains(line[index]) {
                if line[index] == 92, index + 1 < line.endIndex, stops.contains(line[index + 1]) || line[index + 1] == 92 || line[index + 1] == 61 {
                    index += 1
                }
                bytes.append(line[index])
                index += 1
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        let measurement = token(until: [44, 32])  // , space
        guard !measurement.isEmpty else { return refuse(.malformed, "the line has no measurement (the sensor)") }
        var device: String?
        while index < line.endIndex, line[index] == 44 {
            index += 1
            let key = token(until: [61, 44, 32])
            guard index < line.endIndex, line[index] == 61 else { return refuse(.malformed, "tag '\(key)' has no value", sensor: measurement) }
            index += 1
            let value = token(until: [44, 32])
            if key == "device" { device = value }
        }
        guard index < line.endIndex, line[index] == 32 else {
            return refuse(.malformed, "the line has no fields (e.g. \(measurement),device=pump-1 value=21.5)", device: device, sensor: measurement)
        }
        while index < line.endIndex, line[index] == 32 { index += 1 }
        var fields: [(String, Field)] = []
        repeat {
            if index < line.endIndex, line[index] == 44 { index += 1 }
            let key = token(until: [61, 44, 32])
            guard !key.isEmpty, index < line.endIndex, line[index] == 61 else {
                return refuse(.malformed, "a field has no key=value (e.g. value=21.5)", device: device, sensor: measurement)
            }
            index += 1
            if index < line.endIndex, line[index] == 34 {  // a quoted string
                index += 1
                var bytes: [UInt8] = []
                while index < line.endIndex, line[index] != 34 {
                    if line[index] == 92, index + 1 < line.endIndex { index += 1 }
                    bytes.append(line[index])
                    index += 1
                }
                guard index < line.endIndex else { return refuse(.malformed, "field '\(key)' has an unclosed quote", device: device, sensor: measurement) }
                index += 1
                fields.append((key, .other("the string \"\(String(decoding: bytes, as: UTF8.self))\"")))
            } else {
                let text = token(until: [44, 32])
                fields.append((key, Self.fieldValue(text)))
            }
        } while index < line.endIndex && line[index] == 44
        var ts = arrival
        while index < line.endIndex, line[index] == 32 { index += 1 }
        if index < line.endIndex {
            let text = String(decoding: line[index...], as: UTF8.self).trimmingTrailingSpaces()
            guard let count = Int64(text), let stamped = precision.timestamp(count) else {
                return refuse(.time, "'\(text)' is not a time in \(precision.rawValue) since the epoch", device: device, sensor: measurement)
            }
            ts = stamped
        }
        guard let device else {
            return refuse(.malformed, "the line has no device tag (e.g. \(measurement),device=pump-1 value=21.5)", sensor: measurement)
        }
        var features: [(String, Double)] = []
        for (key, value) in fields {
            switch value {
            case .number(let number): features.append((key, number))
            case .other(let what):
                return refuse(.malformed, "field '\(key)' is \(what); a reading's fields are numbers", device: device, sensor: measurement)
            }
        }
        if Set(features.map(\.0)).count != features.count {
            return refuse(.malformed, "a field key repeats", device: device, sensor: measurement)
        }
        features.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        return .success(Telemetry(device: device, sensor: measurement, ts: ts, features: features.map(\.1), payload: payload))
    }

    /// A field's value: a float, an integer (`42i`) or unsigned (`42u`); else what it is.
    private static func fieldValue(_ text: String) -> Field {
        if let last = text.last, last == "i" || last == "u", let integer = Int64(text.dropLast()) { return .number(Double(integer)) }
        switch text {
        case "t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE": return .other("the boolean \(text)")
        default: break
        }
        // Swift reads "nan" and "inf" too; those are not finite and refused later.
        if let number = Double(text), text.first != "+" || text.count > 1 { return .number(number) }
        return .other("'\(text)', not a number")
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var text = Substring(self)
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return String(text)
    }
}
