import ArgumentParser
import Foundation
import Kernels
import PgClient

/// `pgscorer report`: anomalies per device and sensor, the worst series, and how
/// fast each schedule tick was scored — from the views in sql/migrations/0003.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Anomaly counts and rates per device and sensor, the worst series, and latency per schedule tick.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, json }

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only predictions from this day on (e.g. 2026-11-24); default: all.") var since: String?
    @Option(help: "Device name or SQL LIKE pattern.") var device = "%"
    @Option(help: "table, csv or json.") var format: Format = .table

    func run() async throws {
        let logger = global.bootstrapLogging()
        let connection = try await global.connectCurrent(logger: logger)
        let sinceDay = since ?? "-infinity"
        let perSeries = try await connection.query(
            """
            SELECT device, sensor, sum(scored)::int8, sum(anomalies)::int8,
                   round((sum(anomalies) / nullif(sum(scored), 0))::numeric, 4)::float8, min(min_score)
            FROM pgscorer.anomaly_rate_daily
            WHERE day >= $1::date AND device LIKE $2
            GROUP BY device, sensor ORDER BY device, sensor
            """, sinceDay, device)
        let ticks = try await connection.query(
            """
            SELECT schedule, scheduled_for, jobs_created, completed, failed, pending, rows_scored::int8, anomalies::int8,
                   extract(epoch FROM latency)::float8, extract(epoch FROM processing_time)::float8
            FROM pgscorer.schedule_run_stats WHERE scheduled_for >= $1::date
            ORDER BY scheduled_for DESC, schedule LIMIT 20
            """, sinceDay)
        var series: [[String]] = []
        for row in perSeries {
            series.append([
                try row.decode(0), try row.decode(1), "\(try row.decode(2) as Int)", "\(try row.decode(3) as Int)",
                String(format: "%.2f%%", 100 * (try row.decode(4) as Double? ?? 0)), String(format: "%.4f", try row.decode(5) as Double? ?? 0),
            ])
        }
        var runs: [[String]] = []
        for row in ticks {
            let latency: Double? = try row.decode(8)
            let processing: Double? = try row.decode(9)
            let rows: Int = try row.decode(6)
            runs.append([
                try row.decode(0), (try row.decode(1) as PostgresTimestamp).description, "\(try row.decode(2) as Int)",
                "\(try row.decode(3) as Int)", "\(try row.decode(4) as Int)", "\(try row.decode(5) as Int)", "\(rows)",
                "\(try row.decode(7) as Int)", latency.map { String(format: "%.2f", $0) } ?? "-",
                processing.map { String(format: "%.0f", Double(rows) / max($0, 0.001)) } ?? "-",
            ])
        }
        let seriesHeader = ["device", "sensor", "scored", "anomalies", "rate", "min score"]
        let runHeader = ["schedule", "tick (UTC)", "jobs", "completed", "failed", "pending", "readings", "anomalies", "latency s", "readings/s"]
        switch format {
        case .table:
            let totalScored = series.reduce(0) { $0 + (Int($1[2]) ?? 0) }
            let totalAnomalies = series.reduce(0) { $0 + (Int($1[3]) ?? 0) }
            print("Anomalies per device and sensor (\(totalAnomalies) of \(totalScored) scored readings)")
            var table = TextTable(seriesHeader)
            series.forEach { table.add($0) }
            print(table.rendered)
            print("Worst series (highest anomaly rate)")
            var worst = TextTable(seriesHeader)
            series.sorted { (Double($0[4].dropLast()) ?? 0) > (Double($1[4].dropLast()) ?? 0) }.prefix(5).forEach { worst.add($0) }
            print(worst.rendered)
            print("Schedule ticks (latest 20): latency is tick → last job completed")
            var table2 = TextTable(runHeader)
            runs.forEach { table2.add($0) }
            print(table2.rendered, terminator: "")
        case .csv:
            print((["section"] + seriesHeader).joined(separator: ","))
            series.forEach { print((["series"] + $0).map(Self.csvField).joined(separator: ",")) }
            print((["section"] + runHeader).joined(separator: ","))
            runs.forEach { print((["tick"] + $0).map(Self.csvField).joined(separator: ",")) }
        case .json:
            func objects(_ header: [String], _ rows: [[String]]) -> String {
                "[" + rows.map { row in "{" + zip(header, row).map { "\(JSONText.quote($0)): \(JSONText.quote($1))" }.joined(separator: ", ") + "}" }
                    .joined(separator: ", ") + "]"
            }
            print("{\"series\": \(objects(seriesHeader, series)), \"ticks\": \(objects(runHeader, runs))}")
        }
        await connection.close()
    }

    static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
