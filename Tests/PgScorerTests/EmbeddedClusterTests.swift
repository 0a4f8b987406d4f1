import Foundation
import Migrations
import PgScorer
import TestSupport
import Testing

/// The embedded cluster as a new user meets it: no database configured, commands run
/// from a project folder.
@Suite("Embedded cluster", .serialized)
struct EmbeddedClusterTests {
    /// The environment of a user who configured no database.
    static var unconfigured: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", "DATABASE_URL", "PGSCORER_HOME"] {
            environment[name] = nil
        }
        return environment
    }

    @Test("with no database configured, pgscorer runs its own embedded cluster and db stop stops it")
    func embeddedDefault() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-home-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        var environment = Self.unconfigured
        environment["PGSCORER_HOME"] = home.path
        func pgscorer(_ arguments: [String]) async throws -> (Int32, String) {
            try await PgScorerProcess(arguments, environment: environment).finish()
        }
        // A folder that holds no cluster (yet) is never deleted.
        let empty = try await pgscorer(["db", "remove", "--yes"])
        #expect(empty.0 == 1 && empty.1.contains("holds no embedded cluster (no data/PG_VERSION): nothing was removed"), "\(empty.1)")
        #expect(FileManager.default.fileExists(atPath: home.path))
        let migrate = try await pgscorer(["migrate"])
        #expect(migrate.0 == 0, "\(migrate.1)")
        #expect(migrate.1.contains("applied \(Migration.all.count) migration(s)"))
        let status = try await pgscorer(["db", "status"])
        #expect(status.1.contains("running:          yes") && status.1.contains(home.path), "\(status.1)")
        #expect(try await pgscorer(["migrate"]).1.contains("schema is up to date"))
        #expect(try await pgscorer(["db", "stop"]).1.contains("stopped"))
        #expect(try await pgscorer(["db", "status"]).1.contains("running:          no"))

        // db remove: refuses a home holding anything else, asks for --yes, then deletes it all.
        let notes = home.appendingPathComponent("notes.txt")
        try "mine".write(to: notes, atomically: true, encoding: .utf8)
        let foreign = try await pgscorer(["db", "remove", "--yes"])
        #expect(foreign.0 == 1 && foreign.1.contains("holds more than an embedded cluster (notes.txt): nothing was removed"), "\(foreign.1)")
        try FileManager.default.removeItem(at: notes)
        let unconfirmed = try await pgscorer(["db", "remove"])
        #expect(unconfirmed.0 == 0 && unconfirmed.1.contains("nothing was deleted: run `pgscorer db remove --yes`"), "a preview: \(unconfirmed.1)")
        #expect(!unconfirmed.1.contains("Error"))
        #expect(FileManager.default.fileExists(atPath: home.appendingPathComponent("data/PG_VERSION").path), "nothing deleted yet")
        _ = try await pgscorer(["db", "start"])
        let removed = try await pgscorer(["db", "remove", "--yes"])
        #expect(removed.0 == 0 && removed.1.contains("removed the embedded cluster in \(home.path)"), "\(removed.1)")
        #expect(!FileManager.default.fileExists(atPath: home.path))
    }

    @Test("the embedded cluster is private: folders 700, socket 700, log 600; another account can neither connect nor read it")
    func privateToItsAccount() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-private-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        chmod(home.path, 0o755)  // as a new folder in /tmp is: the cluster must close it
        defer { try? FileManager.default.removeItem(at: home) }
        var environment = Self.unconfigured
        environment["PGSCORER_HOME"] = home.path
        let migrate = try await PgScorerProcess(["migrate"], environment: environment).finish()
        #expect(migrate.0 == 0, "\(migrate.1)")

        func mode(_ path: String) throws -> Int {
            ((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1) & 0o777
        }
        #expect(try mode(home.path) == 0o700)
        #expect(try mode(home.appendingPathComponent("data").path) == 0o700)
        #expect(try mode(home.appendingPathComponent("run").path) == 0o700)
        #expect(try mode(home.appendingPathComponent("server.log").path) == 0o600)
        #expect(try mode(home.appendingPathComponent("run/.s.PGSQL.5432").path) == 0o700)

        // Another local account, as the probe did it: refused at the socket, and the log unreadable.
        if geteuid() == 0 { try await Self.checkOtherAccounts(home: home) }
        let stopped = try await PgScorerProcess(["db", "stop"], environment: environment).finish()
        #expect(stopped.0 == 0, "\(stopped.1)")
    }

    /// As root: `nobody` cannot connect to the cluster in `home` nor read its log; `postgres` can connect.
    static func checkOtherAccounts(home: URL) async throws {
        let psql = try EmbeddedCluster.binDirectory().appendingPathComponent("psql").path
        let conninfo = "host=\(home.path)/run port=5432 user=postgres dbname=pgscorer connect_timeout=5"
        let attempt = try await Self.runAs("nobody", [psql, "-X", "-tA", conninfo, "-c", "SELECT current_setting('is_superuser')"])
        #expect(attempt.status != 0 && !attempt.output.split(separator: "\n").contains("on"), "nobody connected: \(attempt.output)")
        #expect(attempt.output.contains("Permission denied"), "\(attempt.output)")
        let log = try await Self.runAs("nobody", ["/bin/cat", home.appendingPathComponent("server.log").path])
        #expect(log.status != 0, "nobody read the server log: \(log.output.prefix(200))")
        // Its owner still connects.
        let owner = try await Self.runAs("postgres", [psql, "-X", "-tA", conninfo, "-c", "SELECT 1"])
        #expect(owner.status == 0 && owner.output.contains("1"), "\(owner.output)")
    }

    @Test("a cluster a normal user makes in their home is theirs alone: another account is refused")
    func privateForANormalUser() async throws {
        guard geteuid() == 0 else { return }  // making a user needs root; the modes are checked above for any user
        let user = "pgscorer-tester"
        _ = try await Self.runAs("root", ["/usr/sbin/userdel", "-r", user])  // a leftover of a killed run
        let made = try await Self.runAs("root", ["/usr/sbin/useradd", "--create-home", "--shell", "/bin/sh", user])
        #expect(made.status == 0, "\(made.output)")
        let home = try #require(getpwnam(user).map { String(cString: $0.pointee.pw_dir) })
        // The binary where the user can run it (a clone under root's home is closed to them).
        let shared = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-bin-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
        chmod(shared.path, 0o755)
        let binary = shared.appendingPathComponent("pgscorer")
        try FileManager.default.copyItem(at: try PgScorerProcess.binary, to: binary)
        chmod(binary.path, 0o755)
        defer { try? FileManager.default.removeItem(at: shared) }
        let script = "mkdir -p \(home)/project && cd \(home)/project && \(binary.path) migrate"
        let migrated = try await Self.runAs(user, ["/bin/sh", "-c", script])
        #expect(migrated.status == 0, "\(migrated.output)")
        let cluster = URL(fileURLWithPath: "\(home)/project/.pgscorer")
        let psql = try EmbeddedCluster.binDirectory().appendingPathComponent("psql").path
        let conninfo = "host=\(cluster.path)/run port=5432 user=postgres dbname=pgscorer connect_timeout=5"
        let intruder = try await Self.runAs("nobody", [psql, "-X", "-tA", conninfo, "-c", "SELECT 1"])
        #expect(intruder.status != 0 && intruder.output.contains("Permission denied"), "nobody connected: \(intruder.output)")
        let owner = try await Self.runAs(user, [psql, "-X", "-tA", conninfo, "-c", "SELECT 1"])
        #expect(owner.status == 0, "its owner connects: \(owner.output)")
        _ = try await Self.runAs(user, ["/bin/sh", "-c", "cd \(home)/project && \(binary.path) db stop"])
        _ = try await Self.runAs("root", ["/usr/sbin/userdel", "-r", user])
    }

    /// Runs `command` as the local account `user` (the test runs as root): its exit status and output.
    static func runAs(_ user: String, _ command: [String]) async throws -> (status: Int32, output: String) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("runas-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let child = try ChildProcess(
            executable: "/usr/sbin/runuser", arguments: ["-u", user, "--"] + command, environment: ["PATH": "/usr/bin:/bin:/usr/sbin"], directory: "/",
            outputPath: output)
        let deadline = ContinuousClock.now + .seconds(30)
        while child.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        return (child.terminationStatus ?? -1, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    @Test("as root under a folder closed to postgres: demo, then status from the project and a subfolder, no variables")
    func closedParentFolder() async throws {
        // Like /root (mode 700): the postgres account cannot walk into it.
        let closed = URL(fileURLWithPath: "/tmp/pgscorer-closed-\(UUID().uuidString)")
        let project = closed.appendingPathComponent("pgscorer")
        let subfolder = project.appendingPathComponent("data/in")
        try FileManager.default.createDirectory(at: subfolder, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: closed.path)
        func pgscorer(_ arguments: [String], in directory: URL) async throws -> (status: Int32, output: String) {
            try await PgScorerProcess(arguments, environment: Self.unconfigured, directory: directory).finish(timeout: .seconds(180))
        }
        let location = project.appendingPathComponent(".pgscorer/location")
        defer {
            if let home = try? String(contentsOf: location, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) {
                _ = try? EmbeddedCluster(home: URL(fileURLWithPath: home)).stop()
                try? FileManager.default.removeItem(atPath: home)
            } else {
                _ = try? EmbeddedCluster(home: project.appendingPathComponent(".pgscorer")).stop()
            }
            try? FileManager.default.removeItem(at: closed)
        }
        // Read-only commands never create a cluster: they say none was found.
        let none = try await pgscorer(["status"], in: project)
        #expect(none.status == 1 && none.output.contains("no embedded PgScorer database"), "\(none.output)")
        #expect(!FileManager.default.fileExists(atPath: project.appendingPathComponent(".pgscorer").path))

        let demo = try await pgscorer(
            ["demo", "--device-count", "1", "--sensor-count", "1", "--hours", "2", "--score-hours", "1", "--workers", "1", "--seconds", "5"],
            in: project)
        #expect(demo.status == 0, "\(demo.output)")
        if geteuid() == 0 {
            let home = try String(contentsOf: location, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(home.hasPrefix("/var/lib/pgscorer/pgscorer-"), "\(home)")
            #expect(demo.output.contains(home), "the demo says where the database is: \(demo.output)")
        }
        for directory in [project, subfolder] {
            let status = try await pgscorer(["status"], in: directory)
            #expect(status.status == 0 && status.output.contains("schedules:"), "\(status.output)")
        }
        let url = try await pgscorer(["db", "url"], in: subfolder)
        #expect(url.status == 0 && url.output.contains("dbname=pgscorer"), "\(url.output)")
        let report = try await pgscorer(["report"], in: project)
        #expect(!report.output.contains("using the embedded cluster in") && !report.output.contains(" info "), "quiet while it runs: \(report.output)")
        _ = try await pgscorer(["db", "stop"], in: project)
        let first = try await pgscorer(["report"], in: project)
        #expect(first.output.contains("using the embedded cluster in"), "the command that starts it says so: \(first.output)")
        var off = Self.unconfigured
        off["PGSCORER_EMBEDDED"] = "0"
        let refused = try await PgScorerProcess(["status"], environment: off, directory: project).finish()
        #expect(refused.status == 1 && refused.output.contains("PGSCORER_EMBEDDED=0 turns the embedded cluster off"), "\(refused.output)")

        // Removed from a subfolder: the home elsewhere and the project's record of it go.
        let home = (try? String(contentsOf: location, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        let removed = try await pgscorer(["db", "remove", "--yes"], in: subfolder)
        #expect(removed.status == 0, "\(removed.output)")
        if let home { #expect(!FileManager.default.fileExists(atPath: home), "\(home) is still there") }
        #expect(!FileManager.default.fileExists(atPath: project.appendingPathComponent(".pgscorer").path))
        let gone = try await pgscorer(["status"], in: project)
        #expect(gone.status == 1 && gone.output.contains("no embedded PgScorer database"), "\(gone.output)")
    }
}
