import PgClient

/// Creates the monthly readings and predictions partitions ahead of need, so that
/// completions never meet a month without one.
package struct PartitionKeeper: MaintenanceTask {
    package let interval: Duration
    /// How far ahead partitions exist.
    package var daysAhead: Int32 = 35
    package var name: String { "partition keeper" }

    package init(interval: Duration) { self.interval = interval }

    package func runOnce(on connection: PostgresConnection) async throws -> Int {
        try await connection.query(MaintenanceQueries.ensurePartitionsAhead.bind(daysAhead)).single().decode(0)
    }
}
