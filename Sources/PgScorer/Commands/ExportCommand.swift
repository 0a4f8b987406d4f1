import ArgumentParser
import Foundation
import PgClient

/// `pgscorer export predictions`: stream predictions out with COPY.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export data with COPY, streaming.", subcommands: [Predictions.self])

    struct Predictions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write predictions in [--since, --until) as CSV to standard output.",
            discussion: "Columns: device,sensor,ts,model_id,score,is_anomaly,job_id,scored_at. Example: pgscorer export predictions --since 2026-11-24 > out.csv")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Start (inclusive), a timestamp or date.") var since: String
        @Option(help: "End (exclusive); default: no end.") var until: String?
        @Option(help: "Only csv for now.") var format = "csv"

        func validate() throws {
            guard format == "csv" else { throw ValidationError("--format: only csv is supported") }
        }

        func run() async throws {
            let logger = global.bootstrapLogging()
            let connection = try await global.connectCurrent(logger: logger)
            // COPY takes no parameters: the bounds are parsed by the server first and
            // re-rendered from their values, so no user text reaches the SQL.
            let bounds = try await connection.query(
                "SELECT $1::timestamptz, coalesce($2::timestamptz, 'infinity')", since, until
            ).single()
            let start: PostgresTimestamp = try bounds.decode(0)
            let endText = until == nil ? "infinity" : (try bounds.decode(1) as PostgresTimestamp).description
            let sql = SQLText(unsafeSQL: """
                COPY (
                    SELECT s.device, s.sensor, p.ts, p.model_id, p.score, p.is_anomaly, p.job_id, p.scored_at
                    FROM pgscorer.predictions p JOIN pgscorer.series s USING (series_id)
                    WHERE p.ts >= '\(start.description)' AND p.ts < '\(endText)'
                    ORDER BY s.device, s.sensor, p.ts
                ) TO STDOUT (FORMAT csv, HEADER)
                """)
            let stdout = FileHandle.standardOutput
            let rows = try await connection.copyTo(sql, name: "export.predictions") { stdout.write(Data($0)) }
            logger.info("exported \(rows) predictions")
            await connection.close()
        }
    }
}
