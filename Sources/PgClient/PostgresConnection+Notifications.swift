import CLibPQ
import Foundation

/// A message delivered by `NOTIFY` on a channel this connection listens to.
public struct PostgresNotification: Sendable, Equatable {
    public let channel: String
    public let payload: String
    /// Process id of the notifying server backend.
    public let senderPID: Int
}

extension PostgresConnection {
    /// Starts listening on `channel` (an identifier, quoted for you).
    public func listen(_ channel: String) async throws {
        try await run { session in
            let quoted = try session.quoteIdentifier(channel)
            let result = PQexec(session.handle, "LISTEN \(quoted)")
            try session.check(result, statementName: "listen", expecting: [PGRES_COMMAND_OK])
            PQclear(result)
        }
    }

    /// Sends `payload` to everyone listening on `channel` (delivered at commit).
    public func notify(_ channel: String, payload: String = "") async throws {
        try await execute("SELECT pg_notify($1, $2)", channel, payload)
    }

    /// Waits up to `timeout` for a notification and returns it, or nil on timeout.
    /// Waits on the socket (poll + `PQconsumeInput`) in slices of at most 2 s, so
    /// other work on this connection can interleave; cancelling the task ends the wait
    /// at once (a pipe written by the cancellation handler is polled with the socket).
    public func nextNotification(timeout: Duration) async throws -> PostgresNotification? {
        try await nextNotification(timeout: timeout, slice: .seconds(2))
    }

    /// `nextNotification(timeout:)` with the slice length open, so a test can make a
    /// wake-up that waited out its slice impossible to miss.
    func nextNotification(timeout: Duration, slice maximumSlice: Duration) async throws -> PostgresNotification? {
        try Task.checkCancellation()
        var wake: [Int32] = [-1, -1]
        guard pipe(&wake) == 0 else {
            throw PostgresError(.usage, message: "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        defer {
            closeDescriptor(wake[0])
            closeDescriptor(wake[1])
        }
        let (wakeRead, wakeWrite) = (wake[0], wake[1])
        let deadline = ContinuousClock.now + timeout
        return try await withTaskCancellationHandler {
            while true {
                try Task.checkCancellation()
                let slice = min(deadline - ContinuousClock.now, maximumSlice)
                let milliseconds = max(0, Int32(slice.components.seconds * 1000 + slice.components.attoseconds / 1_000_000_000_000_000))
                if let notification = try await run({ session in
                    try session.waitForNotification(milliseconds: milliseconds, wakeDescriptor: wakeRead)
                }) {
                    return notification
                }
                if ContinuousClock.now >= deadline { return nil }
            }
        } onCancel: {
            var byte: UInt8 = 1
            _ = write(wakeWrite, &byte, 1)
        }
    }
}

extension PostgresConnection.Session {
    func quoteIdentifier(_ identifier: String) throws -> String {
        guard let escaped = PQescapeIdentifier(handle, identifier, identifier.utf8.count) else {
            throw PostgresError(.usage, message: "invalid identifier: \(PostgresConnection.lastErrorMessage(handle))")
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    /// Returns a queued notification, or waits on the socket up to `milliseconds` for
    /// one; returns nil early when `wakeDescriptor` becomes readable.
    func waitForNotification(milliseconds: Int32, wakeDescriptor: Int32) throws -> PostgresNotification? {
        if let notification = try takeNotification() { return notification }
        let socket = PQsocket(handle)
        guard socket >= 0 else { throw connectionError(statementName: "listen") }
        var descriptors = [
            pollfd(fd: socket, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        let ready = poll(&descriptors, 2, milliseconds)
        if ready < 0 && errno != EINTR { throw connectionError(statementName: "listen") }
        if descriptors[1].revents != 0 { return nil }
        return try takeNotification()
    }

    private func takeNotification() throws -> PostgresNotification? {
        guard PQconsumeInput(handle) == 1 else {
            throw PostgresError(
                .connectionLost, message: PostgresConnection.lastErrorMessage(handle), statementName: "listen")
        }
        guard let notify = PQnotifies(handle) else { return nil }
        defer { PQfreemem(notify) }
        return PostgresNotification(
            channel: String(cString: notify.pointee.relname),
            payload: String(cString: notify.pointee.extra),
            senderPID: Int(notify.pointee.be_pid))
    }
}

/// `close(2)`; inside `PostgresConnection` the name means the connection's own `close()`.
private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}
