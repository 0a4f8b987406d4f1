import Foundation
import PgClient

/// A database of its own for one test, created on the test cluster and dropped after,
/// so tests run in parallel without seeing each other's rows.
///
/// The cluster comes from libpq's environment (`PGHOST`, …) or `DATABASE_URL`, as set
/// by `scripts/test`. Without one the test fails with a message saying so: database
/// tests never skip silently.
public struct TestDatabase: Sendable {
    /// Connection string for the test's own database.
    public let url: String
    public let name: String

    /// A database the test made itself (e.g. on a private cluster).
    public init(url: String, name: String) {
        self.url = url
        self.name = name
    }

    /// Creates a fresh database, runs `body` with it, and drops it (even on failure).
    public static func with<T>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (TestDatabase) async throws -> T
    ) async throws -> T {
        let admin = try await adminConnection()
        let name = "pgscorer_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await admin.execute(PostgresQuery(SQLText(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE template0")))
        let database = TestDatabase(url: connectionString(database: name), name: name)
        do {
            let result = try await body(database)
            try await drop(name, admin: admin)
            return result
        } catch {
            try? await drop(name, admin: admin)
            throw error
        }
    }

    /// Opens a connection to this test's database.
    public func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(url)
    }

    private static func drop(_ name: String, admin: PostgresConnection) async throws {
        try await admin.execute(PostgresQuery(SQLText(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")))
        await admin.close()
    }

    /// Connection string for the cluster's maintenance database.
    public static var clusterURL: String {
        ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
    }

    /// A conninfo for `database` on the test cluster (libpq fills in the rest from PG*).
    public static func connectionString(database: String) -> String {
        let base = clusterURL
        if base.isEmpty { return "dbname=\(database)" }
        // A later dbname overrides the one inside an expanded URL or conninfo.
        return base.contains("://") ? replacingDatabase(in: base, with: database) : base + " dbname=\(database)"
    }

    private static func replacingDatabase(in url: String, with database: String) -> String {
        guard var components = URLComponents(string: url) else { return url }
        components.path = "/" + database
        return components.string ?? url
    }

    static func adminConnection() async throws -> PostgresConnection {
        let environment = ProcessInfo.processInfo.environment
        guard environment["DATABASE_URL"] != nil || environment["PGHOST"] != nil else {
            throw TestEnvironmentError(
                "no PostgreSQL for the database tests: run `scripts/test` (it starts a throwaway cluster) "
                    + "or set DATABASE_URL / PGHOST to a server where this user may CREATE DATABASE")
        }
        return try await PostgresConnection.connect(clusterURL)
    }
}

/// The test environment is missing something the tests need.
public struct TestEnvironmentError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
