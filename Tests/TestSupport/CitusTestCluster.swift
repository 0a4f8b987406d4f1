import Foundation
import PgClient
import Spawn

/// The real Citus cluster the Citus tests run on: a coordinator and two worker nodes
/// started by `scripts/citus-cluster` (scripts/test does it and exports
/// PGSCORER_CITUS_DIR). Each test gets a database of its own on all three nodes, with the
/// citus extension and the workers added, dropped again after. Without a cluster the
/// tests fail with a message saying so: they never skip.
public enum CitusTestCluster {
    public static let nodes = ["coordinator", "worker1", "worker2"]

    /// The cluster's folder (its sockets, data directories and `ports` file).
    public static var directory: String {
        get throws {
            guard let directory = ProcessInfo.processInfo.environment["PGSCORER_CITUS_DIR"],
                FileManager.default.fileExists(atPath: directory + "/ports")
            else {
                throw TestEnvironmentError(
                    "no Citus cluster for the Citus tests: run `scripts/test` (it starts one) or `scripts/citus-cluster start` "
                        + "and set PGSCORER_CITUS_DIR to its folder (/tmp/pgscorer-citus)")
            }
            return directory
        }
    }

    /// The port each node listens on, from the cluster's `ports` file.
    public static func port(_ node: String) throws -> Int {
        let text = try String(contentsOfFile: try directory + "/ports", encoding: .utf8)
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0] == node, let port = Int(parts[1]) { return port }
        }
        throw TestEnvironmentError("the Citus cluster's ports file names no \(node)")
    }

    public static func connectionString(node: String, database: String) throws -> String {
        "host=\(try directory) port=\(try port(node)) user=postgres dbname=\(database)"
    }

    /// Creates a database on every node, makes it a Citus coordinator with two workers
    /// (unless `coordinator` is false: then its database is plain PostgreSQL until
    /// `makeCoordinator`), runs `body` with the coordinator's database, and drops it on
    /// every node.
    public static func with<T>(
        coordinator: Bool = true,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (TestDatabase) async throws -> T
    ) async throws -> T {
        let name = "pgscorer_citus_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        do {
            for node in nodes {
                let admin = try await PostgresConnection.connect(try connectionString(node: node, database: "postgres"))
                try await admin.execute(PostgresQuery(SQLText(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE template0")))
                await admin.close()
                if node != "coordinator" {
                    let database = try await PostgresConnection.connect(try connectionString(node: node, database: name))
                    try await database.execute("CREATE EXTENSION citus")
                    await database.close()
                }
            }
            let database = TestDatabase(url: try connectionString(node: "coordinator", database: name), name: name)
            if coordinator { try await makeCoordinator(database) }
            let result = try await body(database)
            try await drop(name)
            return result
        } catch {
            try? await drop(name)
            throw error
        }
    }

    /// Creates the citus extension in the coordinator's database and adds the two workers.
    public static func makeCoordinator(_ database: TestDatabase) async throws {
        let directory = try directory
        let coordinator = try await database.connect()
        try await coordinator.execute("CREATE EXTENSION citus")
        try await coordinator.execute("SELECT citus_set_coordinator_host($1, $2)", directory, Int32(try port("coordinator")))
        for worker in nodes.dropFirst() {
            try await coordinator.execute("SELECT citus_add_node($1, $2)", directory, Int32(try port(worker)))
        }
        await coordinator.close()
    }

    private static func drop(_ name: String) async throws {
        for node in nodes {
            let admin = try await PostgresConnection.connect(try connectionString(node: node, database: "postgres"))
            try await admin.execute(PostgresQuery(SQLText(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")))
            await admin.close()
        }
    }

    /// Stops a node (fast shutdown: its sessions are cut off) and starts it again with
    /// the options it ran with, as the cluster's owner.
    public static func restart(_ node: String) throws {
        let directory = try directory
        let bin = try String(contentsOfFile: directory + "/bin", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let pgCtl = [bin + "/pg_ctl", "-D", directory + "/" + node, "-m", "fast", "-w", "-t", "60", "restart"]
        // PostgreSQL refuses to run as root: as root, the cluster's owner is postgres.
        let command = geteuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + pgCtl : pgCtl
        let process = try ChildProcess(
            executable: command[0], arguments: Array(command.dropFirst()), environment: ProcessInfo.processInfo.environment,
            directory: "/", output: .discard)
        let status = process.waitUntilExit()
        guard status == 0 else { throw TestEnvironmentError("pg_ctl restart of Citus node \(node) exited with \(status)") }
    }
}
