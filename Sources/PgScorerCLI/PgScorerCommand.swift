import ArgumentParser
import Foundation
import PgClient
import PgScorer

/// The `pgscorer` command: scores per-series one-class SVM models from PostgreSQL.
///
/// Exit codes, one rule for every command: 0 done; 1 a runtime fact (one line saying
/// what, no usage text); 64 a usage mistake: a mistyped flag, a bad value or range (with
/// where to read the usage); 130 interrupted (a second SIGTERM/SIGINT).
@main
package struct PgScorerCommand: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "pgscorer",
        abstract: "Batch anomaly scoring of IoT sensor readings with one-class SVMs, coordinated by PostgreSQL.",
        version: PgScorerVersion.current,
        subcommands: [
            DemoCommand.self, MigrateCommand.self, IngestCommand.self, ModelsCommand.self, TrainCommand.self,
            ScheduleCommand.self, AggregateCommand.self, EnqueueCommand.self, WorkerCommand.self, StreamCommand.self, DevicesCommand.self, StatusCommand.self, ReportCommand.self,
            ExportCommand.self, ServeCommand.self, JobsCommand.self, HealthCommand.self, AlertsCommand.self, PruneCommand.self, SeriesCommand.self, DatabaseCommand.self,
        ]
    )

    package init() {}

    /// Runs the command line with every database session in UTC (libpq's `PGTZ`), so
    /// that no output depends on the server's `TimeZone` setting.
    package static func main() async {
        CPUCheck.run()
        setenv("PGTZ", "UTC", 1)
        if let message = SubcommandSuggestion.message(for: Array(CommandLine.arguments.dropFirst()), root: Self.self) {
            FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
            exit(withError: ExitCode(64))
        }
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let error as PgScorerError where error.code == .usage {
            // Found while running (a time that does not parse): a usage mistake all the same.
            let path = CommandLine.arguments.dropFirst().prefix { !$0.hasPrefix("-") }.joined(separator: " ")
            FileHandle.standardError.write(Data("Error: \(error.description)\nUsage: pgscorer \(path) --help\n".utf8))
            exit(withError: ExitCode(64))
        } catch let error as PostgresError where error.isForTheUser {
            FileHandle.standardError.write(Data("Error: \(error.userMessage)\n".utf8))
            exit(withError: ExitCode(1))
        } catch {
            exit(withError: error)
        }
    }
}
