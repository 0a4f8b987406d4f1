import ArgumentParser
import Foundation
import Logging
import Migrations
import PgClient
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

    /// libpq variables that mean "the user configured a server".
    static let libpqVariables = ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"]

    /// Where the database is: the flag, `DATABASE_URL`, libpq's `PG*` variables, or the
    /// embedded cluster (started if needed).
    func resolvedDatabaseURL(
        environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger? = nil
    ) throws -> String {
        if let databaseURL { return databaseURL }
        if let url = environment["DATABASE_URL"], !url.isEmpty { return url }
        if Self.libpqVariables.contains(where: { environment[$0] != nil }) { return "" }
        return try EmbeddedCluster(environment: environment).ensureRunning(logger: logger ?? Logger(label: "pgscorer"))
    }

    /// Bootstraps logging (once per process; only the command does this, never a library).
    func bootstrapLogging(environment: [String: String] = ProcessInfo.processInfo.environment) -> Logger {
        let level = logLevel ?? environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        LoggingBootstrap.once(level: level)
        var logger = Logger(label: "pgscorer")
        logger.logLevel = level
        return logger
    }

    /// Connects (to `url`, or the resolved database) and logs which database it is,
    /// never its password.
    func connect(logger: Logger, url: String? = nil) async throws -> PostgresConnection {
        let connection = try await PostgresConnection.connect(url ?? resolvedDatabaseURL(logger: logger), logger: logger)
        logger.info("using \(connection.target)")
        return connection
    }

    /// Connects and checks that the schema is this build's (else: run `pgscorer migrate`).
    func connectCurrent(logger: Logger, url: String? = nil) async throws -> PostgresConnection {
        let connection = try await connect(logger: logger, url: url)
        try await Migrator(logger: logger).requireCurrent(connection)
        return connection
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// swift-log may be bootstrapped only once per process.
enum LoggingBootstrap {
    private static let done = Mutex(false)

    static func once(level: Logger.Level) {
        done.withLock { done in
            guard !done else { return }
            done = true
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }
}

/// A duration given as `500ms`, `30s`, `5m`, `2h` or `1d`.
struct DurationArgument: ExpressibleByArgument, Sendable {
    let duration: Duration

    init(_ duration: Duration) { self.duration = duration }

    init?(argument: String) {
        guard let duration = Self.parse(argument) else { return nil }
        self.duration = duration
    }

    static func parse(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value.isFinite, value >= 0 else { return nil }
            return .milliseconds(Int64((value * scale * 1000).rounded()))
        }
        return nil
    }

    var defaultValueDescription: String { "\(duration)" }
}
