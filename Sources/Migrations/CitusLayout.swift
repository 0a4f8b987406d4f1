import Logging
import PgClient

/// Where PgScorer's tables live on a Citus coordinator: readings and predictions
/// distributed by series, the control plane on the coordinator (see
/// `sql/distributed/citus_layout.sql`). The numbered migrations are the same on one
/// server and on Citus; this only places their tables, and is applied after every
/// migrate there because it is idempotent.
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

    static func apply(_ connection: PostgresConnection, logger: Logger) async throws {
        let workers: Int = try await connection.query(
            "SELECT count(*)::int8 FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0 AND isactive"
        ).single().decode(0)
        guard workers > 0 else { throw CitusLayoutError.noWorkerNodes }
        try await connection.transaction { connection in
            // The readings' trigger must fire on the shards (see the layout's notes).
            try await connection.execute("SET LOCAL citus.enable_unsafe_triggers = on")
            do {
                try await connection.executeScript(SQLText(unsafeSQL: Migration.citusLayout), name: "citus_layout.sql")
            } catch var error as PostgresError {
                error.statementName = "citus_layout.sql"
                throw error
            }
        }
        logger.debug("Citus layout applied", metadata: ["worker_nodes": "\(workers)"])
    }

    /// What `pgscorer migrate` prints about the layout: the worker nodes and where the
    /// distributed tables' shards are.
    public struct Placement: Sendable, Equatable {
        public let workerNodes: Int
        public let shards: Int
        public let distributedTables: [String]
    }

    public static func placement(_ connection: PostgresConnection) async throws -> Placement {
        let row = try await connection.query(
            """
            SELECT (SELECT count(*)::int8 FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0 AND isactive),
                   (SELECT count(*)::int8 FROM pg_dist_shard WHERE logicalrelid = 'pgscorer.readings'::regclass),
                   (SELECT coalesce(array_agg(logicalrelid::regclass::text ORDER BY logicalrelid::regclass::text), '{}')
                    FROM pg_dist_partition WHERE partmethod = 'h' AND logicalrelid::regclass::text LIKE 'pgscorer.%'
                      AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = logicalrelid))
            """
        ).single()
        return Placement(workerNodes: try row.decode(0), shards: try row.decode(1), distributedTables: try row.decode(2))
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
