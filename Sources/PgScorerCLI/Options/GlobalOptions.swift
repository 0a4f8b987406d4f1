import ArgumentParser
import Foundation
import Logging
import Migrations
import PgClient
import PgScorer
import Synchronization

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

    @Option(name: .customLong("log-format"), help: "text or json (one JSON object per line, metadata as fields). Default: $LOG_FORMAT, else text.")
    var logFormat: LogFormat?

    /// libpq variables that mean "the user configured a server".
    static let libpqVariables = ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"]

    /// True when no database is configured, so that the project's embedded cluster is used.
    func usesEmbedded(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        databaseURL == nil && (environment["DATABASE_URL"] ?? "").isEmpty && !Self.libpqVariables.contains { environment[$0] != nil }
    }

    /// Where the database is: the flag, `DATABASE_URL`, libpq's `PG*` variables, or the
    /// project's embedded cluster (started if needed, created only if `createEmbedded`).
    /// The embedded cluster's use is a warning when this command starts it (its first
    /// use since it last stopped), unless `quietEmbedded`; later commands stay quiet.
    func resolvedDatabaseURL(
        environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger, createEmbedded: Bool = false,
        quietEmbedded: Bool = false
    ) throws -> String {
        guard usesEmbedded(environment: environment) else {
            // libpq's PG* variables alone: an empty conninfo lets libpq read them.
            return databaseURL ?? environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? ""
        }
        let cluster = try Self.embeddedCluster(environment: environment, logger: logger, create: createEmbedded)
        let message: Logger.Message = "no database configured: using the embedded cluster in \(cluster.home.path) (for trying PgScorer; set DATABASE_URL for real use)"
        if !quietEmbedded && !cluster.isRunning { logger.warning(message) } else { logger.debug(message) }
        return try cluster.ensureRunning(create: createEmbedded, logger: logger)
    }

    /// The project's embedded cluster; a new one only if `create`.
    static func embeddedCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger, create: Bool
    ) throws -> EmbeddedCluster {
        if environment["PGSCORER_EMBEDDED"] == "0" {
            throw PgScorerError(
                .environment,
                "no database configured: give --database-url, or set DATABASE_URL or libpq's PG* variables (PGSCORER_EMBEDDED=0 turns the embedded cluster off)")
        }
        if create { return try EmbeddedCluster.findOrPlace(environment: environment, logger: logger) }
        guard let cluster = EmbeddedCluster.find(environment: environment) else {
            throw PgScorerError(
                .notFound,
                "no database configured, and no embedded PgScorer database in \(FileManager.default.currentDirectoryPath) or a parent folder: "
                    + "run `pgscorer demo` or `pgscorer migrate` there to create one, or give --database-url or DATABASE_URL")
        }
        return cluster
    }

    /// Bootstraps logging (once per process; only the command does this, never a library).
    func bootstrapLogging(environment: [String: String] = ProcessInfo.processInfo.environment) -> Logger {
        let level = logLevel ?? environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        let format = logFormat ?? environment["LOG_FORMAT"].flatMap { LogFormat(rawValue: $0.lowercased()) } ?? .text
        LoggingBootstrap.once(level: level, format: format)
        var logger = Logger(label: "pgscorer")
        logger.logLevel = level
        return logger
    }

    /// Connects to the resolved database, checks that its schema is this build's (else:
    /// run `pgscorer migrate`) unless `checkSchema` is false, runs `body`, and closes the
    /// connection on every path.
    /// `createEmbedded`: this command may create the embedded cluster (migrate, demo).
    /// `readURL`: a read-only command's replica (`--read-url`), used instead when given.
    func withDatabase<T>(
        checkSchema: Bool = true, createEmbedded: Bool = false, quietEmbedded: Bool = false, readURL: String? = nil,
        _ body: (DatabaseSession) async throws -> T
    ) async throws -> T {
        let logger = bootstrapLogging()
        let url = try readURL ?? resolvedDatabaseURL(logger: logger, createEmbedded: createEmbedded, quietEmbedded: quietEmbedded)
        let connection = try await PostgresConnection.connect(url, logger: logger)
        logger.debug("using \(connection.target)")  // db status says it; --log-level debug shows it everywhere
        do {
            // Every change of champion this command makes records the same identity.
            _ = try await connection.query(DeploymentQueries.identifySession.bind(ProcessInfo.processInfo.userName))
            if checkSchema { try await Migrator(logger: logger).requireCurrent(connection) }
            let result = try await body(DatabaseSession(connection: connection, databaseURL: url, logger: logger))
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }
}

/// What a command gets from `withDatabase`.
struct DatabaseSession {
    let connection: PostgresConnection
    /// For commands that open more connections (workers, parallel training).
    let databaseURL: String
    let logger: Logger
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// swift-log may be bootstrapped only once per process.
enum LoggingBootstrap {
    private static let done = Mutex(false)

    static func once(level: Logger.Level, format: LogFormat) {
        done.withLock { done in
            guard !done else { return }
            done = true
            LoggingSystem.bootstrap { label in
                switch format {
                case .text:
                    var handler = StreamLogHandler.standardError(label: label)
                    handler.logLevel = level
                    return handler
                case .json:
                    return JSONLogHandler(label: label, level: level)
                }
            }
        }
    }
}
