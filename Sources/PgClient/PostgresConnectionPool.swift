import Logging
import Synchronization

/// Up to `size` connections shared by concurrent tasks (a web server's requests): a
/// task borrows one for the length of `withConnection` and gives it back; a caller
/// beyond `size` waits for one to come back. Each new connection runs `setUp` once
/// (e.g. `SET ROLE`). A connection that was lost is dropped instead of returned.
public final class PostgresConnectionPool: Sendable {
    public let size: Int
    private let conninfo: String
    private let applicationName: String
    private let logger: Logger
    private let setUp: @Sendable (PostgresConnection) async throws -> Void

    private struct State {
        var idle: [PostgresConnection] = []
        /// Connections lent out or being opened.
        var busy = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
        var closed = false
    }

    private let state = Mutex(State())

    public init(
        _ conninfo: String, size: Int, applicationName: String = "pgscorer", logger: Logger,
        setUp: @escaping @Sendable (PostgresConnection) async throws -> Void = { _ in }
    ) {
        precondition(size >= 1)
        self.conninfo = conninfo
        self.size = size
        self.applicationName = applicationName
        self.logger = logger
        self.setUp = setUp
    }

    /// Runs `body` with a borrowed connection.
    public func withConnection<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await borrow()
        do {
            let result = try await body(connection)
            giveBack(connection)
            return result
        } catch {
            if let error = error as? PostgresError, error.isConnectionLoss {
                await connection.close()
                giveBack(nil)
            } else {
                giveBack(connection)
            }
            throw error
        }
    }

    /// Closes the idle connections; connections lent out close when they come back, and
    /// tasks still waiting for one are told the pool is closed.
    public func close() async {
        let (idle, waiters) = state.withLock { state in
            state.closed = true
            defer {
                state.idle = []
                state.waiters = []
            }
            return (state.idle, state.waiters)
        }
        for waiter in waiters { waiter.resume() }
        for connection in idle { await connection.close() }
    }

    private enum Next {
        case use(PostgresConnection)
        case open
        case wait
        case closed
    }

    private func borrow() async throws -> PostgresConnection {
        while true {
            if Task.isCancelled {
                // A wake-up meant for this task must not be lost with it: pass it on.
                wakeOneWaiter()
                throw CancellationError()
            }
            let next: Next = state.withLock { state in
                if state.closed { return .closed }
                if let connection = state.idle.popLast() {
                    state.busy += 1
                    return .use(connection)
                }
                if state.busy < size {
                    state.busy += 1
                    return .open
                }
                return .wait
            }
            switch next {
            case .closed:
                throw PostgresError(.connectionFailed, message: "the connection pool is closed")
            case .use(let connection):
                if connection.isOpen { return connection }
                giveBack(nil)
            case .open:
                do {
                    let connection = try await PostgresConnection.connect(conninfo, applicationName: applicationName, logger: logger)
                    do {
                        try await setUp(connection)
                    } catch {
                        await connection.close()
                        throw error
                    }
                    return connection
                } catch {
                    giveBack(nil)
                    throw error
                }
            case .wait:
                await withCheckedContinuation { continuation in
                    let resumeNow = state.withLock { state in
                        // Re-check under the lock: a connection may have come back meanwhile.
                        if state.closed || !state.idle.isEmpty || state.busy < size { return true }
                        state.waiters.append(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            }
        }
    }

    /// Wakes one waiting task if a connection could be had now.
    private func wakeOneWaiter() {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard !state.waiters.isEmpty, !state.idle.isEmpty || state.busy < size else { return nil }
            return state.waiters.removeFirst()
        }
        waiter?.resume()
    }

    /// Returns a connection (nil: it was dropped) and wakes one waiter.
    private func giveBack(_ connection: PostgresConnection?) {
        let (waiter, toClose): (CheckedContinuation<Void, Never>?, PostgresConnection?) = state.withLock { state in
            state.busy -= 1
            var toClose: PostgresConnection?
            if let connection {
                if state.closed { toClose = connection } else { state.idle.append(connection) }
            }
            return (state.waiters.isEmpty ? nil : state.waiters.removeFirst(), toClose)
        }
        waiter?.resume()
        if let toClose { Task { await toClose.close() } }
    }
}
