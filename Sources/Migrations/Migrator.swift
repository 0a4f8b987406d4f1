import Logging
import PgClient

/// Applies migrations in order, each in its own transaction, under a PostgreSQL
/// advisory lock so that any number of processes can start at once: the first one
/// migrates, the others wait and then find nothing left to do.
public struct Migrator: Sendable {
    public let migrations: [Migration]
    public let logger: Logger

    /// Key of the session advisory lock that serialises migrators (arbitrary, fixed).
    static let advisoryLockKey: Int64 = 0x7067_7363_6f72_6572  // "pgscorer"

    public init(migrations: [Migration] = Migration.all, logger: Logger = Logger(label: "pgscorer.migrations")) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// What the database has applied, and what this build would still apply.
    public struct Status: Sendable {
        public let appliedVersion: Int
        public let pending: [Migration]
    }

    /// Applies every pending migration; returns the ones this call applied.
    /// Throws, naming the file, if an applied migration's SQL has changed since.
    /// On a Citus coordinator (the database has the citus extension, or `distributed`
    /// asks for it) the tables are then placed by `Migration.citusLayout`.
    @discardableResult
    public func migrate(_ connection: PostgresConnection, distributed: Bool = false) async throws -> [Migration] {
        try await connection.execute("SELECT pg_advisory_lock($1)", Self.advisoryLockKey)
        do {
            if distributed { try await CitusLayout.createExtension(connection) }
            let applied = try await applyPending(connection)
            if try await CitusLayout.isCitus(connection) {
                try await CitusLayout.apply(connection, required: distributed, afterMigrations: !applied.isEmpty, logger: logger)
            }
            try await connection.execute("SELECT pg_advisory_unlock($1)", Self.advisoryLockKey)
            return applied
        } catch {
            // Unlock unless the connection itself is gone (then the lock went with it).
            _ = try? await connection.execute("SELECT pg_advisory_unlock($1)", Self.advisoryLockKey)
            throw error
        }
    }

    private func applyPending(_ connection: PostgresConnection) async throws -> [Migration] {
        try await connection.executeScript(Self.bookkeepingDDL, name: "migrations.bootstrap")
        let pending = try await verifyApplied(connection)
        for migration in pending {
            logger.debug("applying migration", metadata: ["migration": "\(migration.fileName)"])
            try await connection.transaction { connection in
                do {
                    try await connection.executeScript(SQLText(unsafeSQL: migration.sql), name: migration.fileName)
                } catch var error as PostgresError {
                    error.statementName = migration.fileName
                    throw error
                }
                try await connection.execute(
                    """
                    INSERT INTO pgscorer.schema_migrations (version, name, checksum)
                    VALUES ($1, $2, encode(sha256(convert_to($3, 'UTF8')), 'hex'))
                    """, migration.version, migration.name, migration.sql)
            }
        }
        return pending
    }

    /// Checks the applied migrations against this build and returns the pending ones.
    private func verifyApplied(_ connection: PostgresConnection) async throws -> [Migration] {
        let rows = try await connection.query(
            """
            SELECT m.version, m.name, m.checksum = encode(sha256(convert_to(f.sql, 'UTF8')), 'hex') AS unchanged
            FROM pgscorer.schema_migrations m
            LEFT JOIN unnest($1::int8[], $2::text[]) AS f(version, sql) ON f.version = m.version
            ORDER BY m.version
            """, migrations.map(\.version), migrations.map(\.sql))
        var appliedVersions = Set<Int>()
        for row in rows {
            let version: Int = try row.decode(0)
            let name: String = try row.decode(1)
            let unchanged: Bool? = try row.decode(2)
            appliedVersions.insert(version)
            guard let unchanged else {
                throw MigrationError.unknownVersion(version: version, name: name, latest: Migration.latestVersion)
            }
            guard unchanged else {
                let file = migrations.first { $0.version == version }?.fileName ?? "\(version)"
                throw MigrationError.changedAfterApply(file: file)
            }
        }
        return migrations.filter { !appliedVersions.contains($0.version) }
    }

    /// The database's schema state relative to this build, without changing anything.
    public func status(_ connection: PostgresConnection) async throws -> Status {
        let exists: Bool = try await connection.query(
            "SELECT to_regclass('pgscorer.schema_migrations') IS NOT NULL"
        ).single().decode(0)
        guard exists else { return Status(appliedVersion: 0, pending: migrations) }
        let applied: [Int] = try await connection.query("SELECT version FROM pgscorer.schema_migrations")
            .map { try $0.decode(0) }
        let appliedSet = Set(applied)
        return Status(appliedVersion: applied.max() ?? 0, pending: migrations.filter { !appliedSet.contains($0.version) })
    }

    /// Throws a clear "run `pgscorer migrate`" error unless the schema is current.
    public func requireCurrent(_ connection: PostgresConnection) async throws {
        let status = try await status(connection)
        if status.appliedVersion > (migrations.last?.version ?? 0) {
            throw MigrationError.databaseNewer(database: status.appliedVersion, build: migrations.last?.version ?? 0)
        }
        if !status.pending.isEmpty {
            throw MigrationError.behind(database: status.appliedVersion, build: migrations.last?.version ?? 0)
        }
        // Citus added to a database after it was migrated: its tables are not placed yet.
        if try await CitusLayout.isPending(connection) { throw MigrationError.citusLayoutPending }
    }

    static let bookkeepingDDL: SQLText = """
        CREATE SCHEMA IF NOT EXISTS pgscorer;
        CREATE TABLE IF NOT EXISTS pgscorer.schema_migrations (
            version    int PRIMARY KEY,
            name       text NOT NULL,
            checksum   text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        );
        """
}

/// Why the database schema and this build do not fit together.
public enum MigrationError: Error, Sendable, CustomStringConvertible, Equatable {
    case changedAfterApply(file: String)
    case unknownVersion(version: Int, name: String, latest: Int)
    case behind(database: Int, build: Int)
    case databaseNewer(database: Int, build: Int)
    case citusLayoutPending

    public var description: String {
        switch self {
        case .changedAfterApply(let file):
            "migration \(file) was changed after it was applied (checksum differs); restore the applied text and put the change in a new migration"
        case .unknownVersion(let version, let name, let latest):
            "the database has migration \(version) (\(name)) that this build does not know (it knows up to \(latest)); upgrade pgscorer"
        case .behind(let database, let build):
            "the database schema is at version \(database) but this pgscorer needs \(build): run `pgscorer migrate`"
        case .databaseNewer(let database, let build):
            "the database schema is at version \(database), newer than this pgscorer (\(build)); upgrade pgscorer"
        case .citusLayoutPending:
            "this database has the citus extension but its tables are not laid out for Citus yet: run `pgscorer migrate`"
        }
    }
}
