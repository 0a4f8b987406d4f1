import Foundation
import Logging
import Spawn

/// PgScorer's own private PostgreSQL cluster, used when no database is configured, for
/// trying PgScorer out: listening only on a unix socket in its home, started on first
/// use and reused afterwards. Private to the account it runs as (and root): its home,
/// data and socket folders are mode 700, the socket 700 and the log 600, so another
/// local account can neither connect (authentication is `trust`) nor read its files.
/// Starting is serialised by a file lock, so several processes can share it.
///
/// Its home is found the way git finds a repository: `$PGSCORER_HOME`, else the nearest
/// `.pgscorer` folder in the current directory or a parent. PostgreSQL refuses to run
/// as root, so as root the cluster runs as the `postgres` account; when that account
/// cannot reach `./.pgscorer` (a home folder of mode 700), the data goes to
/// `/var/lib/pgscorer/<project>-<hash>` instead, and `./.pgscorer/location` records
/// where, so every later command run from the project finds it.
package struct EmbeddedCluster: Sendable {
    /// Where the data, the socket and the log live.
    package let home: URL
    /// The project's `.pgscorer` folder that led here (the home itself, or the folder
    /// whose `location` names it); nil for `$PGSCORER_HOME`.
    package let marker: URL?

    package init(home: URL, marker: URL? = nil) {
        self.home = home.standardizedFileURL
        self.marker = marker?.standardizedFileURL
    }

    /// The folder that marks a project, and the file in it naming a home elsewhere.
    static let markerName = ".pgscorer"
    static let locationFileName = "location"
    /// Where homes go when the postgres account cannot reach the project (as root).
    static let fallbackRoot = URL(fileURLWithPath: "/var/lib/pgscorer")

    /// The cluster of `directory`'s project: `$PGSCORER_HOME`, else the nearest
    /// `.pgscorer` in `directory` or a parent. Nil when there is none.
    package static func find(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        from directory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    ) -> EmbeddedCluster? {
        if let home = environment["PGSCORER_HOME"], !home.isEmpty { return EmbeddedCluster(home: URL(fileURLWithPath: home)) }
        var folder = directory.standardizedFileURL
        while true {
            let marker = folder.appendingPathComponent(markerName)
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: marker.path, isDirectory: &isFolder), isFolder.boolValue {
                let location = marker.appendingPathComponent(locationFileName)
                // Only an absolute path counts: an empty or relative one would point anywhere.
                if let text = try? String(contentsOf: location, encoding: .utf8),
                    case let path = text.trimmingCharacters(in: .whitespacesAndNewlines), path.hasPrefix("/")
                {
                    return EmbeddedCluster(home: URL(fileURLWithPath: path), marker: marker)
                }
                return EmbeddedCluster(home: marker, marker: marker)
            }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { return nil }
            folder = parent
        }
    }

    /// The project's cluster, or a new one for `directory` (nothing is initialised
    /// until `ensureRunning(create: true)`): `./.pgscorer`, or as root when the postgres
    /// account cannot reach it, a home under /var/lib/pgscorer recorded in
    /// `./.pgscorer/location`.
    package static func findOrPlace(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        in directory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath), logger: Logger
    ) throws -> EmbeddedCluster {
        if let found = find(environment: environment, from: directory) { return found }
        let marker = directory.standardizedFileURL.appendingPathComponent(markerName)
        guard geteuid() == 0, !postgresCanReach(directory) else { return EmbeddedCluster(home: marker, marker: marker) }
        let home = fallbackRoot.appendingPathComponent(fallbackName(for: directory))
        try FileManager.default.createDirectory(at: fallbackRoot, withIntermediateDirectories: true)
        // Others may pass through (postgres must reach its home) but not list the projects.
        try FileManager.default.setAttributes([.posixPermissions: 0o711], ofItemAtPath: fallbackRoot.path)
        try FileManager.default.createDirectory(at: marker, withIntermediateDirectories: true)
        try (home.path + "\n").write(to: marker.appendingPathComponent(locationFileName), atomically: true, encoding: .utf8)
        logger.notice(
            "the postgres account cannot reach \(marker.path) (a parent folder is closed to it): the embedded cluster lives in \(home.path), recorded in \(marker.path)/\(locationFileName)")
        return EmbeddedCluster(home: home, marker: marker)
    }

    /// `<last path component>-<hash of the path>`: one home per project folder.
    static func fallbackName(for directory: URL) -> String {
        let path = directory.standardizedFileURL.path
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        let name = String(directory.lastPathComponent.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }.prefix(40))
        return (name.isEmpty ? "project" : name) + "-" + String(hash, radix: 16)
    }

    /// Whether the postgres account can walk into `directory` (as root, by asking it).
    static func postgresCanReach(_ directory: URL) -> Bool {
        guard getpwnam("postgres") != nil else { return true }
        return (try? EmbeddedCluster(home: directory).run(
            "/usr/sbin/runuser", ["-u", "postgres", "--", "test", "-x", directory.path], asOwner: false)) != nil
    }

    package var dataDirectory: URL { home.appendingPathComponent("data") }
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
    package static func binDirectory() throws -> URL {
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

    /// Starts the cluster unless it runs, initialising it first if `create` (else a
    /// cluster that was never initialised is an error); returns the conninfo.
    package func ensureRunning(create: Bool, logger: Logger) throws -> String {
        if !create && !isInitialized {
            throw Failure(description: "no embedded database has been created in \(home.path) yet: `pgscorer migrate` or `pgscorer demo` creates it")
        }
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
                        "-c listen_addresses='' -c unix_socket_permissions=0700 -k \(socketDirectory.path) -p \(Self.port)", "start",
                    ])
                let connect = ["-h", socketDirectory.path, "-p", "\(Self.port)", "-U", "postgres"]
                let names = try run(
                    bin.appendingPathComponent("psql").path, ["-X", "-tA", "-d", "postgres"] + connect + ["-c", ClusterQueries.databaseNames],
                    asOwner: false)
                if !names.split(separator: "\n").contains(Substring(Self.databaseName)) {
                    try run(bin.appendingPathComponent("createdb").path, connect + [Self.databaseName], asOwner: false)
                }
            }
        }
        return connectionString
    }

    /// Stops the cluster if it runs.
    package func stop() throws -> Bool {
        guard isRunning else { return false }
        try withLock { try stopServer() }
        return true
    }

    /// `pg_ctl stop`, for a caller holding the start lock.
    private func stopServer() throws {
        _ = try run(Self.binDirectory().appendingPathComponent("pg_ctl").path, ["-D", dataDirectory.path, "-m", "fast", "-w", "stop"])
    }

    /// What a home holds: the data, the socket folder, the server log, the start lock,
    /// and (in a project's `.pgscorer`) the record of a home elsewhere.
    static let homeEntries: Set<String> = ["data", "run", "server.log", "lock", locationFileName]

    /// Stops the cluster and deletes it: its home, and the project's record of a home
    /// elsewhere. Only a real cluster home is deleted (an initialised cluster, nothing
    /// else in it, not a symbolic link), so that a mistyped `$PGSCORER_HOME` never
    /// deletes someone's folder.
    package func remove() throws {
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: home.path)) != nil
            || (try? FileManager.default.destinationOfSymbolicLink(atPath: dataDirectory.path)) != nil
        {
            throw Failure(description: "\(home.path) or its data folder is a symbolic link: nothing was removed; delete it by hand if you mean to")
        }
        guard isInitialized else {
            throw Failure(description: "\(home.path) holds no embedded cluster (no data/PG_VERSION): nothing was removed")
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: home.path)) ?? []
        let foreign = entries.filter { !Self.homeEntries.contains($0) }.sorted()
        guard foreign.isEmpty else {
            throw Failure(
                description: "\(home.path) holds more than an embedded cluster (\(foreign.joined(separator: ", "))): nothing was removed; delete it by hand if you mean to")
        }
        // Under the start lock, so that no process starts the cluster between the stop and the delete.
        try withLock {
            if isRunning { try stopServer() }
            try FileManager.default.removeItem(at: home)
        }
        if let marker, marker != home {
            try? FileManager.default.removeItem(at: marker.appendingPathComponent(Self.locationFileName))
            if (try? FileManager.default.contentsOfDirectory(atPath: marker.path))?.isEmpty == true {
                try FileManager.default.removeItem(at: marker)
            }
        }
    }

    // MARK: Processes, ownership and locking

    private var runningAsRoot: Bool { geteuid() == 0 }

    /// The home, data and socket folders for the cluster's account alone (mode 700), and
    /// its log (600); as root they belong to `postgres`, who runs the cluster. Run before
    /// every start, so a cluster made before they were private becomes so.
    private func prepareDirectories() throws {
        for directory in [dataDirectory, socketDirectory] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        if !FileManager.default.fileExists(atPath: logFile.path) {
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        for (path, mode) in [(home.path, 0o700), (dataDirectory.path, 0o700), (socketDirectory.path, 0o700), (logFile.path, 0o600)] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        }
        guard runningAsRoot else { return }
        guard let owner = getpwnam("postgres") else {
            throw Failure(description: "running as root, but there is no 'postgres' account to run the embedded cluster as")
        }
        for path in [home.path, dataDirectory.path, socketDirectory.path, logFile.path] {
            guard chown(path, owner.pointee.pw_uid, owner.pointee.pw_gid) == 0 else {
                throw Failure(description: "cannot give \(path) to the postgres account (errno \(errno))")
            }
        }
        // postgres must be able to walk down to the folder.
        if (try? run("/usr/sbin/runuser", ["-u", "postgres", "--", "test", "-w", dataDirectory.path], asOwner: false)) == nil {
            throw Failure(description: "the postgres account cannot write \(dataDirectory.path) (a parent folder is closed to it); set PGSCORER_HOME to a folder it can reach, e.g. /var/lib/pgscorer/mine")
        }
    }

    private func withLock<T>(_ body: () throws -> T) throws -> T {
        let path = home.appendingPathComponent("lock").path
        let descriptor = open(path, O_CREAT | O_RDWR, 0o600)
        guard descriptor >= 0 else { throw Failure(description: "cannot open \(path) (errno \(errno))") }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw Failure(description: "cannot lock \(path) (errno \(errno))") }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// Runs a PostgreSQL tool (as the postgres account when we are root) and waits for
    /// it. Output goes to a temporary file, not a pipe: `pg_ctl start` leaves a server
    /// running that would inherit a pipe and hold it open (and `ChildProcess` passes on
    /// no descriptor beyond stderr). From /, as the paths are absolute: the tools then
    /// never complain that postgres cannot enter the folder we were started in.
    @discardableResult
    fileprivate func run(_ executable: String, _ arguments: [String], asOwner: Bool = true) throws -> String {
        let argv = runningAsRoot && asOwner ? ["/usr/sbin/runuser", "-u", "postgres", "--", executable] + arguments : [executable] + arguments
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-tool-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log").path
        defer { unlink(outputPath) }
        let child: ChildProcess
        do {
            child = try ChildProcess(
                executable: argv[0], arguments: Array(argv.dropFirst()), environment: ProcessInfo.processInfo.environment, directory: "/",
                outputPath: outputPath)
        } catch {
            throw Failure(description: "cannot run \(argv[0]): \(error)")
        }
        let status = child.waitUntilExit()
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw Failure(description: "\(URL(fileURLWithPath: executable).lastPathComponent) failed: \(output.trimmingCharacters(in: .whitespacesAndNewlines)) (server log: \(logFile.path))")
        }
        return output
    }
}
