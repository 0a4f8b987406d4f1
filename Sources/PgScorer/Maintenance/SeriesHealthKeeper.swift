import PgClient

/// Keeps `pgscorer.series_health_current` current: every `interval` it recomputes each
/// series' health from the `pgscorer.series_health` view (stale, rate_spike,
/// score_shift, drift), so that `status` and the dashboard read a table instead of a
/// week of predictions per series. One process refreshes at a time; the others skip.
package struct SeriesHealthKeeper: MaintenanceTask {
    package let interval: Duration
    package var name: String { "series health" }
    /// Not as the process starts: a worker's first minutes belong to its jobs (and a
    /// `--exit-when-idle` batch run should not pay for a fleet-wide health pass).
    package var runsAtStart: Bool { false }

    package init(interval: Duration) { self.interval = interval }

    package func runOnce(on connection: PostgresConnection) async throws -> Int {
        // Rows changed are not the point here; the log would repeat every round.
        _ = try await connection.query(PostgresQuery(MaintenanceQueries.refreshSeriesHealth))
        return 0
    }
}
