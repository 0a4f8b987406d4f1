import ArgumentParser
import Foundation
import PgScorer

/// The `pgscorer` command: scores per-series one-class SVM models from PostgreSQL.
///
/// Exit codes: 0 success; 1 a runtime failure (one line saying what, no usage text);
/// 64 a usage error (with usage); 130 a second SIGTERM/SIGINT to a worker.
@main
package struct PgScorerCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "pgscorer",
        abstract: "Batch anomaly scoring of IoT sensor readings with one-class SVMs, coordinated by PostgreSQL.",
        version: PgScorerVersion.current,
        subcommands: [
            DemoCommand.self, MigrateCommand.self, IngestCommand.self, ModelsCommand.self, TrainCommand.self,
            ScheduleCommand.self, EnqueueCommand.self, WorkerCommand.self, StatusCommand.self, ReportCommand.self,
            ExportCommand.self, ServeCommand.self, JobsCommand.self, HealthCommand.self, AlertsCommand.self, PruneCommand.self, SeriesCommand.self, DatabaseCommand.self,
        ]
    )

    package init() {}

    /// Runs the command line with every database session in UTC (libpq's `PGTZ`), so
    /// that no output depends on the server's `TimeZone` setting.
    package static func main() async {
        CPUCheck.run()
        setenv("PGTZ", "UTC", 1)
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
