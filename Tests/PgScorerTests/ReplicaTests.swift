import Foundation
import Migrations
import PgClient
import PgScorer
import TestSupport
import Testing

/// Reads from a real streaming replica: a primary and a hot standby of its own
/// (pg_basebackup -R, a second postmaster as the postgres account).
@Suite("Reads from a replica")
struct ReplicaTests {
    /// Runs a PostgreSQL tool as the postgres account when we are root.
    static func asClusterOwner(_ executable: URL, _ arguments: [String]) async throws {
        let process =
            geteuid() == 0
            ? try ChildProcess(
                executable: "/usr/sbin/runuser", arguments: ["-u", "postgres", "--", executable.path] + arguments,
                environment: ProcessInfo.processInfo.environment)
            : try ChildProcess(executable: executable.path, arguments: arguments, environment: ProcessInfo.processInfo.environment)
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        guard process.terminationStatus == 0 else { throw TestEnvironmentError("\(executable.lastPathComponent) \(arguments) failed") }
    }

    @Test("report, status and export are served by a hot standby while workers write to the primary")
    func replica() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-replication-\(UUID().uuidString)")
        let primary = EmbeddedCluster(home: root.appendingPathComponent("primary"))
        let standby = EmbeddedCluster(home: root.appendingPathComponent("standby"))
        try FileManager.default.createDirectory(at: standby.home, withIntermediateDirectories: true)
        if geteuid() == 0 {
            try FileManager.default.setAttributes([.ownerAccountName: "postgres"], ofItemAtPath: standby.home.path)
        }
        defer {
            _ = try? standby.stop()
            _ = try? primary.stop()
            try? FileManager.default.removeItem(at: root)
        }
        let primaryURL = try await onOwnThread { try primary.ensureRunning(create: true, logger: .init(label: "test")) }
        let database = TestDatabase(url: primaryURL, name: EmbeddedCluster.databaseName)
        let connection = try await database.connect()
        try await Migrator().migrate(connection)
        let fixture = ScorerFixture(database: database, connection: connection)
        try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
        try await fixture.loadReadings(device: "pump-1", sensor: "temp", start: .utc("2026-11-24T00:00:00Z"), count: 60, featureCount: 2)
        try await fixture.enqueue(.utc("2026-11-24T00:00:00Z"), .utc("2026-11-24T00:30:00Z"))
        #expect(try await PgScorerProcess.run(["worker", "--exit-when-idle", "--no-scheduler"], database: database).status == 0)

        let bin = try EmbeddedCluster.binDirectory()
        try await Self.asClusterOwner(
            bin.appendingPathComponent("pg_basebackup"),
            ["-h", primary.home.appendingPathComponent("run").path, "-p", "5432", "-U", "postgres", "-D",
             standby.dataDirectory.path, "-R", "-X", "stream", "--checkpoint=fast"])
        let standbyURL = try await onOwnThread { try standby.ensureRunning(create: false, logger: .init(label: "test")) }
        let replica = try await PostgresConnection.connect(standbyURL)
        #expect(try await replica.query("SELECT pg_is_in_recovery()").single().decode(0) as Bool, "a hot standby")
        await replica.close()

        // The primary is out of reach for the reads: they can only be served by the standby.
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = "host=/nonexistent port=1 dbname=nothing connect_timeout=2"
        environment["PGSCORER_READ_URL"] = standbyURL
        func read(_ arguments: [String]) async throws -> (status: Int32, output: String) {
            try await PgScorerProcess(arguments, environment: environment).finish()
        }
        let report = try await read(["report", "--since", "2026-11-24", "--format", "csv"])
        #expect(report.status == 0 && report.output.contains("pump-1,temp,30,"), "\(report.output)")
        #expect(try await read(["status"]).status == 0)
        let export = try await read(["export", "predictions", "--since", "2026-11-24"])
        #expect(export.status == 0 && export.output.contains("exported 30 predictions"), "\(export.output)")

        // Workers write to the primary; the standby follows.
        try await fixture.enqueue(.utc("2026-11-24T00:30:00Z"), .utc("2026-11-24T01:00:00Z"))
        #expect(try await PgScorerProcess.run(["worker", "--exit-when-idle", "--no-scheduler"], database: database).status == 0)
        var replayed = false
        for _ in 0..<50 where !replayed {
            replayed = try await read(["report", "--since", "2026-11-24", "--format", "csv"]).output.contains("pump-1,temp,60,")
            if !replayed { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(replayed, "the standby shows what the workers wrote to the primary")
        await connection.close()
    }
}
