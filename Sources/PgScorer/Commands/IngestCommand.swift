import ArgumentParser
import Foundation
import Logging
import PgClient

/// `pgscorer ingest`: load readings from CSV.
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Load readings from a CSV file (or - for standard input) with COPY.",
        discussion: """
            Two layouts, told apart by the header (or forced with --layout):
              wide: device,sensor,ts,<one column per feature…> — one reading per row, with all its features;
              long: a timestamp, a device, a sensor and a value column, in any order and case (e.g. TS,Device,Sensor,Value;
                    or name them with --ts-col/--device-col/--sensor-col/--value-col) — one-feature readings.
            ts is ISO 8601 (2026-11-24T13:05:00Z, 2026-11-24 14:05:00.25+01:00). Timestamps without a zone are read in
            --timezone: by default UTC for the long layout, and refused for the wide layout unless --timezone is given.
            Series are created on first sight; loading the same readings again adds nothing.
            A bad line (wrong column count, unparsable number or timestamp, NaN/inf, a feature count that differs
            from its series) stops the load with its line number and nothing from the file is stored — unless
            --skip-bad is given: then bad lines go to a reject report and the good ones are loaded.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "CSV file, or - for standard input.") var file: String

    @Flag(name: .customLong("skip-bad"), help: "Load the good lines; write bad ones to the reject report.")
    var skipBad = false

    @Option(help: "Reject report for --skip-bad (default: FILE.rejects.csv, or rejects.csv for stdin).")
    var rejects: String?

    @Option(help: "auto, wide or long.") var layout: CSVLayout.Choice = .auto
    @Option(help: "Time zone for timestamps without one, e.g. UTC or Europe/Berlin. Default: UTC for the long layout; the wide layout refuses them unless this is given.")
    var timezone: String?
    @Option(name: .customLong("ts-col"), help: "Long layout: name of the timestamp column.") var tsColumn: String?
    @Option(name: .customLong("device-col"), help: "Long layout: name of the device column.") var deviceColumn: String?
    @Option(name: .customLong("sensor-col"), help: "Long layout: name of the sensor column.") var sensorColumn: String?
    @Option(name: .customLong("value-col"), help: "Long layout: name of the value column.") var valueColumn: String?

    func validate() throws {
        if let timezone, TimeZone(identifier: timezone) == nil { throw ValidationError("--timezone \(timezone) is not a known time zone") }
    }

    var longColumns: CSVLayout.LongColumns {
        var columns = CSVLayout.LongColumns()
        if let tsColumn { columns.ts = [tsColumn] }
        if let deviceColumn { columns.device = [deviceColumn] }
        if let sensorColumn { columns.sensor = [sensorColumn] }
        if let valueColumn { columns.value = [valueColumn] }
        return columns
    }

    func run() async throws {
        let logger = global.bootstrapLogging()
        guard let handle = file == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: file) else {
            throw ValidationError("cannot open \(file)")
        }
        let connection = try await global.connectCurrent(logger: logger)
        let rejectPath = rejects ?? (file == "-" ? "rejects.csv" : file + ".rejects.csv")
        let loader = CSVIngest(
            skipBad: skipBad, rejectPath: rejectPath, progress: isatty(STDERR_FILENO) == 1, layout: layout, longColumns: longColumns,
            timeZone: timezone.flatMap(TimeZone.init(identifier:)))
        let started = ContinuousClock.now
        let result = try await loader.load(CSVLineReader(handle: handle), into: ReadingStore(connection: connection))
        let seconds = max((ContinuousClock.now - started).seconds, 1e-9)
        print(
            "\(result.summary.received) readings read, \(result.summary.inserted) new, \(result.summary.received - result.summary.inserted) already stored, "
                + "\(result.summary.newSeries) new series, \(result.rejected) rejected; "
                + String(format: "%.0f rows/s", Double(result.summary.received + result.rejected) / seconds))
        if result.rejected > 0 { print("rejected lines are in \(rejectPath)") }
        await connection.close()
    }
}

/// Parses CSV readings (wide or long layout) and streams them into a `ReadingStore` load.
struct CSVIngest {
    let skipBad: Bool
    let rejectPath: String
    let progress: Bool
    var layout: CSVLayout.Choice = .auto
    var longColumns = CSVLayout.LongColumns()
    /// For timestamps without a zone (nil: UTC for the long layout, refused for the wide).
    var timeZone: TimeZone?

    struct Result {
        var summary: ReadingStore.LoadSummary
        var rejected: Int
    }

    /// A line that cannot be loaded, with its number and why.
    struct BadLine: Error, CustomStringConvertible {
        let line: Int
        let reason: String
        var description: String { "line \(line): \(reason)" }
    }

    func load(_ reader: CSVLineReader, into store: ReadingStore) async throws -> Result {
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
        var rejects: RejectReport? = skipBad ? try RejectReport(path: rejectPath, header: header.joined(separator: ",")) : nil
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
                        guard var report = rejects else { throw bad }
                        try report.add(bad, raw: "")
                        rejects = report
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
                        guard var report = rejects else { throw bad }
                        try report.add(bad, raw: fields.joined(separator: ","))
                        rejects = report
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

/// The lines --skip-bad left out: line number, reason and the line itself.
struct RejectReport {
    let handle: FileHandle

    init(path: String, header: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw ValidationError("cannot write the reject report \(path)")
        }
        self.handle = handle
        handle.write(Data("line,reason,content\n".utf8))
    }

    mutating func add(_ bad: CSVIngest.BadLine, raw: String) throws {
        func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        handle.write(Data("\(bad.line),\(quoted(bad.reason)),\(quoted(raw))\n".utf8))
    }

    func close() throws { try handle.close() }
}

extension CSVLayout.Choice: ExpressibleByArgument {}

extension String {
    /// The text, cut to 60 characters for error messages.
    var abbreviated: String { count > 60 ? prefix(57) + "…" : self }
}
