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

/// Retention: what `pgscorer.settings` keeps, and the statements that delete the rest.
package enum RetentionQueries {
    /// Deletes up to $3 rows of kind $1 (jobs, job_runs, schedule_runs) older than $2
    /// (NULL: none; $4: only count them); returns how many: removed.
    package static let prune = PreparedQuery(
        name: "retention.prune", "SELECT pgscorer.prune($1, $2::interval, $3, $4) AS removed")

    /// Like `prune`, with the age taken from setting $2.
    package static let pruneBySetting = PreparedQuery(
        name: "retention.prune_by_setting", "SELECT pgscorer.prune($1, pgscorer.retention($2), $3, $4) AS removed")

    /// Drops (or with $3, names) the partitions of $1 wholly older than $2: one row each, partition.
    package static let dropOldPartitions = PreparedQuery(
        name: "retention.drop_old_partitions", "SELECT pgscorer.drop_old_partitions($1, $2::interval, $3) AS partition")

    /// Like `dropOldPartitions`, with the age taken from setting $2.
    package static let dropOldPartitionsBySetting = PreparedQuery(
        name: "retention.drop_old_partitions_by_setting",
        "SELECT pgscorer.drop_old_partitions($1, pgscorer.retention($2), $3) AS partition")

    /// Every setting: key, value (NULL: keep), description.
    package static let settings: SQLText = "SELECT key, value, description FROM pgscorer.settings ORDER BY key"
}
