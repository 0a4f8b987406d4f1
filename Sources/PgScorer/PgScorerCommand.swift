import ArgumentParser
import Logging

/// The `pgscorer` command: scores per-series one-class SVM models from PostgreSQL.
@main
struct PgScorerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pgscorer",
        abstract: "Batch anomaly scoring of IoT sensor readings with one-class SVMs, coordinated by PostgreSQL.",
        version: "0.1.0",
        subcommands: [
            DemoCommand.self, MigrateCommand.self, IngestCommand.self, ModelsCommand.self, TrainCommand.self,
            ScheduleCommand.self, EnqueueCommand.self, WorkerCommand.self, StatusCommand.self, ReportCommand.self,
            ExportCommand.self, DatabaseCommand.self,
        ]
    )
}
