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
    @Option(help: "Only predictions from this time's UTC day on (a date, ISO 8601, or a duration ago such as 7d); default: all.")
    var since: String?
    @Option(help: "Device name or SQL LIKE pattern.") var device = "%"
    @Option(help: "table, csv or json.") var format: OutputFormat = .table

    static let seriesHeader = ["device", "sensor", "scored", "anomalies", "rate", "min score"]
    static let tickHeader = ["schedule", "tick (UTC)", "jobs", "completed", "failed", "pending", "readings", "anomalies", "latency s", "readings/s"]

    func run() async throws {
        let since = try since.map { try TimeRange.parseBound($0, option: "--since") }
        let report = try await global.withDatabase {
            try await AnomalyReport.load(from: $0.connection, since: since, devicePattern: device)
        }
        let series = report.series.map { row in
            [row.device, row.sensor, "\(row.scored)", "\(row.anomalies)", String(format: "%.2f%%", 100 * row.anomalyRate),
             String(format: "%.4f", row.minScore ?? 0)]
        }
        let ticks = report.ticks.map { tick in
            [tick.schedule, tick.tick.description, "\(tick.jobs)", "\(tick.completed)", "\(tick.failed)", "\(tick.pending)",
             "\(tick.readings)", "\(tick.anomalies)", tick.latencySeconds.map { String(format: "%.2f", $0) } ?? "-",
             tick.readingsPerSecond.map { String(format: "%.0f", $0) } ?? "-"]
        }
        switch format {
        case .table:
            let scored = report.series.reduce(0) { $0 + $1.scored }
            let anomalies = report.series.reduce(0) { $0 + $1.anomalies }
            print("Anomalies per device and sensor (\(anomalies) of \(scored) scored readings)")
            print(TextTable(Self.seriesHeader, rows: series).rendered)
            print("Worst series (highest anomaly rate)")
            let worst = zip(report.series, series).sorted { $0.0.anomalyRate > $1.0.anomalyRate }.prefix(5).map(\.1)
            print(TextTable(Self.seriesHeader, rows: worst).rendered)
            print("Schedule ticks (latest 20): latency is tick → last job completed")
            print(TextTable(Self.tickHeader, rows: ticks).rendered, terminator: "")
        case .csv:
            let csv = CSVWriter { print($0, terminator: "") }
            csv.row(["section"] + Self.seriesHeader)
            series.forEach { csv.row(["series"] + $0) }
            csv.row(["section"] + Self.tickHeader)
            ticks.forEach { csv.row(["tick"] + $0) }
        case .json:
            try JSONOutput.print(report)
        }
    }
}
