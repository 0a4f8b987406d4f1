import Kernels
import PgClient

/// Readings in JSON, as `POST /ingest` takes them (one object per line, naming its
/// series) and as MQTT messages carry them (the topic names the series):
///
///     {"device":"pump-1","sensor":"temp","ts":"2026-12-02T10:00:00Z","value":21.5}
///     {"ts":1764669600,"values":[21.5,0.3]}
///     21.5
///
/// `ts` is ISO 8601 with a zone or an epoch count (see `TelemetryTime`); without it, or
/// for a bare number, the reading is stamped with its arrival time.
package enum TelemetryJSON {
    /// The readings of a body of JSON lines; each line stands alone.
    package static func decodeLines(_ body: [UInt8], arrival: PostgresTimestamp) -> DecodedTelemetry {
        var decoded = DecodedTelemetry()
        var lineNumber = 0
        for line in body.split(separator: 10, omittingEmptySubsequences: false) {
            lineNumber += 1
            let content = line.last == 13 ? line.dropLast() : line
            if content.allSatisfy({ $0 == 32 || $0 == 9 }) { continue }
            let payload = TelemetryRules.payloadText(content)
            guard let object = try? JSONValue.parse(Array(content)), case .object = object else {
                decoded.rejections.append(Rejection(.malformed, "line \(lineNumber): not a JSON object", payload: payload))
                continue
            }
            guard case .string(let device) = object["device"], case .string(let sensor) = object["sensor"] else {
                decoded.rejections.append(Rejection(
                    .malformed, "line \(lineNumber): the object needs \"device\" and \"sensor\" (strings)", payload: payload))
                continue
            }
            decoded.append(reading(object, device: device, sensor: sensor, payload: payload, arrival: arrival)
                .mapError { rejection in
                    var numbered = rejection
                    numbered.detail = "line \(lineNumber): \(rejection.detail)"
                    return numbered
                })
        }
        return decoded
    }

    /// The reading of one MQTT message of the series `device`/`sensor` (from its topic).
    package static func decodeMessage(
        _ payload: [UInt8], device: String, sensor: String, arrival: PostgresTimestamp
    ) -> Result<Telemetry, Rejection> {
        let text = TelemetryRules.payloadText(payload)
        guard let value = try? JSONValue.parse(payload) else {
            return .failure(Rejection(.malformed, "the message is not JSON or a number", device: device, sensor: sensor, payload: text))
        }
        if case .object = value {
            return reading(value, device: device, sensor: sensor, payload: text, arrival: arrival)
        }
        if case .number(let number, _) = value {
            return .success(Telemetry(device: device, sensor: sensor, ts: arrival, features: [number], payload: text))
        }
        return .failure(Rejection(
            .malformed, "the message is neither a number nor an object with \"value\" or \"values\"", device: device, sensor: sensor, payload: text))
    }

    /// A reading from an object with `value` or `values` and maybe `ts`.
    private static func reading(
        _ object: JSONValue, device: String, sensor: String, payload: String, arrival: PostgresTimestamp
    ) -> Result<Telemetry, Rejection> {
        func refuse(_ reason: Rejection.Reason, _ detail: String) -> Result<Telemetry, Rejection> {
            .failure(Rejection(reason, detail, device: device, sensor: sensor, payload: payload))
        }
        let features: [Double]
        if let value = object["value"] {
            guard case .number(let number, _) = value else { return refuse(.malformed, "\"value\" is not a number") }
            features = [number]
        } else if let values = object["values"] {
            guard case .array(let list) = values, !list.isEmpty else { return refuse(.malformed, "\"values\" is not a list of numbers") }
            var numbers: [Double] = []
            numbers.reserveCapacity(list.count)
            for item in list {
                guard case .number(let number, _) = item else { return refuse(.malformed, "\"values\" holds something that is not a number") }
                numbers.append(number)
            }
            features = numbers
        } else {
            return refuse(.malformed, "the object has neither \"value\" nor \"values\"")
        }
        var ts = arrival
        switch object["ts"] {
        case nil, .null?: break
        case .string(let text)?:
            guard let parsed = TelemetryTime.parse(Substring(text)) else { return refuse(.time, TelemetryTime.problem(Substring(text))) }
            ts = parsed
        case .number(_, let text)?:
            // Integers keep every digit (nanoseconds do not fit a double exactly).
            if let integer = Int64(text) {
                ts = TelemetryTime.epoch(integer)
            } else if let stamped = Double(text).flatMap(TelemetryTime.epoch) {
                ts = stamped
            } else {
                return refuse(.time, "\"ts\" \(text) is out of range")
            }
        default:
            return refuse(.time, "\"ts\" is neither a time nor an epoch count")
        }
        return .success(Telemetry(device: device, sensor: sensor, ts: ts, features: features, payload: payload))
    }
}
