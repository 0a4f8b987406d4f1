import PgClient

/// Fails jobs whose lease expired on their last allowed attempt (their worker died on
/// it): claims take over expired leases with attempts left, nobody else ends these.
package struct LeaseReaper: MaintenanceTask {
    package let interval: Duration
    package var name: String { "lease reaper" }

    package init(interval: Duration) { self.interval = interval }

    package func runOnce(on connection: PostgresConnection) async throws -> Int {
        try await connection.execute(JobQueries.failExhaustedLeases.bind())
    }
}
