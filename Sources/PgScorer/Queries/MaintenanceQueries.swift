import PgClient

/// Statements that keep the database in shape rather than serve one table's rows.
package enum MaintenanceQueries {
    /// Creates the monthly readings and predictions partitions from a day ago to $1
    /// days ahead (idempotent); returns how many it created.
    package static let ensurePartitionsAhead = PreparedQuery(
        name: "maintenance.ensure_partitions_ahead",
        "SELECT pgscorer.ensure_partitions(now() - interval '1 day', now() + make_interval(days => $1))")

    /// Recomputes `pgscorer.series_health_current` (-1: another process is at it).
    package static let refreshSeriesHealth: SQLText = "SELECT pgscorer.refresh_series_health() AS checked"
}
