import PgClient

/// One piece of periodic upkeep with its own interval. Every task is safe to run from
/// any number of processes at once (row locks with SKIP LOCKED, advisory locks, or
/// statements that are idempotent).
package protocol MaintenanceTask: Sendable {
    /// Names the task in logs.
    var name: String { get }
    var interval: Duration { get }
    /// Whether the first round runs as the process starts (else one interval later).
    var runsAtStart: Bool { get }
    /// Does one round; returns how many rows it changed.
    func runOnce(on connection: PostgresConnection) async throws -> Int
}

extension MaintenanceTask {
    package var runsAtStart: Bool { true }
}
