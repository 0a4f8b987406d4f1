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
    /// Waits on the socket (poll + `PQconsumeInput`) in short slices, so a cancelled
    /// task stops waiting promptly.
    public func nextNotification(timeout: Duration) async throws -> PostgresNotification? {
        let deadline = ContinuousClock.now + timeout
        while true {
            try Task.checkCancellation()
            let slice = min(deadline - ContinuousClock.now, .milliseconds(200))
            let milliseconds = max(0, Int32(slice.components.seconds * 1000 + slice.components.attoseconds / 1_000_000_000_000_000))
            if let notification = try await run({ session in try session.waitForNotification(milliseconds: milliseconds) }) {
                return notification
            }
            if ContinuousClock.now >= deadline { return nil }
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

    /// Returns a queued notification, or waits on the socket up to `milliseconds` for one.
    func waitForNotification(milliseconds: Int32) throws -> PostgresNotification? {
        if let notification = try takeNotification() { return notification }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        guard descriptor.fd >= 0 else { throw connectionError(statementName: "listen") }
        let ready = poll(&descriptor, 1, milliseconds)
        if ready < 0 && errno != EINTR { throw connectionError(statementName: "listen") }
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
