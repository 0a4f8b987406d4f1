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
            Header: device,sensor,ts,<one column per feature…>. ts is ISO 8601 with a zone (2026-11-24T13:05:00Z).
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

    func run() async throws {
        let logger = global.bootstrapLogging()
        guard let handle = file == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: file) else {
            throw ValidationError("cannot open \(file)")
        }
        let connection = try await global.connectCurrent(logger: logger)
        let rejectPath = rejects ?? (file == "-" ? "rejects.csv" : file + ".rejects.csv")
        let loader = CSVIngest(skipBad: skipBad, rejectPath: rejectPath, progress: isatty(STDERR_FILENO) == 1)
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

/// Parses wide-layout CSV readings and streams them into a `ReadingStore` load.
struct CSVIngest {
    let skipBad: Bool
    let rejectPath: String
    let progress: Bool
    var timestamps = TimestampParser(defaultOffsetSeconds: nil)

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
        guard names.count >= 4, names[0] == "device", names[1] == "sensor", names[2] == "ts" else {
            throw BadLine(
                line: reader.lineNumber,
                reason: "header must be device,sensor,ts followed by at least one feature column, got \(header.joined(separator: ","))")
        }
        let featureCount = names.count - 3
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
                        guard fields.count == featureCount + 3 else {
                            throw BadLine(line: reader.lineNumber, reason: "expected \(featureCount + 3) columns, found \(fields.count)")
                        }
                        let device = fields[0].trimmingCharacters(in: .whitespaces)
                        let sensor = fields[1].trimmingCharacters(in: .whitespaces)
                        guard !device.isEmpty, !sensor.isEmpty else {
                            throw BadLine(line: reader.lineNumber, reason: "device and sensor must not be empty")
                        }
                        let ts: PostgresTimestamp
                        do {
                            ts = try timestamps.parse(fields[2])
                        } catch {
                            throw BadLine(line: reader.lineNumber, reason: "\(error)")
                        }
                        for index in 0..<featureCount {
                            let text = fields[3 + index].trimmingCharacters(in: .whitespaces)
                            guard let value = Double(text) else {
                                throw BadLine(line: reader.lineNumber, reason: "column \(names[3 + index]): '\(text)' is not a number")
                            }
                            guard value.isFinite else {
                                throw BadLine(line: reader.lineNumber, reason: "column \(names[3 + index]): \(text) is not a finite number")
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
