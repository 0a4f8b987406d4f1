import PgClient

/// Removes the rows of workers that stopped without deregistering (`kill -9`, a lost
/// machine). A worker whose heartbeat is older than 3 of its leases already shows as
/// not alive (`worker_health.alive`); after `silentLeases` its row goes. Its jobs are
/// not touched here: their expired leases are claimed again.
package struct WorkerReaper: MaintenanceTask {
    package let interval: Duration
    package var silentLeases = 10.0
    package var name: String { "worker reaper" }

    package init(interval: Duration) { self.interval = interval }

    package func runOnce(on connection: PostgresConnection) async throws -> Int {
        try await connection.query(WorkerQueries.removeSilent.bind(silentLeases)).count
    }
}
