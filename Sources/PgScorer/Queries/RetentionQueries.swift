import PgClient

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
