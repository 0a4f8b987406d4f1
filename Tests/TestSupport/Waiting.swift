import Foundation
import PgClient

/// Waits for a state instead of sleeping for a time: a loaded machine takes what it takes.
public enum Waiting {
    /// Polls `condition` every 20 ms until it holds; fails after `timeout`.
    public static func until(
        _ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else { throw TestEnvironmentError("waited \(timeout) for \(what)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Until the server runs a statement of backend `pid`, as `observer` sees it.
    public static func untilRunning(_ pid: Int, seenFrom observer: PostgresConnection) async throws {
        try await until("backend \(pid) to run its statement") {
            try await observer.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", pid).single().decode(0) as Int > 0
        }
    }

    /// Until backend `pid` waits for a lock another session holds.
    public static func untilBlocked(_ pid: Int, seenFrom observer: PostgresConnection) async throws {
        try await until("backend \(pid) to wait for a lock") {
            try await observer.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'", pid).single().decode(0) as Int > 0
        }
    }
}
