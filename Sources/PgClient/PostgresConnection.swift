import CLibPQ
import Dispatch
import Foundation
import Logging
import Synchronization

/// A connection to PostgreSQL through libpq.
///
/// Invariant: the `PGconn *` is touched only on `queue`, a serial dispatch queue owned
/// by this connection. Blocking libpq calls therefore run on that queue's own thread
/// and never on Swift's cooperative pool; `run` is the one way in. A connection serves
/// one task at a time (a transaction or COPY spans several calls); use one
/// connection per concurrent task.
public final class PostgresConnection: @unchecked Sendable {
    /// A redacted description of where this connection goes (no password).
    public let target: String
    public let logger: Logger

    private let queue: DispatchQueue
    /// `PGconn *`; nil after `close()`. Accessed only on `queue`.
    private var handle: OpaquePointer?
    /// `PGcancel *`; libpq documents `PQcancel` as safe to call from any thread.
    private let cancelHandle: OpaquePointer?
    /// Names of the statements prepared on this session. Accessed only on `queue`.
    private var preparedNames: Set<String> = []

    private init(handle: OpaquePointer, queue: DispatchQueue, target: String, logger: Logger) {
        self.handle = handle
        self.queue = queue
        self.target = target
        self.logger = logger
        self.cancelHandle = PQgetCancel(handle)
        // Server notices (e.g. "already exists, skipping") go to the logger, not stderr.
        PQsetNoticeReceiver(handle, { context, result in
            guard let context, let result, let message = PQresultErrorMessage(result) else { return }
            let connection = Unmanaged<PostgresConnection>.fromOpaque(context).takeUnretainedValue()
            connection.logger.debug("server notice: \(String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines))")
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    deinit {
        if let cancelHandle { PQfreeCancel(cancelHandle) }
        if let handle { PQfinish(handle) }
    }

    /// Connects with a libpq conninfo string (`host=… dbname=…`) or a `postgres://` URL.
    /// Anything not given comes from libpq's defaults: `PG*` variables, `.pgpass`,
    /// the default unix socket. The error of a failed connect names the target
    /// (never the password) and libpq's reason.
    public static func connect(
        _ conninfo: String, applicationName: String = "pgscorer",
        logger: Logger = Logger(label: "pgscorer.pgclient")
    ) async throws -> PostgresConnection {
        let queue = DispatchQueue(label: "pgscorer.pgclient.connection")
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result {
                    try Self.open(conninfo, applicationName: applicationName, queue: queue, logger: logger)
                })
            }
        }
    }

    private static func open(
        _ conninfo: String, applicationName: String, queue: DispatchQueue, logger: Logger
    ) throws -> PostgresConnection {
        // Expanded key/value form so an application name can ride along with a URL.
        let keys = ["dbname", "fallback_application_name"]
        let values = [conninfo, applicationName]
        let handle = withCStringArray(keys) { keyPointers in
            withCStringArray(values) { valuePointers in
                PQconnectdbParams(keyPointers, valuePointers, 1)
            }
        }
        guard let handle else {
            throw PostgresError(.connectionFailed, message: "libpq could not allocate a connection")
        }
        let target = Self.describeTarget(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            let reason = Self.lastErrorMessage(handle)
            PQfinish(handle)
            throw PostgresError(.connectionFailed, message: "could not connect to \(target): \(reason)")
        }
        // Our binary decoders assume UTF-8 text.
        PQsetClientEncoding(handle, "UTF8")
        return PostgresConnection(handle: handle, queue: queue, target: target, logger: logger)
    }

    /// `database "x" as user "y" on socket /dir port 5432` (or host …), never the password.
    static func describeTarget(_ handle: OpaquePointer) -> String {
        let host = PQhost(handle).map { String(cString: $0) } ?? ""
        let port = PQport(handle).map { String(cString: $0) } ?? ""
        let database = PQdb(handle).map { String(cString: $0) } ?? ""
        let user = PQuser(handle).map { String(cString: $0) } ?? ""
        let place = host.hasPrefix("/") ? "socket \(host)" : "host \(host.isEmpty ? "localhost" : host)"
        return "database \"\(database)\" as user \"\(user)\" on \(place) port \(port)"
    }

    /// Whether `url` (a postgres:// URL or key=value string) carries a password, so a
    /// caller knows not to print it. An unparsable string counts as carrying one.
    public static func containsPassword(_ url: String) -> Bool {
        guard let options = PQconninfoParse(url, nil) else { return true }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "password", let value = option.pointee.val, value.pointee != 0 { return true }
            option += 1
        }
        return false
    }

    static func lastErrorMessage(_ handle: OpaquePointer) -> String {
        guard let message = PQerrorMessage(handle) else { return "unknown error" }
        return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Closes the connection; later calls throw a usage error.
    public func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                if let handle = self.handle { PQfinish(handle) }
                self.handle = nil
                continuation.resume()
            }
        }
    }

    /// True while libpq reports the connection healthy.
    public var isOpen: Bool {
        queue.sync { handle.map { PQstatus($0) == CONNECTION_OK } ?? false }
    }

    /// The server's backend process id (for `pg_terminate_backend`, tests, logs).
    public var backendPID: Int {
        queue.sync { handle.map { Int(PQbackendPID($0)) } ?? 0 }
    }

    /// Runs `body` with the `PGconn *` on this connection's queue and returns its result.
    func run<T: Sendable>(_ body: @escaping @Sendable (Session) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result {
                    guard let handle = self.handle else {
                        throw PostgresError(.usage, message: "connection to \(self.target) is closed")
                    }
                    return try body(Session(connection: self, handle: handle))
                })
            }
        }
    }

    /// Like `run`, but a cancelled task asks the server to cancel the running statement.
    ///
    /// A cancellation that comes while the call still waits for the queue is remembered
    /// and stops it before anything is sent: a cancel request sent then would reach an
    /// idle server, which ignores it, or cancel the statement of the call ahead.
    func runCancellable<T: Sendable>(_ body: @escaping @Sendable (Session) throws -> T) async throws -> T {
        try Task.checkCancellation()
        let call = CancellableCall()
        return try await withTaskCancellationHandler {
            try await run { session in
                guard call.start() else { throw CancellationError() }
                defer { call.finish() }
                return try body(session)
            }
        } onCancel: {
            call.cancel { self.requestCancel() }
        }
    }

    /// Where a cancellable call is, so that a cancellation reaches the server only while
    /// the call's own statements run.
    private final class CancellableCall: Sendable {
        private enum Phase { case waiting, running, cancelled, finished }
        private let phase = Mutex(Phase.waiting)

        /// False when cancelled while waiting; the call must not start.
        func start() -> Bool {
            phase.withLock { phase in
                guard phase == .waiting else { return false }
                phase = .running
                return true
            }
        }

        func finish() { phase.withLock { $0 = .finished } }

        /// Marks a waiting call cancelled, or runs `askServer` while the call runs. The
        /// lock is held meanwhile, so the call cannot finish and let the connection's next
        /// statement start before the server has the request (libpq's `PQcancel` returns
        /// once the server took it).
        func cancel(askServer: () -> Void) {
            phase.withLock { phase in
                switch phase {
                case .waiting: phase = .cancelled
                case .running: askServer()
                case .cancelled, .finished: break
                }
            }
        }
    }

    /// Asks the server to cancel whatever this connection is running (thread-safe).
    public func requestCancel() {
        guard let cancelHandle else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancelHandle, &buffer, Int32(buffer.count))
    }

    /// The connection as seen from its queue: the raw handle plus session state.
    /// Only ever created inside `run`, so it never outlives the queue hop.
    struct Session {
        let connection: PostgresConnection
        let handle: OpaquePointer

        func isPrepared(_ name: String) -> Bool { connection.preparedNames.contains(name) }
        func markPrepared(_ name: String) { connection.preparedNames.insert(name) }

        /// The error for a failed call that produced no result: usually a lost connection.
        func connectionError(statementName: String?) -> PostgresError {
            let lost = PQstatus(handle) != CONNECTION_OK
            return PostgresError(
                lost ? .connectionLost : .server,
                message: PostgresConnection.lastErrorMessage(handle), statementName: statementName)
        }
    }
}

/// Calls `body` with a NULL-terminated array of C strings that lives for the call only.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let duplicates = strings.map { strdup($0) }
    defer { duplicates.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = duplicates.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
