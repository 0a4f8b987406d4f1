-- The reporting layer: what BI tools, the reader role and `pgscorer report` query.
-- Time-bounded questions are SQL functions whose bounds reach the partitions (the
-- planner inlines a one-statement LANGUAGE sql function and prunes by its arguments);
-- everything counts what each series' active model says.

-- Readings with their active model's prediction (NULL score: not scored yet).
CREATE VIEW pgscorer.scored_readings AS
SELECT s.device, s.sensor, r.series_id, r.ts, r.features, p.score, p.is_anomaly, p.model_id, p.scored_at
FROM pgscorer.readings r
JOIN pgscorer.series s USING (series_id)
LEFT JOIN pgscorer.models m ON m.series_id = r.series_id AND m.active
LEFT JOIN pgscorer.predictions p ON p.series_id = r.series_id AND p.ts = r.ts AND p.model_id = m.model_id;

-- Readings scored and anomalies per series and time bucket (`bucket`: '1 hour',
-- '1 day', …, aligned to midnight UTC) in [from_ts, to_ts), by the active model.
CREATE FUNCTION pgscorer.anomaly_rate(from_ts timestamptz, to_ts timestamptz, bucket interval DEFAULT '1 day')
RETURNS TABLE (device text, sensor text, series_id bigint, bucket_start timestamptz, scored bigint, anomalies bigint,
               anomaly_rate float8, min_score float8)
LANGUAGE sql STABLE AS $$
    SELECT s.device, s.sensor, p.series_id, date_bin(bucket, p.ts, timestamptz '2000-01-01 00:00:00+00'),
           count(*), count(*) FILTER (WHERE p.is_anomaly),
           round((count(*) FILTER (WHERE p.is_anomaly))::numeric / count(*), 4)::float8, min(p.score)
    FROM pgscorer.predictions p
    JOIN pgscorer.series s USING (series_id)
    JOIN pgscorer.models m ON m.model_id = p.model_id AND m.active
    WHERE p.ts >= from_ts AND p.ts < to_ts
    GROUP BY s.device, s.sensor, p.series_id, date_bin(bucket, p.ts, timestamptz '2000-01-01 00:00:00+00')
$$;

-- Per model version: readings scored, anomaly rate, score percentiles, first and last scored.
CREATE VIEW pgscorer.model_score_stats AS
SELECT m.model_id, s.device, s.sensor, m.version, m.active, count(p.ts) AS scored,
       round((count(*) FILTER (WHERE p.is_anomaly))::numeric / nullif(count(p.ts), 0), 4)::float8 AS anomaly_rate,
       percentile_cont(0.05) WITHIN GROUP (ORDER BY p.score) AS score_p05,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY p.score) AS score_p50,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY p.score) AS score_p95,
       min(p.ts) AS first_scored, max(p.ts) AS last_scored
FROM pgscorer.models m
JOIN pgscorer.series s USING (series_id)
LEFT JOIN pgscorer.predictions p ON p.series_id = m.series_id AND p.model_id = m.model_id
GROUP BY m.model_id, s.device, s.sensor, m.version, m.active;

-- Per hour and outcome in [from_ts, to_ts): attempts, and p50/p95/p99 of the attempt's
-- wall time and of the queue wait (first attempts: from the job's creation to its claim).
CREATE FUNCTION pgscorer.job_run_latency(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (hour timestamptz, outcome text, attempts bigint, duration_p50_ms float8, duration_p95_ms float8,
               duration_p99_ms float8, wait_p50_s float8, wait_p95_s float8, wait_p99_s float8)
LANGUAGE sql STABLE AS $$
    SELECT date_trunc('hour', jr.finished_at), jr.outcome::text, count(*),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY jr.duration_ms),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY jr.duration_ms),
           percentile_cont(0.99) WITHIN GROUP (ORDER BY jr.duration_ms),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM jr.started_at - j.created_at)::float8),
           percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM jr.started_at - j.created_at)::float8),
           percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM jr.started_at - j.created_at)::float8)
    FROM pgscorer.job_runs jr
    LEFT JOIN pgscorer.jobs j ON j.job_id = jr.job_id AND jr.attempt = 1
    WHERE jr.finished_at >= from_ts AND jr.finished_at < to_ts
    GROUP BY 1, 2
    ORDER BY 1, 2
$$;

-- Runs of consecutive flagged readings per series in [from_ts, to_ts), by the active
-- model: start, end, readings, lowest score.
CREATE FUNCTION pgscorer.anomaly_episodes(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (device text, sensor text, series_id bigint, started timestamptz, ended timestamptz, readings bigint,
               lowest_score float8)
LANGUAGE sql STABLE AS $$
    WITH scored AS (
        SELECT p.series_id, p.ts, p.score, p.is_anomaly,
               row_number() OVER (PARTITION BY p.series_id ORDER BY p.ts)
                 - row_number() OVER (PARTITION BY p.series_id, p.is_anomaly ORDER BY p.ts) AS island
        FROM pgscorer.predictions p
        JOIN pgscorer.models m ON m.model_id = p.model_id AND m.active
        WHERE p.ts >= from_ts AND p.ts < to_ts
    )
    SELECT s.device, s.sensor, e.series_id, min(e.ts), max(e.ts), count(*), min(e.score)
    FROM scored e JOIN pgscorer.series s USING (series_id)
    WHERE e.is_anomaly
    GROUP BY s.device, s.sensor, e.series_id, e.island
    ORDER BY min(e.ts), s.device, s.sensor
$$;

-- Series that are not being scored as they should: readings but no active model, or a
-- newest prediction that lags the newest reading by more than the series' schedule window.
CREATE VIEW pgscorer.series_coverage AS
WITH latest AS (
    SELECT s.series_id, s.device, s.sensor, m.model_id,
           (SELECT max(r.ts) FROM pgscorer.readings r WHERE r.series_id = s.series_id) AS newest_reading,
           (SELECT max(p.ts) FROM pgscorer.predictions p WHERE p.series_id = s.series_id AND p.model_id = m.model_id) AS newest_prediction,
           (SELECT min(sc."window") FROM pgscorer.schedules sc
            WHERE sc.enabled AND s.device LIKE sc.device_pattern AND s.sensor LIKE sc.sensor_pattern) AS schedule_window
    FROM pgscorer.series s
    LEFT JOIN pgscorer.models m ON m.series_id = s.series_id AND m.active
)
SELECT series_id, device, sensor, model_id AS active_model, newest_reading, newest_prediction, schedule_window,
       CASE
           WHEN newest_reading IS NULL THEN 'no readings'
           WHEN model_id IS NULL THEN 'no active model'
           WHEN schedule_window IS NULL THEN 'no schedule'
           WHEN newest_prediction IS NULL OR newest_reading - newest_prediction > schedule_window THEN 'predictions lag'
           ELSE 'covered'
       END AS coverage
FROM latest;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_reader') THEN
        GRANT SELECT ON pgscorer.scored_readings, pgscorer.model_score_stats, pgscorer.series_coverage TO pgscorer_reader;
    END IF;
END
$$;
