import PgClient

/// A schedule's recent ticks, as the dashboard's schedules page shows them.
package struct ScheduleTicks: Sendable {
    package struct Tick: Sendable {
        package let scheduledFor: PostgresTimestamp
        package let firedAt: PostgresTimestamp
        package let firedBy: String
        package let latencySeconds: Double
        package let jobsCreated: Int
        package let completed: Int
        package let failed: Int
    }

    /// The latest `limit` ticks of every schedule, by schedule name, newest first.
    package static func load(limit: Int = 10, from connection: PostgresConnection) async throws -> [String: [Tick]] {
        var ticks: [String: [Tick]] = [:]
        for row in try await connection.query(DashboardQueries.recentTicks.bind(limit)) {
            ticks[try row.decode("name"), default: []].append(
                Tick(
                    scheduledFor: try row.decode("scheduled_for"), firedAt: try row.decode("fired_at"),
                    firedBy: try row.decode("fired_by"), latencySeconds: try row.decode("latency_seconds"),
                    jobsCreated: try row.decode("jobs_created"), completed: try row.decode("completed"),
                    failed: try row.decode("failed")))
        }
        return ticks
    }
}
