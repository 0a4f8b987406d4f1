import PgClient

/// The statements the scheduler runs, in one place.
enum ScheduleQueries {
    /// Enabled schedules, each with its last fired tick, and the database's clock.
    static let dueState = PreparedQuery(
        name: "schedules.due_state",
        """
        SELECT s.schedule_id, s.name, s.cron, (extract(epoch FROM s.every) * 1000000)::int8,
               s.missed_ticks::text, s.catch_up_limit,
               (SELECT max(r.scheduled_for) FROM pgscorer.schedule_runs r WHERE r.schedule_id = s.schedule_id),
               now()
        FROM pgscorer.schedules s
        WHERE s.enabled
        ORDER BY s.schedule_id
        """)

    /// Takes tick $2 of schedule $1 for this process; no row if another already did.
    static let takeTick = PreparedQuery(
        name: "schedules.take_tick",
        """
        INSERT INTO pgscorer.schedule_runs (schedule_id, scheduled_for, fired_by) VALUES ($1, $2, $3)
        ON CONFLICT DO NOTHING
        RETURNING scheduled_for
        """)

    /// Queues the tick's jobs: one per selected series with an active model, scoring
    /// [tick − window, tick). A window still pending from before is not queued twice.
    static let queueTickJobs = PreparedQuery(
        name: "schedules.queue_tick_jobs",
        """
        WITH queued AS (
            INSERT INTO pgscorer.jobs (series_id, model_id, schedule_id, scheduled_for, window_start, window_end, priority, max_attempts)
            SELECT m.series_id, m.model_id, s.schedule_id, $2, $2 - s."window", $2, s.priority, s.max_attempts
            FROM pgscorer.schedules s
            JOIN pgscorer.series se ON se.device LIKE s.device_pattern AND se.sensor LIKE s.sensor_pattern
            JOIN pgscorer.models m ON m.series_id = se.series_id AND m.active
            WHERE s.schedule_id = $1
            ORDER BY m.series_id
            ON CONFLICT (series_id, window_start, window_end) WHERE state IN ('available', 'running', 'retryable') DO NOTHING
            RETURNING 1
        )
        UPDATE pgscorer.schedule_runs SET jobs_created = (SELECT count(*) FROM queued)
        WHERE schedule_id = $1 AND scheduled_for = $2
        RETURNING jobs_created
        """)

    /// Creates next month's partitions ahead of need (and this month's, if missing).
    static let ensurePartitions = PreparedQuery(
        name: "partitions.ensure_ahead",
        "SELECT pgscorer.ensure_partitions(now() - interval '1 day', now() + interval '35 days')")
}
