import Logging
import PgClient

/// Where PgScorer's tables live on a Citus coordinator: readings and predictions
/// distributed by series, the control plane on the coordinator (see
/// `sql/distributed/citus_layout.sql`). The numbered migrations are the same on one
/// server and on Citus; this only places their tables. `migrate` applies it when the
/// layout or the migrations changed (its checksum is kept in `pgscorer.citus_layout`).
public enum CitusLayout {
    /// Whether the database is a Citus coordinator (it has the citus extension).
    public static func isCitus(_ connection: PostgresConnection) async throws -> Bool {
        try await connection.query("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus')").single().decode(0)
    }

    /// `migrate --distributed`: creates the citus extension, or says in words why it cannot.
    static func createExtension(_ connection: PostgresConnection) async throws {
        if try await isCitus(connection) { return }
        let available: Bool = try await connection.query(
            "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'citus')"
        ).single().decode(0)
        guard available else { throw CitusLayoutError.notInstalled }
        do {
            try await connection.execute("CREATE EXTENSION citus")
        } catch let error as PostgresError {
            throw CitusLayoutError.cannotCreate(error.message)
        }
    }

    /// Places the tables unless the layout in the database is this build's and no
    /// migration ran since. Without worker nodes the tables stay where they are (a
    /// single-node Citus works as one server) unless `required` (`--distributed`).
    static func apply(_ connection: PostgresConnection, required: Bool, afterMigrations: Bool, logger: Logger) async throws {
        guard try await workerNodes(connection) > 0 else {
            if required { throw CitusLayoutError.noWorkerNodes }
            logger.notice("Citus has no worker nodes: the tables stay on this server; add nodes and run pgscorer migrate again")
            return
        }
        if !afterMigrations, try await isApplied(connection) { return }
        try await connection.transaction { connection in
            // The readings' trigger must fire on the shards (see the layout's notes).
            try await connection.execute("SET LOCAL citus.enable_unsafe_triggers = on")
            do {
                try await connection.executeScript(SQLText(unsafeSQL: Migration.citusLayout), name: "citus_layout.sql")
            } catch var error as PostgresError {
                error.statementName = "citus_layout.sql"
                throw error
            }
            try await connection.execute("DELETE FROM pgscorer.citus_layout")
            try await connection.execute(
                "INSERT INTO pgscorer.citus_layout (checksum) VALUES (encode(sha256(convert_to($1, 'UTF8')), 'hex'))", Migration.citusLayout)
        }
        logger.debug("Citus layout applied")
    }

    /// Active worker nodes (the coordinator not counted).
    static func workerNodes(_ connection: PostgresConnection) async throws -> Int {
        try await connection.query(
            "SELECT count(*)::int8 FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0 AND isactive"
        ).single().decode(0)
    }

    /// Whether this build's layout is in place.
    private static func isApplied(_ connection: PostgresConnection) async throws -> Bool {
        let present: Bool = try await connection.query(
            "SELECT to_regclass('pgscorer.citus_layout') IS NOT NULL AND to_regclass('pgscorer.series_directory') IS NOT NULL"
        ).single().decode(0)
        guard present else { return false }
        return try await connection.query(
            """
            SELECT EXISTS (SELECT 1 FROM pgscorer.citus_layout WHERE checksum = encode(sha256(convert_to($1, 'UTF8')), 'hex'))
            """, Migration.citusLayout
        ).single().decode(0)
    }

    /// A Citus coordinator with worker nodes whose tables were never placed (Citus added
    /// to a database after it was migrated): every command says to run migrate.
    static func isPending(_ connection: PostgresConnection) async throws -> Bool {
        let unplaced: Bool = try await connection.query(
            "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') AND to_regclass('pgscorer.series_directory') IS NULL"
        ).single().decode(0)
        guard unplaced else { return false }
        return try await workerNodes(connection) > 0
    }

    /// What `pgscorer migrate` prints about the layout: the worker nodes and where the
    /// distributed tables' shards are.
    public struct Placement: Sendable, Equatable {
        public let workerNodes: Int
        public let shards: Int
        public let distributedTables: [String]
    }

    /// The layout of a Citus coordinator; nil on a server without Citus.
    public static func placement(_ connection: PostgresConnection) async throws -> Placement? {
        guard try await isCitus(connection) else { return nil }
        let row = try await connection.query(
            """
            SELECT (SELECT count(*)::int8 FROM pg_dist_shard WHERE logicalrelid = 'pgscorer.readings'::regclass),
                   (SELECT coalesce(array_agg(c.oid::regclass::text ORDER BY c.relname), '{}')
                    FROM pg_dist_partition d JOIN pg_class c ON c.oid = d.logicalrelid
                    WHERE d.partmethod = 'h' AND c.relnamespace = 'pgscorer'::regnamespace AND NOT c.relispartition)
            """
        ).single()
        return Placement(workerNodes: try await workerNodes(connection), shards: try row.decode(0), distributedTables: try row.decode(1))
    }
}

public enum CitusLayoutError: Error, Sendable, CustomStringConvertible, Equatable {
    case notInstalled
    case cannotCreate(String)
    case noWorkerNodes

    public var description: String {
        switch self {
        case .notInstalled:
            "--distributed needs Citus, which this PostgreSQL server does not have (no citus extension is installed): install Citus's packages, or use scripts/citus-cluster start to try it"
        case .cannotCreate(let message):
            "--distributed: this server has Citus installed but cannot create its extension (it says: \(message)); put citus in shared_preload_libraries, restart the server and run migrate again"
        case .noWorkerNodes:
            "this Citus coordinator has no active worker nodes: add them with SELECT citus_add_node('host', port) before pgscorer migrate"
        }
    }
}
