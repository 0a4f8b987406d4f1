import Foundation

/// A child process, spawned with `posix_spawn` and waited for with `waitpid`: the one way
/// PgScorer starts a program (PostgreSQL's tools, the demo's workers, the pickle
/// exporter, benchmark baselines, and the tests' `pgscorer`).
///
/// Not Foundation's `Process`: on Linux it learns of a child's exit from a socket the
/// child inherits, so when a child spawned at the same moment inherits that socket too
/// (tests spawn many processes in parallel), an exit goes unnoticed for as long as the
/// other child lives (swift-corelibs-foundation #4795); and its children inherit the
/// spawning thread's blocked signals (#4772). Here the child gets only its standard
/// descriptors, default signal handling and an empty signal mask, and `isRunning` asks
/// the kernel about this pid alone.
public final class ChildProcess: @unchecked Sendable {
    public let processIdentifier: pid_t
    private let lock = NSLock()
    private var exitStatus: Int32?

    /// Where a child's standard output and error go.
    public enum Output: Sendable {
        /// /dev/null.
        case discard
        /// This process's own.
        case inherit
        /// Appended to a file (created if missing).
        case file(String)
    }

    /// Starts `executable` in `directory` (else ours); stdout and stderr go to `output`,
    /// stdin reads /dev/null. Descriptors above stderr are not inherited.
    public init(
        executable: String, arguments: [String], environment: [String: String], directory: String? = nil, output: Output
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        switch output {
        case .discard, .file:
            let path = if case .file(let path) = output { path } else { "/dev/null" }
            posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        case .inherit:
            break
        }
        guard Self.addCloseFrom(&actions, 3) == 0, directory.map({ Self.addChdir(&actions, $0) == 0 }) ?? true else {
            throw SpawnError(description: "cannot prepare the start of \(executable)")
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(result)))") }
        processIdentifier = pid
    }

    /// Starts `executable` with its output appended to `outputPath` (nil: discarded).
    public convenience init(
        executable: String, arguments: [String], environment: [String: String], directory: String? = nil, outputPath: String? = nil
    ) throws {
        try self.init(
            executable: executable, arguments: arguments, environment: environment, directory: directory,
            output: outputPath.map { .file($0) } ?? .discard)
    }

    /// Waits for the child to exit: its exit code, or 128 + the signal that ended it.
    @discardableResult
    public func waitUntilExit() -> Int32 {
        lock.withLock {
            if exitStatus == nil {
                var status: Int32 = 0
                while waitpid(processIdentifier, &status, 0) < 0 && errno == EINTR {}
                exitStatus = status
            }
        }
        return terminationStatus ?? -1
    }

    /// False once the child has exited (it is reaped then).
    public var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        guard exitStatus == nil else { return false }
        var status: Int32 = 0
        let reaped = waitpid(processIdentifier, &status, WNOHANG)
        if reaped == processIdentifier { exitStatus = status }
        return reaped == 0
    }

    /// The exit code, or 128 + the signal that ended it; nil while it runs.
    public var terminationStatus: Int32? {
        guard !isRunning, let status = lock.withLock({ exitStatus }) else { return nil }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    public func signal(_ signal: Int32) { kill(processIdentifier, signal) }

    // glibc's posix_spawn_file_actions_addclosefrom_np (2.34) and _addchdir_np (2.29) are
    // GNU extensions the Glibc module does not import; found at run time instead.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    private static let addCloseFrom = unsafeBitCast(
        dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")!, to: AddCloseFrom.self)
    private static let addChdir = unsafeBitCast(dlsym(nil, "posix_spawn_file_actions_addchdir_np")!, to: AddChdir.self)
}

/// A program could not be started.
public struct SpawnError: Error, CustomStringConvertible {
    public let description: String
}
