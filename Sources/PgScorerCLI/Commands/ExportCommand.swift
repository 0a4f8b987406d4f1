import ArgumentParser
import Foundation
import PgScorer

/// `pgscorer export predictions`: stream predictions out with COPY.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export data with COPY, streaming.", subcommands: [Predictions.self])

    struct Predictions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write predictions in [--since, --until) as CSV or JSON lines to standard output.",
            discussion: """
                Columns (CSV) or keys (JSON): \(PredictionExport.columns.joined(separator: ",")); times in ISO 8601 UTC, is_anomaly \
                true or false. Example: pgscorer export predictions --since 2026-11-24 > out.csv
                """)
        @OptionGroup var global: GlobalOptions
        @OptionGroup var read: ReadOptions
        @Option(help: "Start (inclusive): ISO 8601 (no zone means UTC), a date, now, or a duration ago (6h).") var since: String
        @Option(help: "End (exclusive), in the same forms; default: no end.") var until: String?
        @OptionGroup var selection: SelectionOptions
        @Option(help: "csv, or jsonl (also json): one JSON object per line.") var format = "csv"

        var exportFormat: PredictionExport.Format? { format == "json" ? .jsonLines : PredictionExport.Format(rawValue: format) }

        func validate() throws {
            guard exportFormat != nil else { throw ValidationError("--format \(format): use csv, or jsonl (json: the same, one object per line)") }
        }

        func run() async throws {
            let range = try TimeRange(since: since, until: until)
            let started = ContinuousClock.now
            let rows = try await global.withDatabase(readURL: read.url) { session in
                try await PredictionExport.write(
                    range, selection.selector, as: exportFormat ?? .csv, to: FileHandle.standardOutput, from: session.connection)
            }
            // The summary goes to stderr: stdout is the CSV.
            FileHandle.standardError.write(Data(String(
                format: "exported %d predictions of %@ in %.1f s\n", rows, selection.selector.description,
                (ContinuousClock.now - started).seconds).utf8))
        }
    }
}
