import ArgumentParser
import Foundation
import Logging
import PgClient

/// Options every subcommand that talks to the database shares.
struct GlobalOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp(
            "libpq connection string or postgres:// URL. Default: $DATABASE_URL, else libpq's PG* variables.",
            valueName: "url"))
    var databaseURL: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical. Default: $LOG_LEVEL, else info.")
    var logLevel: Logger.Level?

    /// The connection string to use: the flag, then `DATABASE_URL`, then libpq defaults.
    func resolvedDatabaseURL(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        databaseURL ?? environment["DATABASE_URL"] ?? ""
    }

    /// Bootstraps logging once per process (only the command does this, never a library).
    func bootstrapLogging(environment: [String: String] = ProcessInfo.processInfo.environment) -> Logger {
        let level = logLevel ?? environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        return Logger(label: "pgscorer")
    }

    /// Connects and logs which database was chosen (never its password).
    func connect(logger: Logger) async throws -> PostgresConnection {
        let connection = try await PostgresConnection.connect(resolvedDatabaseURL(), logger: logger)
        logger.debug("connected", metadata: ["database": "\(connection.target)"])
        return connection
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
