import Foundation
import PgClient

/// A CSV body posted to the gateway's `/ingest`, in any layout `pgscorer ingest` reads
/// (wide, long, or one series with `device` and `sensor` in the query): each line a
/// reading or, when it cannot be read, a dead letter with its number and why.
package enum TelemetryCSV {
    package static func decode(_ body: [UInt8], device: String?, sensor: String?) throws -> DecodedTelemetry {
        // The CSV reader reads files; a body is one for the moment it takes.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-stream-\(UUID().uuidString).csv").path
        guard FileManager.default.createFile(atPath: path, contents: Data(body)), let handle = FileHandle(forReadingAtPath: path) else {
            throw PgScorerError(.file, "cannot stage the posted CSV in \(FileManager.default.temporaryDirectory.path)")
        }
        defer {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: path)
        }
        var options = CSVOptions()
        options.device = device
        options.sensor = sensor
        let rejects = RejectReport()
        var decoded = DecodedTelemetry()
        do {
            var readings = try CSVReadings(reader: CSVLineReader(handle: handle), options: options, rejects: rejects)
            while let reading = try readings.next() {
                decoded.readings.append(Telemetry(
                    device: reading.device, sensor: reading.sensor, ts: reading.ts, features: reading.features,
                    payload: "line \(reading.line): \(reading.device),\(reading.sensor),\(reading.ts),\(reading.features.map { "\($0)" }.joined(separator: ","))"))
            }
        } catch let bad as BadLine {
            decoded.rejections.append(Rejection(.malformed, "\(bad)", payload: TelemetryRules.payloadText(body.prefix(4096))))
        }
        for (bad, raw) in rejects.kept {
            decoded.rejections.append(Rejection(.malformed, "\(bad)", payload: TelemetryRules.payloadText(Array(raw.utf8))))
        }
        return decoded
    }
}
