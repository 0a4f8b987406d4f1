import ArgumentParser
import Foundation
import PgScorer

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
        guard let handle = file == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: file) else {
            throw PgScorerError(.file, "cannot open \(file)")
        }
        let rejectPath = rejects ?? (file == "-" ? "rejects.csv" : file + ".rejects.csv")
        let loader = CSVIngest(
            skipBad: skipBad, rejectPath: rejectPath, progress: isatty(STDERR_FILENO) == 1, layout: layout, longColumns: longColumns,
            timeZone: timezone.flatMap(TimeZone.init(identifier:)))
        let started = ContinuousClock.now
        let result = try await global.withDatabase { session in
            try await loader.load(CSVLineReader(handle: handle), into: ReadingStore(connection: session.connection))
        }
        let seconds = max((ContinuousClock.now - started).seconds, 1e-9)
        print(
            "\(result.summary.received) readings read, \(result.summary.inserted) new, \(result.summary.received - result.summary.inserted) already stored, "
                + "\(result.summary.newSeries) new series, \(result.rejected) rejected; "
                + String(format: "%.0f rows/s", Double(result.summary.received + result.rejected) / seconds))
        if result.rejected > 0 { print("rejected lines are in \(rejectPath)") }
    }
}

extension CSVLayout.Choice: ExpressibleByArgument {}
