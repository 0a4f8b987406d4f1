import ArgumentParser
import Foundation
import PgScorer

/// `pgscorer report`: anomalies per device and sensor, the worst series, and how fast
/// each schedule tick was scored (`pgscorer.series_anomaly_summary`,
/// `pgscorer.schedule_tick_summary`).
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Anomaly counts and rates per device and sensor, the worst series, and latency per schedule tick.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var read: ReadOptions
    @Option(help: "Readings scored from (inclusive): ISO 8601 (no zone means UTC), a date, now, or a duration ago (7d).")
    var since = "24h"
    @Option(help: "Until (exclusive), in the same forms; default: now and on.") var until: String?
    @OptionGroup var selection: SelectionOptions
    @Option(help: "table, csv or json. CSV is one table: --table series (default) or ticks.") var format: OutputFormat = .table
    @Option(help: "With --format csv: series or ticks.") var table: Table = .series
    @Option(help: "hour or day: one row per series and hour (or day) instead of one per series.") var by: AnomalyReport.Bucket?

    enum Table: String, ExpressibleByArgument, CaseIterable { case series, ticks }

    /// Headers for people (tables) and for programs (CSV: snake_case).
    static func seriesHeader(forPeople: Bool) -> [String] {
        ["device", "sensor", "scored", "anomalies", forPeople ? "rate" : "anomaly_rate", forPeople ? "min score" : "min_score"]
    }

    static func tickHeader(forPeople: Bool) -> [String] {
        forPeople
            ? ["schedule", "tick (UTC)", "jobs", "completed", "failed", "pending", "readings", "anomalies", "latency s", "readings/s"]
            : ["schedule", "tick", "jobs", "completed", "failed", "pending", "readings", "anomalies", "latency_seconds", "readings_per_second"]
    }

    func run() async throws {
        let range = try TimeRange(since: since, until: until)
        let report = try await global.withDatabase(readURL: read.url) {
            try await AnomalyReport.load(from: $0.connection, range: range, selector: selection.selector, bucket: by)
        }
        // Tables are for people (rates in percent, short times); CSV is data (fractions, full times).
        let forPeople = format == .table
        let bucketHeader = by.map { [forPeople ? "\($0.rawValue) (UTC)" : $0.rawValue] } ?? []
        let series = report.series.map { row in
            (row.bucketStart.map { [forPeople ? String($0.description.prefix(by == .hour ? 16 : 10)) : $0.description] } ?? [])
                + [row.device, row.sensor, "\(row.scored)", "\(row.anomalies)",
                   forPeople ? String(format: "%.2f%%", 100 * row.anomalyRate) : "\(row.anomalyRate)",
                   forPeople ? String(format: "%.4f", row.minScore ?? 0) : row.minScore.map { "\($0)" } ?? ""]
        }
        let ticks = report.ticks.map { tick in
            [tick.schedule, tick.tick.description, "\(tick.jobs)", "\(tick.completed)", "\(tick.failed)", "\(tick.pending)",
             "\(tick.readings)", "\(tick.anomalies)",
             tick.latencySeconds.map { forPeople ? String(format: "%.2f", $0) : "\($0)" } ?? (forPeople ? "-" : ""),
             tick.readingsPerSecond.map { forPeople ? String(format: "%.0f", $0) : "\($0)" } ?? (forPeople ? "-" : "")]
        }
        switch format {
        case .table:
            let scored = report.series.reduce(0) { $0 + $1.scored }
            let anomalies = report.series.reduce(0) { $0 + $1.anomalies }
            print("Anomalies per device and sensor\(by.map { " and \($0.rawValue)" } ?? "") since \(range.since!) (\(anomalies) of \(scored) scored readings, active models)")
            print(TextTable(bucketHeader + Self.seriesHeader(forPeople: true), rows: series).rendered)
            print("Worst series (highest anomaly rate)")
            let worst = zip(report.series, series).sorted { $0.0.anomalyRate > $1.0.anomalyRate }.prefix(5).map(\.1)
            print(TextTable(bucketHeader + Self.seriesHeader(forPeople: true), rows: worst).rendered)
            print("Schedule ticks (latest 20): latency is tick → last job completed")
            print(TextTable(Self.tickHeader(forPeople: true), rows: ticks).rendered, terminator: "")
        case .csv:
            switch table {
            case .series: try printTable(.csv, header: bucketHeader + Self.seriesHeader(forPeople: false), rows: series, json: report.series)
            case .ticks: try printTable(.csv, header: Self.tickHeader(forPeople: false), rows: ticks, json: report.ticks)
            }
        case .json:
            try JSONOutput.print(report)
        }
    }
}

extension AnomalyReport.Bucket: ExpressibleByArgument {}
