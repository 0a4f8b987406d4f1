import PgClient

/// Every statement against `pgscorer.schedules` and `pgscorer.schedule_runs`.
package enum ScheduleQueries {
    /// Every schedule (only enabled ones when $1), with its last fired tick and the
    /// database's clock; decoded by `Schedule(row:)`.
    package static let list = PreparedQuery(
        name: "schedules.list",
        """
        SELECT s.schedule_id, s.name, s.enabled, s.cron,
               (extract(epoch FROM s.every) * 1000000)::int8 AS every_us,
               (extract(epoch FROM s."window") * 1000000)::int8 AS window_us,
               s.device_pattern, s.sensor_pattern, s.missed_ticks::text AS missed_ticks, s.catch_up_limit,
               (SELECT max(r.scheduled_for) FROM pgscorer.schedule_runs r WHERE r.schedule_id = s.schedule_id) AS last_tick,
               s.created_at, s.enabled_at, now() AS now, s.kind, s.train_params::text AS train_params, s.on_close
        FROM pgscorer.schedules s
        WHERE s.enabled OR NOT $1
        ORDER BY s.name
        """)

    /// Takes tick $2 of schedule $1 for process $3; no row if another already did.
    package static let takeTick = PreparedQuery(
        name: "schedules.take_tick",
        """
        INSERT INTO pgscorer.schedule_runs (schedule_id, scheduled_for, fired_by) VALUES ($1, $2, $3)
        ON CONFLICT DO NOTHING
        RETURNING scheduled_for
        """)

    /// Queues tick $2 of schedule $1: one job per selected series with an active model,
    /// scoring [tick − window, tick), except held (quarantined) series, which the tick
    /// counts in series_held. A window still pending from before is not queued twice.
    /// The job of an aggregation's target series whose windows up to the tick are not
    /// all closed waits (run_at 'infinity') until the closer has closed them, so that no
    /// model scores a half-filled window. Returns jobs_created.
    package static let queueTickJobs = PreparedQuery(
        name: "schedules.queue_tick_jobs",
        """
        WITH queued AS (
            INSERT INTO pgscorer.jobs (series_id, model_id, schedule_id, scheduled_for, window_start, window_end, priority, max_attempts,
                                       run_at, reason)
            SELECT m.series_id, m.model_id, s.schedule_id, $2, $2 - s."window", $2, s.priority, s.max_attempts,
                   CASE WHEN pgscorer.windows_closed(se.series_id, $2) THEN now() ELSE 'infinity' END,
                   CASE WHEN NOT pgscorer.windows_closed(se.series_id, $2) THEN 'waits for its windows to close' END
            FROM pgscorer.schedules s
            JOIN pgscorer.series se ON se.device LIKE s.device_pattern AND se.sensor LIKE s.sensor_pattern
            JOIN pgscorer.models m ON m.series_id = se.series_id AND m.active
            WHERE s.schedule_id = $1
              AND NOT EXISTS (SELECT 1 FROM pgscorer.series_failures f WHERE f.series_id = se.series_id AND f.held_since IS NOT NULL)
            ORDER BY m.series_id
            ON CONFLICT (series_id, window_start, window_end, kind) WHERE state IN ('available', 'running', 'retryable') DO NOTHING
            RETURNING 1
        ), held AS (
            SELECT count(*) AS series FROM pgscorer.schedules s
            JOIN pgscorer.series se ON se.device LIKE s.device_pattern AND se.sensor LIKE s.sensor_pattern
            JOIN pgscorer.series_failures f ON f.series_id = se.series_id AND f.held_since IS NOT NULL
            JOIN pgscorer.models m ON m.series_id = se.series_id AND m.active
            WHERE s.schedule_id = $1
        )
        UPDATE pgscorer.schedule_runs SET jobs_created = (SELECT count(*) FROM queued), series_held = (SELECT series FROM held)
        WHERE schedule_id = $1 AND scheduled_for = $2
        RETURNING jobs_created
        """)

    /// Queues tick $2 of training schedule $1: one training job per selected series with
    /// readings in [tick − window, tick) (with or without a model yet), carrying the
    /// schedule's training parameters, except held series (counted in series_held).
    /// Returns jobs_created.
    package static let queueTrainingTickJobs = PreparedQuery(
        name: "schedules.queue_training_tick_jobs",
        """
        WITH candidates AS MATERIALIZED (
            SELECT se.series_id, (SELECT m.model_id FROM pgscorer.models m WHERE m.series_id = se.series_id AND m.active) AS model_id,
                   s.schedule_id, s."window", s.priority, s.max_attempts, s.train_params
            FROM pgscorer.schedules s
            JOIN pgscorer.series se ON se.device LIKE s.device_pattern AND se.sensor LIKE s.sensor_pattern
            WHERE s.schedule_id = $1
              AND NOT EXISTS (SELECT 1 FROM pgscorer.series_failures f WHERE f.series_id = se.series_id AND f.held_since IS NOT NULL)
        ), with_readings AS MATERIALIZED (
            -- Grouped by series rather than a subquery per series: on Citus, where the
            -- readings are on the worker nodes, it runs on their shards. It reads the
            -- window's readings once; the training jobs it queues read them again anyway.
            SELECT r.series_id FROM pgscorer.readings r
            WHERE r.series_id IN (SELECT c.series_id FROM candidates c)
              AND r.ts >= $2 - (SELECT s."window" FROM pgscorer.schedules s WHERE s.schedule_id = $1) AND r.ts < $2
            GROUP BY r.series_id
        ), queued AS (
            INSERT INTO pgscorer.jobs (series_id, model_id, schedule_id, scheduled_for, window_start, window_end, priority, max_attempts,
                                       kind, train_params)
            SELECT c.series_id, c.model_id, c.schedule_id, $2, $2 - c."window", $2, c.priority, c.max_attempts, 'train', c.train_params
            FROM candidates c JOIN with_readings w USING (series_id)
            ORDER BY c.series_id
            ON CONFLICT (series_id, window_start, window_end, kind) WHERE state IN ('available', 'running', 'retryable') DO NOTHING
            RETURNING 1
        ), held AS (
            SELECT count(*) AS series FROM pgscorer.schedules s
            JOIN pgscorer.series se ON se.device LIKE s.device_pattern AND se.sensor LIKE s.sensor_pattern
            JOIN pgscorer.series_failures f ON f.series_id = se.series_id AND f.held_since IS NOT NULL
            WHERE s.schedule_id = $1
        )
        UPDATE pgscorer.schedule_runs SET jobs_created = (SELECT count(*) FROM queued), series_held = (SELECT series FROM held)
        WHERE schedule_id = $1 AND scheduled_for = $2
        RETURNING jobs_created
        """)

    /// Adds schedule $1: cron $2 or every $3, window $4, device/sensor LIKE patterns $5
    /// and $6, missed-tick policy $7 with catch-up limit $8, priority $9, $10 attempts,
    /// kind $11 (score or train) with training parameters $12 (JSON text, or NULL), or
    /// fired by the closing windows of aggregation $13 instead of cron or every.
    /// The table's trigger validates the row.
    package static let insert = PreparedQuery(
        name: "schedules.insert",
        """
        INSERT INTO pgscorer.schedules
            (name, cron, every, "window", device_pattern, sensor_pattern, missed_ticks, catch_up_limit, priority, max_attempts,
             kind, train_params, on_close)
        VALUES ($1, $2, $3, $4, $5, $6, $7::pgscorer.missed_tick_policy, $8, $9, $10, $11, $12::jsonb, $13)
        """)

    /// Enables ($2 true) or disables schedule $1; the row count is 0 if there is none.
    package static let setEnabled = PreparedQuery(
        name: "schedules.set_enabled", "UPDATE pgscorer.schedules SET enabled = $2 WHERE name = $1")

    /// Removes schedule $1 (its jobs and predictions stay); the row count is 0 if there is none.
    package static let delete = PreparedQuery(
        name: "schedules.delete", "DELETE FROM pgscorer.schedules WHERE name = $1")
}
