import ArgumentParser
import Foundation
import PgScorer

/// `pgscorer health`: which series changed or stopped reporting.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Each series' health against its own baseline: stale, rate_spike, score_shift, drift, or ok.",
        discussion: """
            The latest window (the series' schedule window, else 1 hour) against the 7 days before it, by the active model:
            stale = no reading for 3 of its schedule's intervals; rate_spike = anomaly rate at least 3 × the baseline's \
            + 5 points; score_shift = median score moved by more than 2 baseline IQRs; drift = a feature's window mean more \
            than 3 training standard deviations from its training mean. SQL: SELECT * FROM pgscorer.series_health; \
            Model health is `pgscorer models check`.
            """)
    @OptionGroup var global: GlobalOptions
    @OptionGroup var read: ReadOptions
    @OptionGroup var selection: SelectionOptions
    @Option(help: "table, csv or json.") var format: OutputFormat = .table

    func run() async throws {
        let rows = try await global.withDatabase(readURL: read.url) { try await SeriesHealthRow.load(selection.selector, from: $0.connection) }
        func rate(_ value: Double?) -> String { value.map { String(format: "%.1f%%", 100 * $0) } ?? "-" }
        func score(_ value: Double?) -> String { value.map { String(format: "%.4f", $0) } ?? "-" }
        let table = rows.map {
            [$0.device, $0.sensor, $0.health, $0.newestReading.map { String($0.description.prefix(19)) } ?? "-", "\($0.recentScored)",
             rate($0.recentRate), rate($0.baselineRate), score($0.recentMedianScore), score($0.baselineMedianScore)]
        }
        try printTable(
            format, header: ["device", "sensor", "health", "newest reading", "window scored", "window rate", "baseline rate", "window median", "baseline median"],
            rows: table, json: rows)
        if format == .table {
            print("\(rows.filter { $0.health != "ok" }.count) of \(rows.count) series unhealthy")
        }
    }
}
