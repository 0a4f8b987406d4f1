import Foundation
import PgClient

/// One reading as a device sent it, decoded: its series by name, its time, its features,
/// and the message or line it came in (kept for the dead-letter table).
package struct Telemetry: Sendable, Equatable {
    package var device: String
    package var sensor: String
    package var ts: PostgresTimestamp
    package var features: [Double]
    package var payload: String

    package init(device: String, sensor: String, ts: PostgresTimestamp, features: [Double], payload: String) {
        self.device = device
        self.sensor = sensor
        self.ts = ts
        self.features = features
        self.payload = payload
    }
}

/// Something received that is not stored, and why: it goes to `pgscorer.rejected_readings`.
package struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// The reasons as the dead-letter table names them.
    package enum Reason: String, Sendable, CaseIterable {
        /// A different value for a (series, time) that is stored or came earlier.
        case conflict
        /// Not JSON, not line protocol, not a number where one belongs.
        case malformed
        /// An MQTT topic that no `--topic` template matches.
        case topic
        /// A feature count other than the series'.
        case features
        /// A time that cannot be read, has no zone, or lies out of range.
        case time
        /// An empty, overlong or unprintable device or sensor name.
        case name
    }

    package var reason: Reason
    /// What was wrong, in words.
    package var detail: String
    package var device: String?
    package var sensor: String?
    package var ts: PostgresTimestamp?
    package var payload: String

    package init(
        _ reason: Reason, _ detail: String, device: String? = nil, sensor: String? = nil, ts: PostgresTimestamp? = nil, payload: String
    ) {
        self.reason = reason
        self.detail = detail
        self.device = device
        self.sensor = sensor
        self.ts = ts
        self.payload = payload
    }

    package var description: String { "\(reason.rawValue): \(detail)" }
}

/// What a message or request body decodes to: readings to store, and what to refuse.
package struct DecodedTelemetry: Sendable {
    package var readings: [Telemetry] = []
    package var rejections: [Rejection] = []

    package init(readings: [Telemetry] = [], rejections: [Rejection] = []) {
        self.readings = readings
        self.rejections = rejections
    }

    package mutating func append(_ result: Result<Telemetry, Rejection>) {
        switch result {
        case .success(let reading): readings.append(reading)
        case .failure(let rejection): rejections.append(rejection)
        }
    }

    package var count: Int { readings.count + rejections.count }
}

/// The checks every decoded reading passes, whatever carried it: printable names, finite
/// features, a time inside what the gateway accepts.
package struct TelemetryRules: Sendable {
    /// The earliest time accepted: a device whose clock was never set sends 1970.
    package static let earliest = PostgresTimestamp(microsecondsSince2000: 0)
    /// How far ahead of the gateway's clock a time may be.
    package var maximumAhead: Duration = .seconds(86_400)
    /// Features per reading, as a series may have (`series_n_features_check`).
    package static let maximumFeatures = 4096
    /// Payload kept in a dead letter, in bytes.
    package static let maximumPayload = 64 * 1024

    package init() {}

    /// `reading`, or why it cannot be stored.
    package func check(_ reading: Telemetry, now: PostgresTimestamp) -> Result<Telemetry, Rejection> {
        func refuse(_ reason: Rejection.Reason, _ detail: String) -> Result<Telemetry, Rejection> {
            .failure(Rejection(
                reason, detail, device: reading.device.isEmpty ? nil : reading.device, sensor: reading.sensor.isEmpty ? nil : reading.sensor,
                ts: reason == .time ? nil : reading.ts, payload: reading.payload))
        }
        if let problem = SeriesName.problem(reading.device, role: "device") ?? SeriesName.problem(reading.sensor, role: "sensor") {
            return refuse(.name, problem)
        }
        if reading.features.isEmpty { return refuse(.malformed, "the reading has no value") }
        if reading.features.count > Self.maximumFeatures {
            return refuse(.features, "the reading has \(reading.features.count) features; at most \(Self.maximumFeatures)")
        }
        if let bad = reading.features.first(where: { !$0.isFinite }) {
            return refuse(.malformed, "the value \(bad) is not a finite number")
        }
        if reading.ts < Self.earliest {
            return refuse(.time, "the time \(reading.ts) is before 2000 (a device clock that was never set?)")
        }
        let latest = now.microsecondsSince2000 + Int64(maximumAhead.seconds * 1e6)
        if reading.ts.microsecondsSince2000 > latest {
            return refuse(.time, "the time \(reading.ts) is more than \(DurationText.format(maximumAhead)) ahead of the gateway's clock")
        }
        return .success(reading)
    }

    /// Text safe to store as a dead letter's payload: valid UTF-8, no NUL, at most 64 kB.
    package static func payloadText(_ bytes: some Collection<UInt8>) -> String {
        var text = String(decoding: bytes.prefix(maximumPayload), as: UTF8.self)
        if text.utf8.contains(0) { text = text.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}") }
        return bytes.count > maximumPayload ? text + "… (\(bytes.count) bytes)" : text
    }
}
