import ArgumentParser
import Logging

/// The `pgscorer` command: scores per-series one-class SVM models from PostgreSQL.
@main
struct PgScorerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pgscorer",
        abstract: "Batch anomaly scoring of IoT sensor readings with one-class SVMs, coordinated by PostgreSQL.",
        version: "0.1.0",
        subcommands: [MigrateCommand.self, WorkerCommand.self, EnqueueCommand.self]
    )
}
