import PgClient

/// The statements behind `status` and `report`: each reads a view or a reporting
/// function of the migrations, so that the same figures are one SELECT away in SQL.
package enum ReportQueries {
    /// Jobs per state in lifecycle order: state, jobs, oldest_wait_seconds.
    package static let queueDepth = PreparedQuery(
        name: "reports.queue_depth",
        """
        SELECT state, jobs, coalesce(extract(epoch FROM oldest_wait), 0)::float8 AS oldest_wait_seconds
        FROM pgscorer.queue_depth
        ORDER BY array_position(ARRAY['available','running','retryable','completed','failed','cancelled'], state)
        """)

    /// Registered workers: worker_id, hostname, heartbeat_age_seconds, running_jobs, concurrency, alive.
    package static let workerHealth = PreparedQuery(
        name: "reports.worker_health",
        """
        SELECT worker_id, hostname, extract(epoch FROM heartbeat_age)::float8 AS heartbeat_age_seconds, running_jobs,
               concurrency, alive
        FROM pgscorer.worker_health ORDER BY worker_id
        """)

    /// The gateways (`pgscorer stream`): gateway_id, inputs, heartbeat_age_seconds, alive,
    /// received, stored, duplicates, rejected, last_stored_at.
    package static let gatewayHealth: SQLText = """
        SELECT gateway_id, inputs, extract(epoch FROM heartbeat_age)::float8 AS heartbeat_age_seconds, alive,
               received, stored, duplicates, rejected, last_stored_at
        FROM pgscorer.gateway_health ORDER BY gateway_id
        """

    /// Readings the gateways refused in the last hour, per reason: reason, readings.
    package static let recentRejections: SQLText = """
        SELECT reason, count(*)::int AS readings FROM pgscorer.rejected_readings
        WHERE received_at > now() - interval '1 hour' GROUP BY reason ORDER BY reason
        """

    /// The $1 most recent failed attempts: finished_at, job_id, device, sensor, attempt, outcome, error.
    package static let recentFailures = PreparedQuery(
        name: "reports.recent_failures",
        """
        SELECT finished_at, job_id, device, sensor, attempt, outcome, coalesce(error, '') AS error
        FROM pgscorer.recent_failures ORDER BY finished_at DESC LIMIT $1
        """)

    /// Series health (`pgscorer.series_health`) of the series matching device LIKE $1 and
    /// sensor LIKE $2, unhealthy first: device, sensor, health, newest_reading,
    /// recent_scored, recent_rate, baseline_rate, recent_median_score, baseline_median_score.
    package static let seriesHealth = PreparedQuery(
        name: "reports.series_health",
        """
        SELECT device, sensor, health, newest_reading, recent_scored, recent_rate, baseline_rate, recent_median_score,
               baseline_median_score
        FROM pgscorer.series_health WHERE device LIKE $1 AND sensor LIKE $2
        ORDER BY health = 'ok', device, sensor
        """)

    /// Held (quarantined) series: device, sensor, consecutive, last_error, held_since.
    package static let heldSeries: SQLText = """
        SELECT device, sensor, consecutive, last_error, held_since FROM pgscorer.held_series ORDER BY held_since, device, sensor
        """

    /// What needs a look, cheap enough for `status` and every dashboard page's badge:
    /// open_alerts, held_series, and model versions by health: warn, fail, active_fail
    /// (failing models forced active).
    package static let attention: SQLText = """
        SELECT (SELECT count(*) FROM pgscorer.alerts WHERE resolved_at IS NULL) AS open_alerts,
               (SELECT count(*) FROM pgscorer.series_failures WHERE held_since IS NOT NULL) AS held_series,
               count(*) FILTER (WHERE health = 'warn') AS warn, count(*) FILTER (WHERE health = 'fail') AS fail,
               count(*) FILTER (WHERE health = 'fail' AND active) AS active_fail
        FROM pgscorer.models
        """

    /// Anomalies by the active models per device and sensor in [$1, $2) (NULL: open),
    /// devices LIKE $3 and sensors LIKE $4.
    package static let seriesAnomalies = PreparedQuery(
        name: "reports.series_anomalies",
        "SELECT NULL::timestamptz AS bucket_start, * FROM pgscorer.series_anomaly_summary($1, $2, $3, $4)")

    /// The same per time bucket $5 (an interval: 1 hour, 1 day), oldest bucket first.
    package static let bucketedAnomalies = PreparedQuery(
        name: "reports.bucketed_anomalies",
        """
        SELECT bucket_start, device, sensor, scored, anomalies, anomaly_rate, min_score
        FROM pgscorer.anomaly_rate(coalesce($1, '-infinity'), coalesce($2, 'infinity'), $5::interval)
        WHERE device LIKE $3 AND sensor LIKE $4
        ORDER BY bucket_start, device, sensor
        """)

    /// The latest $2 schedule ticks from $1 on (NULL: all).
    package static let scheduleTicks = PreparedQuery(
        name: "reports.schedule_ticks", "SELECT * FROM pgscorer.schedule_tick_summary($1, $2)")

    /// Series health as last kept (`pgscorer.series_health_current`): problem (NULL on the
    /// totals row), series, checked (all series checked), checked_at.
    package static let seriesHealthCounts: SQLText = """
        SELECT NULL::text AS problem, count(*) FILTER (WHERE health <> 'ok') AS series, count(*) AS checked, max(checked_at) AS checked_at
        FROM pgscorer.series_health_current
        UNION ALL
        SELECT problem, count(*), NULL, NULL FROM pgscorer.series_health_current, unnest(problems) AS problem GROUP BY problem
        """
}
