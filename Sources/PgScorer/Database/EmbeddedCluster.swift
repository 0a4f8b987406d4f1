import Foundation
import Logging

/// PgScorer's own private PostgreSQL cluster, used when no database is configured:
/// data under `$PGSCORER_HOME` (default `./.pgscorer`), listening only on a unix
/// socket in that folder, started on first use and reused afterwards. PostgreSQL
/// refuses to run as root, so as root the cluster runs as the `postgres` account.
/// Starting is serialised by a file lock, so several processes can share it.
package struct EmbeddedCluster: Sendable {
    package let home: URL

    package init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["PGSCORER_HOME"] ?? FileManager.default.currentDirectoryPath + "/.pgscorer"
        home = URL(fileURLWithPath: path).standardizedFileURL
    }

    var dataDirectory: URL { home.appendingPathComponent("data") }
    var socketDirectory: URL { home.appendingPathComponent("run") }
    var logFile: URL { home.appendingPathComponent("server.log") }
    static let port = 5432
    package static let databaseName = "pgscorer"

    /// The libpq connection string for the cluster's `pgscorer` database.
    package var connectionString: String {
        "host=\(socketDirectory.path) port=\(Self.port) user=postgres dbname=\(Self.databaseName)"
    }

    package var isInitialized: Bool { FileManager.default.fileExists(atPath: dataDirectory.appendingPathComponent("PG_VERSION").path) }

    package var isRunning: Bool {
        guard isInitialized, let bin = try? Self.binDirectory() else { return false }
        return (try? run(bin.appendingPathComponent("pg_ctl").path, ["-D", dataDirectory.path, "status"])) != nil
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The newest `/usr/lib/postgresql/<version>/bin` with `initdb`, else the one on PATH.
    static func binDirectory() throws -> URL {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap { Int($0) }.sorted(by: >)
        for version in versions where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/initdb") {
            return URL(fileURLWithPath: "\(root)/\(version)/bin")
        }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where FileManager.default.isExecutableFile(atPath: "\(directory)/initdb") {
            return URL(fileURLWithPath: String(directory))
        }
        throw Failure(description: "no PostgreSQL server found (initdb): install it (Debian: apt-get install postgresql) or pass --database-url")
    }

    /// Initialises (first time) and starts the cluster unless it runs; returns the conninfo.
    package func ensureRunning(logger: Logger) throws -> String {
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try withLock {
            let bin = try Self.binDirectory()
            if !isInitialized {
                logger.info("creating the embedded PostgreSQL cluster", metadata: ["path": "\(dataDirectory.path)"])
                try prepareDirectories()
                try run(
                    bin.appendingPathComponent("initdb").path,
                    ["-D", dataDirectory.path, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"])

            }
            if !isRunning {
                try prepareDirectories()
                logger.info("starting the embedded PostgreSQL cluster", metadata: ["socket": "\(socketDirectory.path)"])
                try run(
                    bin.appendingPathComponent("pg_ctl").path,
                    [
                        "-D", dataDirectory.path, "-l", logFile.path, "-w", "-t", "60", "-o",
                        "-c listen_addresses='' -k \(socketDirectory.path) -p \(Self.port)", "start",
                    ])
                let connect = ["-h", socketDirectory.path, "-p", "\(Self.port)", "-U", "postgres"]
                let exists = try run(
                    bin.appendingPathComponent("psql").path,
                    ["-X", "-tA", "-d", "postgres"] + connect
                        + ["-c", ClusterQueries.databaseExists(Self.databaseName)], asOwner: false)
                if exists.trimmingCharacters(in: .whitespacesAndNewlines) == "0" {
                    try run(bin.appendingPathComponent("createdb").path, connect + [Self.databaseName], asOwner: false)
                }
            }
        }
        return connectionString
    }

    /// Stops the cluster if it runs.
    package func stop() throws -> Bool {
        guard isRunning else { return false }
        _ = try withLock {
            try run(Self.binDirectory().appendingPathComponent("pg_ctl").path, ["-D", dataDirectory.path, "-m", "fast", "-w", "stop"])
        }
        return true
    }

    // MARK: Processes, ownership and locking

    private var runningAsRoot: Bool { geteuid() == 0 }

    /// As root, the data and socket folders belong to `postgres`, who must reach them.
    private func prepareDirectories() throws {
        for directory in [dataDirectory, socketDirectory] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: dataDirectory.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: socketDirectory.path)
        guard runningAsRoot else { return }
        guard let owner = getpwnam("postgres") else {
            throw Failure(description: "running as root, but there is no 'postgres' account to run the embedded cluster as")
        }
        for path in [home.path, dataDirectory.path, socketDirectory.path] {
            guard chown(path, owner.pointee.pw_uid, owner.pointee.pw_gid) == 0 else {
                throw Failure(description: "cannot give \(path) to the postgres account (errno \(errno))")
            }
        }
        if !FileManager.default.fileExists(atPath: logFile.path) {
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        }
        _ = chown(logFile.path, owner.pointee.pw_uid, owner.pointee.pw_gid)
        // postgres must be able to walk down to the folder.
        if (try? run("/usr/sbin/runuser", ["-u", "postgres", "--", "test", "-w", dataDirectory.path], asOwner: false)) == nil {
            throw Failure(description: "the postgres account cannot write \(dataDirectory.path) (a parent folder is closed to it); set PGSCORER_HOME to a folder it can reach, e.g. /var/tmp/pgscorer")
        }
    }

    private func withLock<T>(_ body: () throws -> T) throws -> T {
        let path = home.appendingPathComponent("lock").path
        let descriptor = open(path, O_CREAT | O_RDWR, 0o644)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(path) (errno \(errno))") }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw Failure(description: "cannot lock \(path) (errno \(errno))") }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// Runs a PostgreSQL tool (as the postgres account when we are root) and waits for
    /// it. Output goes to a temporary file, not a pipe: `pg_ctl start` leaves a server
    /// running that would inherit a pipe and hold it open. posix_spawn and waitpid are
    /// used directly because Foundation's Process can miss the exit of such a child.
    @discardableResult
    private func run(_ executable: String, _ arguments: [String], asOwner: Bool = true) throws -> String {
        let argv = runningAsRoot && asOwner ? ["/usr/sbin/runuser", "-u", "postgres", "--", executable] + arguments : [executable] + arguments
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-tool-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log").path
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        Self.closeInheritedDescriptorsOnExec()
        var pid: pid_t = 0
        let spawned = withCStringArray(argv) { pointers in
            posix_spawn(&pid, argv[0], &actions, nil, pointers, environ)
        }
        guard spawned == 0 else { throw Failure(description: "cannot run \(argv[0]) (error \(spawned))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exitedCleanly = (status & 0x7f) == 0 && ((status >> 8) & 0xff) == 0
        guard exitedCleanly else {
            throw Failure(description: "\(URL(fileURLWithPath: executable).lastPathComponent) failed: \(output.trimmingCharacters(in: .whitespacesAndNewlines)) (server log: \(logFile.path))")
        }
        return output
    }
}

extension EmbeddedCluster {
    /// Marks every descriptor above stderr close-on-exec, so the server that `pg_ctl`
    /// leaves running cannot inherit (and keep open) a pipe of whoever started us.
    static func closeInheritedDescriptorsOnExec() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for descriptor in entries.compactMap({ Int32($0) }) where descriptor > 2 {
            let flags = fcntl(descriptor, F_GETFD)
            if flags >= 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
}

/// A NULL-terminated C string array for posix_spawn, alive during `body`.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    return (copies + [nil]).withUnsafeBufferPointer { body($0.baseAddress!) }
}
