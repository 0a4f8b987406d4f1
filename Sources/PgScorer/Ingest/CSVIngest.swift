import Foundation
import PgClient

/// Parses CSV readings (wide or long layout) and streams them into a `ReadingStore` load.
package struct CSVIngest {
    let skipBad: Bool
    let rejectPath: String
    let progress: Bool
    var layout: CSVLayout.Choice = .auto
    var longColumns = CSVLayout.LongColumns()
    /// For timestamps without a zone (nil: UTC for the long layout, refused for the wide).
    var timeZone: TimeZone?

    package init(
        skipBad: Bool, rejectPath: String, progress: Bool, layout: CSVLayout.Choice = .auto,
        longColumns: CSVLayout.LongColumns = CSVLayout.LongColumns(), timeZone: TimeZone? = nil
    ) {
        self.skipBad = skipBad
        self.rejectPath = rejectPath
        self.progress = progress
        self.layout = layout
        self.longColumns = longColumns
        self.timeZone = timeZone
    }

    package struct Result {
        package var summary: ReadingStore.LoadSummary
        package var rejected: Int
    }

    /// A line that cannot be loaded, with its number and why.
    struct BadLine: Error, CustomStringConvertible {
        let line: Int
        let reason: String
        var description: String { "line \(line): \(reason)" }
    }

    package func load(_ reader: CSVLineReader, into store: ReadingStore) async throws -> Result {
        var reader = reader
        guard let header = try reader.next() else { throw BadLine(line: 1, reason: "the file is empty (expected a header)") }
        let names = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let detected: CSVLayout
        do {
            detected = try CSVLayout.detect(header: header.map(String.init), choice: layout, longColumns: longColumns)
        } catch {
            throw BadLine(line: reader.lineNumber, reason: "\(error)")
        }
        var zoneless = timeZone
        if case .long = detected, zoneless == nil { zoneless = TimeZone(identifier: "UTC") }
        let timestamps = TimestampParser(zonelessTimeZone: zoneless)
        let featureCount: Int
        let columns: (ts: Int, device: Int, sensor: Int, values: [Int])
        switch detected {
        case .wide(let featureNames):
            featureCount = featureNames.count
            columns = (2, 0, 1, Array(3..<(3 + featureCount)))
        case .long(let ts, let device, let sensor, let value):
            featureCount = 1
            columns = (ts, device, sensor, [value])
        }
        let rejects: RejectReport? = skipBad ? try RejectReport(path: rejectPath) : nil
        var rejected = 0
        // Feature count and first line per series, to name the line when the database refuses one.
        var firstLine: [String: Int] = [:]
        let summary: ReadingStore.LoadSummary
        do {
            summary = try await store.load { send in
                var batch = ReadingStore.Batch()
                var features = [Double](repeating: 0, count: featureCount)
                while true {
                    let fields: [Substring]
                    do {
                        guard let next = try reader.next() else { break }
                        fields = next
                    } catch {
                        // A line that is not even text: report it as such.
                        let bad = BadLine(line: reader.lineNumber, reason: "\(error)")
                        guard let rejects else { throw bad }
                        rejects.add(bad, raw: "")
                        rejected += 1
                        continue
                    }
                    do {
                        guard fields.count == names.count else {
                            throw BadLine(line: reader.lineNumber, reason: "expected \(names.count) columns, found \(fields.count)")
                        }
                        let device = fields[columns.device].trimmingCharacters(in: .whitespaces)
                        let sensor = fields[columns.sensor].trimmingCharacters(in: .whitespaces)
                        guard !device.isEmpty, !sensor.isEmpty else {
                            throw BadLine(line: reader.lineNumber, reason: "device and sensor must not be empty")
                        }
                        let ts: PostgresTimestamp
                        do {
                            ts = try timestamps.parse(Substring(fields[columns.ts].trimmingCharacters(in: .whitespaces)))
                        } catch {
                            throw BadLine(line: reader.lineNumber, reason: "\(error)")
                        }
                        for (index, column) in columns.values.enumerated() {
                            let text = fields[column].trimmingCharacters(in: .whitespaces)
                            guard let value = Double(text) else {
                                throw BadLine(line: reader.lineNumber, reason: "column \(names[column]): '\(text.abbreviated)' is not a number")
                            }
                            guard value.isFinite else {
                                throw BadLine(line: reader.lineNumber, reason: "column \(names[column]): \(text.abbreviated) is not a finite number")
                            }
                            features[index] = value
                        }
                        let key = device + "\u{0}" + sensor
                        if firstLine[key] == nil { firstLine[key] = reader.lineNumber }
                        batch.append(device: device, sensor: sensor, ts: ts, features: features)
                    } catch let bad as BadLine {
                        guard let rejects else { throw bad }
                        rejects.add(bad, raw: fields.joined(separator: ","))
                        rejected += 1
                    }
                    if batch.count >= 5_000 {
                        try await send(&batch)
                        if progress {
                            FileHandle.standardError.write(Data("\r\(reader.lineNumber) lines, \(reader.bytesRead / 1_000_000) MB…".utf8))
                        }
                    }
                }
                try await send(&batch)
                if progress { FileHandle.standardError.write(Data("\r".utf8)) }
            }
        } catch let mismatch as ReadingError {
            guard case .featureCountMismatch(let device, let sensor, _, _, _) = mismatch else { throw mismatch }
            throw BadLine(line: firstLine[device + "\u{0}" + sensor] ?? 0, reason: "\(mismatch)")
        }
        try rejects?.close()
        return Result(summary: summary, rejected: rejected)
    }
}

