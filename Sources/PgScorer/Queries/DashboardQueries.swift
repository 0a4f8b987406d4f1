import PgClient

/// The statements behind the dashboard's pages (`pgscorer serve`) that the CLI's
/// reports do not already have. Each is bounded (a LIMIT, a time range or one series)
/// so that a page stays fast on a fleet of 10,000 series and 10,000,000 predictions.
package enum DashboardQueries {
    /// What the gateways took per minute in the last hour: minute, received, stored, rejected.
    package static let ingestMinutes: SQLText = """
        SELECT minute, received::int, stored::int, rejected::int FROM pgscorer.ingest_minutes
        WHERE minute > now() - interval '1 hour' ORDER BY minute
        """

    /// The 10 devices whose newest reading is oldest, as series health last saw them:
    /// device, newest_reading, silent_seconds.
    package static let silentDevices: SQLText = """
        SELECT s.device, max(h.newest_reading) AS newest_reading, extract(epoch FROM now() - max(h.newest_reading))::float8 AS silent_seconds
        FROM pgscorer.series_health_current h JOIN pgscorer.series s USING (series_id)
        WHERE h.newest_reading IS NOT NULL
        GROUP BY s.device ORDER BY max(h.newest_reading), s.device LIMIT 10
        """

    /// When series health was last kept: at (NULL: never).
    package static let seriesHealthKeptAt: SQLText = "SELECT max(checked_at) AS at FROM pgscorer.series_health_current"

    /// The 20 latest rejected readings.
    package static let recentRejections: SQLText = """
        SELECT received_at, source, device, sensor, reason, detail, left(payload, 200) AS payload
        FROM pgscorer.rejected_readings ORDER BY rejected_id DESC LIMIT 20
        """

    /// Readings rejected in the last hour: n.
    package static let rejectedLastHour: SQLText =
        "SELECT count(*)::int AS n FROM pgscorer.rejected_readings WHERE received_at > now() - interval '1 hour'"

    /// Attempts per minute of the last hour: minute, completed, failed (retry or
    /// failed), readings scored.
    package static let throughput = PreparedQuery(
        name: "dashboard.throughput",
        """
        SELECT date_trunc('minute', finished_at) AS minute,
               count(*) FILTER (WHERE outcome = 'completed') AS completed,
               count(*) FILTER (WHERE outcome IN ('retry', 'failed')) AS failed,
               coalesce(sum(rows_scored), 0)::int8 AS readings
        FROM pgscorer.job_runs
        WHERE finished_at > now() - interval '1 hour'
        GROUP BY 1 ORDER BY 1
        """)

    /// Anomaly rate per device and hour of the readings over the last 24 hours, from the
    /// run log (one row per job, not per reading; a job counts in the hour its window
    /// ends), for the $1 devices with the highest rate: device, hour, scored, anomalies,
    /// devices (how many devices had any), current_hour.
    package static let heatMap = PreparedQuery(
        name: "dashboard.heat_map",
        """
        WITH by_device AS (
            SELECT s.device, date_trunc('hour', r.window_end - interval '1 microsecond') AS hour,
                   sum(r.rows_scored)::int8 AS scored, sum(r.anomalies)::int8 AS anomalies
            FROM pgscorer.job_runs r JOIN pgscorer.series s USING (series_id)
            WHERE r.outcome = 'completed' AND r.finished_at > date_trunc('hour', now()) - interval '23 hours'  -- after its window ended
              AND r.window_end > date_trunc('hour', now()) - interval '23 hours'
            GROUP BY 1, 2
        ), ranked AS (
            SELECT device, sum(anomalies)::float8 / greatest(sum(scored), 1) AS rate
            FROM by_device GROUP BY device
            ORDER BY rate DESC, device LIMIT $1
        )
        SELECT b.device, b.hour, b.scored, b.anomalies, (SELECT count(DISTINCT device) FROM by_device) AS devices,
               date_trunc('hour', now()) AS current_hour
        FROM by_device b JOIN ranked k USING (device)
        ORDER BY k.rate DESC, b.device, b.hour
        """)

    /// The $1 latest ticks of each schedule: name, scheduled_for, fired_at, fired_by,
    /// latency_seconds, jobs_created, and its jobs by state.
    package static let recentTicks = PreparedQuery(
        name: "dashboard.recent_ticks",
        """
        SELECT s.name, r.scheduled_for, r.fired_at, r.fired_by,
               extract(epoch FROM r.fired_at - r.scheduled_for)::float8 AS latency_seconds, r.jobs_created,
               (SELECT count(*) FROM pgscorer.jobs j WHERE j.schedule_id = s.schedule_id AND j.scheduled_for = r.scheduled_for
                  AND j.state = 'completed') AS completed,
               (SELECT count(*) FROM pgscorer.jobs j WHERE j.schedule_id = s.schedule_id AND j.scheduled_for = r.scheduled_for
                  AND j.state = 'failed') AS failed
        FROM pgscorer.schedules s
        JOIN LATERAL (
            SELECT * FROM pgscorer.schedule_runs r WHERE r.schedule_id = s.schedule_id ORDER BY scheduled_for DESC LIMIT $1
        ) r ON true
        ORDER BY s.name, r.scheduled_for DESC
        """)

    /// Series $1/$2 (device, sensor): series_id, n_features and the active model.
    package static let series = PreparedQuery(
        name: "dashboard.series",
        """
        SELECT s.series_id, s.n_features,
               (SELECT m.model_id FROM pgscorer.models m WHERE m.series_id = s.series_id AND m.active) AS active_model
        FROM pgscorer.series s WHERE s.device = $1 AND s.sensor = $2
        """)

    /// The oldest and newest reading of series $1. A statement of its own: on Citus the
    /// readings are on the worker nodes and the series on the coordinator, and Citus
    /// plans no subquery that correlates the two.
    package static let readingSpan = PreparedQuery(
        name: "dashboard.reading_span",
        "SELECT min(ts) AS oldest, max(ts) AS newest FROM pgscorer.readings WHERE series_id = $1")

    /// Readings of series $1 in [$2, $3) with a prediction of each — the champion's ($4)
    /// where it scored the reading, else the latest (a challenger's shadow predictions
    /// only where nothing else is): ts, features, score, is_anomaly, model_id (NULL when
    /// not scored), oldest first. A merge of two index range scans: no per-reading lookups.
    package static let trace = PreparedQuery(
        name: "dashboard.trace",
        """
        SELECT r.ts, r.features, p.score, p.is_anomaly, p.model_id
        FROM pgscorer.readings r
        LEFT JOIN (
            SELECT DISTINCT ON (ts) ts, score, is_anomaly, model_id
            FROM pgscorer.predictions
            WHERE series_id = $1 AND ts >= $2 AND ts < $3
            ORDER BY ts, model_id IS NOT DISTINCT FROM $4 DESC,
                     model_id = (SELECT m.model_id FROM pgscorer.models m WHERE m.series_id = $1 AND m.challenger) ASC, scored_at DESC
        ) p USING (ts)
        WHERE r.series_id = $1 AND r.ts >= $2 AND r.ts < $3
        ORDER BY r.ts
        """)

    /// The versions of series $1: model_id, version, active, challenger, health, created_at.
    package static let seriesModels = PreparedQuery(
        name: "dashboard.series_models",
        "SELECT model_id, version, active, challenger, health, created_at FROM pgscorer.models WHERE series_id = $1 ORDER BY version")

    /// Series whose device LIKE $1 and sensor LIKE $2, by name, at most $3: device,
    /// sensor, n_features, active_version, health (of the series).
    package static let seriesList = PreparedQuery(
        name: "dashboard.series_list",
        """
        SELECT s.device, s.sensor, s.n_features,
               (SELECT m.version FROM pgscorer.models m WHERE m.series_id = s.series_id AND m.active) AS active_version
        FROM pgscorer.series s
        WHERE s.device LIKE $1 AND s.sensor LIKE $2
        ORDER BY s.device, s.sensor LIMIT $3
        """)

    /// The newest $4 jobs in `state` (nil: any), filtered by schedule name $1, device LIKE
    /// $2 and sensor LIKE $3 (NULL: any). The state is written into the statement (from
    /// the enum, never from user text) so that the plan can use the partial index of
    /// that state (`jobs_finished_badly` for failed and cancelled), not scan every job.
    package static func jobs(in state: JobState?) -> PreparedQuery {
        PreparedQuery(
            name: "dashboard.jobs.\(state?.rawValue ?? "any")",
            SQLText(unsafeSQL: """
            SELECT j.job_id, s.device, s.sensor, sc.name AS schedule, j.state::text AS state, j.attempt, j.max_attempts,
                   j.window_start, j.window_end, j.run_at, j.finished_at, j.last_error, j.kind
            FROM pgscorer.jobs j
            JOIN pgscorer.series s USING (series_id)
            LEFT JOIN pgscorer.schedules sc USING (schedule_id)
            WHERE \(state.map { "j.state = '\($0.rawValue)'" } ?? "true")
              AND ($1::text IS NULL OR sc.name = $1)
              AND s.device LIKE $2 AND s.sensor LIKE $3
            ORDER BY j.job_id DESC LIMIT $4
            """))
    }

    /// Job $1 with its errors (a JSON array).
    package static let job = PreparedQuery(
        name: "dashboard.job",
        """
        SELECT j.job_id, s.device, s.sensor, sc.name AS schedule, j.state::text AS state, j.attempt, j.max_attempts,
               j.window_start, j.window_end, j.run_at, j.finished_at, j.last_error, j.model_id, j.lease_owner,
               j.lease_until, j.created_at, j.errors::text AS errors, j.kind
        FROM pgscorer.jobs j
        JOIN pgscorer.series s USING (series_id)
        LEFT JOIN pgscorer.schedules sc USING (schedule_id)
        WHERE j.job_id = $1
        """)

    /// The attempts of job $1 from the run log, first first.
    package static let jobRuns = PreparedQuery(
        name: "dashboard.job_runs",
        """
        SELECT attempt, worker_id, started_at, finished_at, outcome::text AS outcome, rows_scored, anomalies, duration_ms, error
        FROM pgscorer.job_runs WHERE job_id = $1 ORDER BY attempt, run_id
        """)

    /// Score distributions of the models of series $1 (an array of series ids), from
    /// their predictions: model_id, scored, anomaly_rate, p05, p50, p95, min, max.
    package static let scoreDistributions = PreparedQuery(
        name: "dashboard.score_distributions",
        """
        SELECT p.model_id, count(*) AS scored, avg(p.is_anomaly::int)::float8 AS anomaly_rate,
               percentile_cont(ARRAY[0.05, 0.5, 0.95]) WITHIN GROUP (ORDER BY p.score) AS quantiles,
               min(p.score) AS min_score, max(p.score) AS max_score
        FROM pgscorer.predictions p
        WHERE p.series_id = ANY($1)
        GROUP BY p.model_id
        """)

    /// Model versions of the series matching device LIKE $1 and sensor LIKE $2, the
    /// first $3 series by name: as `ModelQueries.versions`, plus series_id and trained_at.
    package static let modelPage = PreparedQuery(
        name: "dashboard.model_page",
        """
        WITH page AS (
            SELECT series_id FROM pgscorer.series WHERE device LIKE $1 AND sensor LIKE $2 ORDER BY device, sensor LIMIT $3
        )
        SELECT v.series_id, v.model_id, v.device, v.sensor, v.version, v.active, v.kernel, v.n_features, v.n_support,
               v.source, v.params::text AS params, v.checksum, v.payload_bytes, v.training_rows, v.fit_seconds,
               v.created_at, v.health, v.health_reasons::text AS health_reasons, v.challenger
        FROM pgscorer.model_versions v JOIN page USING (series_id)
        ORDER BY v.device, v.sensor, v.version DESC
        """)

    /// Makes a dashboard session read-only: the reader role, read-only transactions.
    package static let readOnlySession: SQLText = "SET ROLE pgscorer_reader; SET default_transaction_read_only = on"

    /// Makes a reader login's session read-only (it has the reader's grants already).
    package static let readOnlyTransactions: SQLText = "SET default_transaction_read_only = on"

    /// Takes or renews, for holder $1, the minute-long lease that makes a process the one
    /// exporting the queue's gauges: held (true while $1 holds it). Workers and owners may
    /// call it; readers may not, so a reader cannot switch the gauges off.
    package static let holdGaugeLease = PreparedQuery(
        name: "metrics.hold_gauge_lease", "SELECT pgscorer.hold_lease('queue_gauges', $1, interval '60 seconds') AS held")

    /// Gives the gauges' lease up at once if holder $1 holds it (a clean shutdown).
    package static let releaseGaugeLease = PreparedQuery(
        name: "metrics.release_gauge_lease", "SELECT pgscorer.release_lease('queue_gauges', $1)")

    /// How long ago each enabled schedule's latest tick was due: name, since_last_tick_seconds.
    package static let scheduleLag: SQLText = """
        SELECT s.name, extract(epoch FROM now() - max(r.scheduled_for))::float8 AS since_last_tick_seconds
        FROM pgscorer.schedules s LEFT JOIN pgscorer.schedule_runs r USING (schedule_id)
        WHERE s.enabled GROUP BY s.name ORDER BY s.name
        """

    /// Model versions whose check warns or fails, active first, at most $1: model_id,
    /// device, sensor, version, active, health, reasons.
    package static let unhealthyModels = PreparedQuery(
        name: "dashboard.unhealthy_models",
        """
        SELECT model_id, device, sensor, version, active, health, health_reasons::text AS reasons
        FROM pgscorer.unhealthy_models
        ORDER BY active DESC, health = 'fail' DESC, device, sensor, version DESC LIMIT $1
        """)

    /// The latest delivery of each of alerts $1 (an array): alert_id, delivered_at,
    /// failed_at, attempts, last_error.
    package static let deliveries = PreparedQuery(
        name: "dashboard.deliveries",
        """
        SELECT DISTINCT ON (alert_id) alert_id, delivered_at, failed_at, attempts, last_error
        FROM pgscorer.alert_deliveries WHERE alert_id = ANY($1)
        ORDER BY alert_id, delivery_id DESC
        """)

    /// How many series there are.
    package static let seriesCount: SQLText = "SELECT count(*) AS series FROM pgscorer.series"

    /// Series health as the workers last kept it, the $1 first, unhealthy first: as
    /// `ReportQueries.seriesHealth`, plus checked_at.
    package static let keptSeriesHealth = PreparedQuery(
        name: "dashboard.kept_series_health",
        """
        SELECT s.device, s.sensor, c.health, c.newest_reading, c.recent_scored, c.recent_rate, c.baseline_rate,
               c.recent_median_score, c.baseline_median_score, c.checked_at
        FROM pgscorer.series_health_current c JOIN pgscorer.series s USING (series_id)
        ORDER BY c.health = 'ok', s.device, s.sensor LIMIT $1
        """)
}
