import PgClient

/// The queue's figures that `/metrics` exports as gauges: jobs per state, the oldest
/// wait, live workers, and how long ago each enabled schedule last ticked.
package struct QueueSnapshot: Sendable {
    /// Every state, zero included, in lifecycle order.
    package var jobs: [(state: String, jobs: Int)] = []
    package var oldestWaitSeconds = 0.0
    package var workersAlive = 0
    package var lastTickAge: [(schedule: String, seconds: Double)] = []
    /// How late each schedule's latest tick fired (fired − due): the scheduler's lag.
    package var tickLatency: [(schedule: String, seconds: Double)] = []

    package static func load(from connection: PostgresConnection) async throws -> QueueSnapshot {
        var snapshot = QueueSnapshot()
        var counts: [String: Int] = [:]
        for row in try await connection.query(ReportQueries.queueDepth.bind()) {
            counts[try row.decode("state")] = try row.decode("jobs")
            snapshot.oldestWaitSeconds = max(snapshot.oldestWaitSeconds, try row.decode("oldest_wait_seconds"))
        }
        snapshot.jobs = JobState.allCases.map { ($0.rawValue, counts[$0.rawValue] ?? 0) }
        snapshot.workersAlive = try await connection.query(ReportQueries.workerHealth.bind()).reduce(0) {
            $0 + (try $1.decode("alive") as Bool ? 1 : 0)
        }
        for row in try await connection.query(PostgresQuery(DashboardQueries.scheduleLag)) {
            guard let seconds: Double = try row.decode("since_last_tick_seconds") else { continue }
            snapshot.lastTickAge.append((try row.decode("name"), seconds))
        }
        snapshot.tickLatency = try await ScheduleTicks.load(limit: 1, from: connection)
            .compactMap { name, ticks in ticks.first.map { (name, $0.latencySeconds) } }
            .sorted { $0.schedule < $1.schedule }
        return snapshot
    }
}
