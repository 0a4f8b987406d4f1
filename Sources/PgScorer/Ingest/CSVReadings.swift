import Foundation
import PgClient

/// What `pgscorer ingest` was told about a file.
package struct CSVOptions: Sendable {
    package var layout: CSVLayout.Choice = .auto
    package var longColumns = CSVLayout.LongColumns()
    /// For a file of one series: its device and sensor.
    package var device: String?
    package var sensor: String?
    package var delimiter: Character = ","
    /// For timestamps without a zone (nil: UTC for the long and single layouts, refused
    /// for the wide one).
    package var timeZone: TimeZone?

    package init() {}
}

/// Parses a readings CSV (wide, long, or one series) into readings, one at a time. Bad
/// lines (wrong column count, a value that is not a finite number, a timestamp that is
/// malformed, without zone, or not an instant in its zone) stop the load with their line
/// number, or with `rejects` go to the reject report and are counted.
package struct CSVReadings: ReadingSource {
    private var reader: CSVLineReader
    private let layout: CSVLayout
    private let names: [String]
    private let columns: (ts: Int, device: Int?, sensor: Int?, values: [Int])
    private let timestamps: TimestampParser
    private let options: CSVOptions
    private let rejects: RejectReport?
    private var pendingFirstLine: [Substring]?

    package var bytesRead: Int { reader.bytesRead }
    /// The layout and which column is which, as understood from the first line.
    package let understood: String

    /// Reads the first line to tell the layout.
    package init(reader: CSVLineReader, options: CSVOptions, rejects: RejectReport?) throws {
        self.reader = reader
        self.options = options
        self.rejects = rejects
        guard let first = try self.reader.next() else { throw BadLine(line: 1, reason: "the file is empty (expected a header)") }
        let singleSeries = options.device != nil || options.sensor != nil
        if singleSeries, options.device == nil || options.sensor == nil {
            throw PgScorerError(.invalidInput, "a file of one series needs both --device and --sensor")
        }
        let zoneless = options.timeZone ?? TimeZone(identifier: "UTC")
        let parser = TimestampParser(zonelessTimeZone: zoneless)
        do {
            layout = try CSVLayout.detect(
                header: first.map(String.init), choice: options.layout, longColumns: options.longColumns, singleSeries: singleSeries,
                isTimestamp: { (try? Self.timestamp(Substring($0), parser)) != nil })
        } catch {
            throw BadLine(line: 1, reason: "\(error)")
        }
        names = first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        understood = layout.description(header: first.map(String.init), device: options.device, sensor: options.sensor)
        switch layout {
        case .wide(let featureNames):
            columns = (2, 0, 1, Array(3..<(3 + featureNames.count)))
            // A wide file without zones is refused unless --timezone says which.
            timestamps = TimestampParser(zonelessTimeZone: options.timeZone)
        case .long(let ts, let device, let sensor, let value):
            columns = (ts, device, sensor, [value])
            timestamps = parser
        case .single(let featureCount, let hasHeader):
            columns = (0, nil, nil, Array(1...featureCount))
            timestamps = parser
            if !hasHeader { pendingFirstLine = first }
        }
    }

    package mutating func next() throws -> ParsedReading? {
        while true {
            let fields: [Substring]
            if let first = pendingFirstLine {
                fields = first
                pendingFirstLine = nil
            } else {
                do {
                    guard let line = try reader.next() else { return nil }
                    fields = line
                } catch {
                    // A line that is not even text: report it as such.
                    try reject(BadLine(line: reader.lineNumber, reason: "\(error)"), raw: "")
                    continue
                }
            }
            do {
                return try reading(fields)
            } catch let bad as BadLine {
                try reject(bad, raw: fields.joined(separator: String(options.delimiter)))
            }
        }
    }

    /// Sends `bad` to the reject report, or throws it when there is none.
    private func reject(_ bad: BadLine, raw: String) throws {
        guard let rejects else { throw bad }
        rejects.add(bad, raw: raw)
    }

    private func reading(_ fields: [Substring]) throws -> ParsedReading {
        let line = reader.lineNumber
        guard fields.count == names.count else { throw BadLine(line: line, reason: "expected \(names.count) columns, found \(fields.count)") }
        let device = columns.device.map { String(Self.trimmed(fields[$0])) } ?? options.device!
        let sensor = columns.sensor.map { String(Self.trimmed(fields[$0])) } ?? options.sensor!
        guard !device.isEmpty, !sensor.isEmpty else { throw BadLine(line: line, reason: "device and sensor must not be empty") }
        if let problem = SeriesName.problem(device, role: "device") ?? SeriesName.problem(sensor, role: "sensor") {
            throw BadLine(line: line, reason: problem)
        }
        let ts: PostgresTimestamp
        do {
            ts = try Self.timestamp(fields[columns.ts], timestamps)
        } catch {
            throw BadLine(line: line, reason: "\(error)")
        }
        var features: [Double] = []
        features.reserveCapacity(columns.values.count)
        for column in columns.values {
            let text = Self.trimmed(fields[column])
            guard let value = Self.number(text) else {
                throw BadLine(line: line, reason: "column \(names[column]): '\(String(text).abbreviated)' is not a number")
            }
            guard value.isFinite else {
                throw BadLine(line: line, reason: "column \(names[column]): \(String(text).abbreviated) is not a finite number")
            }
            features.append(value)
        }
        return ParsedReading(device: device, sensor: sensor, ts: ts, features: features, line: line)
    }

    /// An ISO 8601 time, or seconds or milliseconds since 1970 (a number of 10^11 or
    /// more is milliseconds: seconds that large lie past the year 5000).
    static func timestamp(_ field: Substring, _ parser: TimestampParser) throws -> PostgresTimestamp {
        let text = trimmed(field)
        do {
            return try parser.parse(text)
        } catch .malformed(let original) {
            guard let epoch = Double(text), epoch.isFinite else { throw TimestampParser.Failure.malformed(original) }
            let microseconds = abs(epoch) >= 1e11 ? epoch * 1_000 : epoch * 1_000_000
            guard abs(microseconds) < 2.5e17 else { throw TimestampParser.Failure.outOfRange(original) }
            return PostgresTimestamp(unixMicroseconds: Int64(microseconds.rounded()))
        }
    }

    /// The number `text` spells. Plain decimals of up to 15 digits (nearly every sensor
    /// value) are read exactly here: the digits and the power of ten are both exact as
    /// doubles, so one division rounds correctly (Clinger's fast path). Anything else
    /// (exponents, more digits, inf, nan) goes to `Double(_:)`.
    package static func number(_ text: Substring) -> Double? {
        let fast = text.utf8.withContiguousStorageIfAvailable { bytes -> Double? in
            var index = 0
            var negative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                negative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            var mantissa: Int64 = 0
            var digits = 0
            var fractionDigits = 0
            var seenPoint = false
            while index < bytes.count {
                let byte = bytes[index]
                if byte >= 48 && byte <= 57 {
                    guard digits < 15 else { return nil }
                    mantissa = mantissa * 10 + Int64(byte - 48)
                    if mantissa > 0 || seenPoint { digits += 1 }
                    if seenPoint { fractionDigits += 1 }
                } else if byte == UInt8(ascii: "."), !seenPoint {
                    seenPoint = true
                } else {
                    return nil
                }
                index += 1
            }
            guard bytes.contains(where: { $0 >= 48 && $0 <= 57 }) else { return nil }
            let value = Double(mantissa) / Self.powersOfTen[fractionDigits]
            return negative ? -value : value
        }
        if let fast, let value = fast { return value }
        return Double(text)
    }

    private static let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

    /// `field` without surrounding spaces or tabs, looked at byte by byte (no copy).
    static func trimmed(_ field: Substring) -> Substring {
        let bytes = field.utf8
        func blank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        guard let first = bytes.first, let last = bytes.last, blank(first) || blank(last) else { return field }
        var start = bytes.startIndex, end = bytes.endIndex
        while start < end, blank(bytes[start]) { start = bytes.index(after: start) }
        while end > start, blank(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        return Substring(bytes[start..<end])
    }
}
