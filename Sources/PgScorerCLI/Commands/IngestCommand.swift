import ArgumentParser
import Foundation
import PgScorer

/// `pgscorer ingest`: load readings from CSV.
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Load readings from a CSV file (or - for standard input), all or nothing, losing none silently.",
        discussion: """
            Three layouts, told apart by the first line (or forced with --layout):
              wide:   device,sensor,ts,<one column per feature…> — one reading per row, with all its features;
              long:   a timestamp, a device, a sensor and a value column, in any order and case (e.g. TS,Device,Sensor,Value;
                      or name them with --ts-col/--device-col/--sensor-col/--value-col) — one-feature readings;
              one series, given with --device and --sensor: timestamp,value[,value…], with or without a header line.
            Timestamps are ISO 8601 (2026-11-24T13:05:00Z, 2026-11-24 14:05:00.25+01:00) or seconds or milliseconds since \
            1970 (10^11 or more: milliseconds). Without a zone they are read in --timezone: by default UTC for the long and \
            one-series layouts; the wide layout refuses them unless --timezone is given. A local time that daylight saving \
            skips or repeats is refused: it names no instant, or two. \
            Series are created on first sight. A reading whose series and time are already stored, or repeated in the file, \
            with a different value stops the load, naming both lines (or the line and the stored value), unless \
            --on-conflict keep (the stored or first value) or replace (the new or last value) says otherwise. The same \
            value again is never a conflict: loading a file twice adds nothing and says so. \
            A bad line (wrong column count, unparsable number or timestamp, NaN/inf, a feature count that differs \
            from its series) stops the load with its line number and nothing from the file is stored — unless \
            --skip-bad is given: then bad lines go to a reject report and the good ones are loaded.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "CSV file, or - for standard input.") var file: String

    @Option(help: "For a file of one series (timestamp,value…): its device.") var device: String?
    @Option(help: "For a file of one series: its sensor.") var sensor: String?

    @Flag(name: .customLong("skip-bad"), help: "Load the good lines; write bad ones to the reject report.")
    var skipBad = false

    @Option(help: "Reject report for --skip-bad (default: FILE.rejects.csv, or rejects.csv for stdin).")
    var rejects: String?

    @Option(name: .customLong("on-conflict"), help: "error, keep or replace: a different value for a stored or repeated (series, time).")
    var onConflict: ReadingStore.ConflictPolicy = .error

    @Option(help: "auto, wide or long (a file of one series is told by --device and --sensor).") var layout: CSVLayout.Choice = .auto
    @Option(help: "Field separator: one ASCII character, or tab.") var delimiter = ","
    @Option(help: "Time zone for timestamps without one, e.g. UTC or Europe/Berlin. Default: UTC for the long and one-series layouts; the wide layout refuses them unless this is given.")
    var timezone: String?
    @Option(name: .customLong("ts-col"), help: "Long layout: name of the timestamp column.") var tsColumn: String?
    @Option(name: .customLong("device-col"), help: "Long layout: name of the device column.") var deviceColumn: String?
    @Option(name: .customLong("sensor-col"), help: "Long layout: name of the sensor column.") var sensorColumn: String?
    @Option(name: .customLong("value-col"), help: "Long layout: name of the value column.") var valueColumn: String?
    @Option(help: "table or json: how to print the summary.") var format: SummaryFormat = .table

    func validate() throws {
        if let timezone, TimeZone(identifier: timezone) == nil {
            throw ValidationError("--timezone \(timezone) is not a known time zone (use an IANA name such as UTC or Europe/Berlin)")
        }
        guard separator != nil else { throw ValidationError("--delimiter must be one ASCII character (not a quote), or tab") }
        guard (device == nil) == (sensor == nil) else { throw ValidationError("a file of one series needs both --device and --sensor") }
        if let device, let problem = SeriesName.problem(device, role: "device") { throw ValidationError("--device: \(problem)") }
        if let sensor, let problem = SeriesName.problem(sensor, role: "sensor") { throw ValidationError("--sensor: \(problem)") }
    }

    var separator: Character? {
        if delimiter == "tab" || delimiter == "\\t" { return "\t" }
        return delimiter.count == 1 && delimiter != "\"" && delimiter.first!.isASCII ? delimiter.first : nil
    }

    var options: CSVOptions {
        var options = CSVOptions()
        options.layout = layout
        if let tsColumn { options.longColumns.ts = [tsColumn] }
        if let deviceColumn { options.longColumns.device = [deviceColumn] }
        if let sensorColumn { options.longColumns.sensor = [sensorColumn] }
        if let valueColumn { options.longColumns.value = [valueColumn] }
        options.device = device
        options.sensor = sensor
        options.delimiter = separator ?? ","
        options.timeZone = timezone.flatMap(TimeZone.init(identifier:))
        return options
    }

    func run() async throws {
        var ingest = CSVIngest()
        ingest.options = options
        ingest.policy = onConflict
        if skipBad { ingest.rejectPath = rejects ?? (file == "-" ? "rejects.csv" : file + ".rejects.csv") }
        let showProgress = isatty(STDERR_FILENO) == 1 && format == .table
        let progress: ((CSVIngest.Progress) -> Void)? = showProgress ? { Self.showProgress($0) } : nil
        let path: String? = file == "-" ? nil : file
        let result = try await global.withDatabase { session in
            try await ingest.load(path: path, into: ReadingStore(connection: session.connection), progress: progress)
        }
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        if format == .json { return try JSONOutput.print(result) }
        print("read as the \(result.layout)")
        let summary = result.summary
        var parts = ["\(summary.received) readings read", "\(summary.inserted) new", "\(summary.alreadyStored) already stored"]
        if summary.repeatedInInput > 0 { parts.append("\(summary.repeatedInInput) repeated in the file") }
        if summary.conflictsKept > 0 { parts.append("\(summary.conflictsKept) conflicting kept as stored") }
        if summary.conflictsReplaced > 0 { parts.append("\(summary.conflictsReplaced) conflicting replaced") }
        parts += ["\(summary.newSeries) new series", "\(result.rejected) rejected"]
        print(parts.joined(separator: ", ") + String(format: "; %.1f s, %.0f rows/s", result.seconds, Double(summary.received + result.rejected) / max(result.seconds, 1e-9)))
        if result.rejected > 0, let path = ingest.rejectPath { print("rejected lines are in \(path)") }
    }

    /// `42% · 418,000 rows/s · ETA 1.2 s` on one terminal line.
    static func showProgress(_ progress: CSVIngest.Progress) {
        let rate = Double(progress.rows) / max(progress.seconds, 1e-9)
        var line = "\r\u{1B}[K\(progress.rows) rows"
        if let total = progress.totalBytes, total > 0 {
            let fraction = min(Double(progress.bytesRead) / Double(total), 1)
            let eta = fraction > 0 ? progress.seconds * (1 - fraction) / fraction : 0
            line += String(format: " · %.0f%% · %.0f rows/s · ETA %.0f s", 100 * fraction, rate, eta)
        } else {
            line += String(format: " · %.0f rows/s · %.0f MB", rate, Double(progress.bytesRead) / 1e6)
        }
        FileHandle.standardError.write(Data(line.utf8))
    }
}

extension CSVLayout.Choice: ExpressibleByArgument {}
extension ReadingStore.ConflictPolicy: ExpressibleByArgument {}
