-- Workers record their lease, so that others can tell a dead process from a busy one:
-- a worker whose heartbeat is older than 3 of its leases is not alive; the worker
-- reaper removes its row after 10.
ALTER TABLE pgscorer.workers ADD COLUMN lease_seconds float8 NOT NULL DEFAULT 60 CHECK (lease_seconds > 0);

CREATE OR REPLACE VIEW pgscorer.worker_health AS
SELECT w.worker_id, w.hostname, w.pid, w.concurrency, w.version, w.started_at, w.heartbeat_at,
       now() - w.heartbeat_at AS heartbeat_age,
       (SELECT count(*) FROM pgscorer.jobs j WHERE j.state = 'running' AND j.lease_owner = w.worker_id) AS running_jobs,
       w.lease_seconds,
       w.heartbeat_at >= now() - make_interval(secs => 3 * w.lease_seconds) AS alive
FROM pgscorer.workers w;

-- Every model version with its series' names and training facts (payload left out).
CREATE VIEW pgscorer.model_versions AS
SELECT m.model_id, s.device, s.sensor, m.series_id, m.version, m.active, m.kernel, m.n_features, m.n_support,
       m.source, m.params, m.checksum, length(m.payload) AS payload_bytes, m.training_rows, m.fit_seconds,
       m.trained_at, m.created_at
FROM pgscorer.models m JOIN pgscorer.series s USING (series_id);

-- Readings scored by each series' active model in [since, until) (NULL: open), with
-- anomalies, their rate and the lowest score, per device and sensor matching the LIKE
-- patterns.
CREATE FUNCTION pgscorer.series_anomaly_summary(
    since timestamptz, until timestamptz, device_pattern text DEFAULT '%', sensor_pattern text DEFAULT '%')
RETURNS TABLE (device text, sensor text, scored bigint, anomalies bigint, anomaly_rate float8, min_score float8)
LANGUAGE sql STABLE AS $$
    SELECT s.device, s.sensor, count(*), count(*) FILTER (WHERE p.is_anomaly),
           round((count(*) FILTER (WHERE p.is_anomaly))::numeric / count(*), 4)::float8, min(p.score)
    FROM pgscorer.series s
    JOIN pgscorer.models m ON m.series_id = s.series_id AND m.active
    JOIN pgscorer.predictions p ON p.series_id = s.series_id AND p.model_id = m.model_id
    WHERE s.device LIKE device_pattern AND s.sensor LIKE sensor_pattern
      AND p.ts >= coalesce(since, '-infinity') AND p.ts < coalesce(until, 'infinity')
    GROUP BY s.device, s.sensor
    ORDER BY s.device, s.sensor
$$;

-- The latest `tick_limit` schedule ticks from `since` on (NULL: all), newest first, with
-- latency in seconds from the tick to its last completion and readings scored per second.
CREATE FUNCTION pgscorer.schedule_tick_summary(since timestamptz, tick_limit int DEFAULT 20)
RETURNS TABLE (schedule text, scheduled_for timestamptz, jobs_created int, completed bigint, failed bigint, pending bigint,
               rows_scored bigint, anomalies bigint, latency_seconds float8, readings_per_second float8)
LANGUAGE sql STABLE AS $$
    SELECT t.schedule, t.scheduled_for, t.jobs_created, t.completed, t.failed, t.pending, t.rows_scored::int8,
           t.anomalies::int8, extract(epoch FROM t.latency)::float8,
           (t.rows_scored / greatest(extract(epoch FROM t.processing_time), 0.001))::float8
    FROM pgscorer.schedule_run_stats t
    WHERE t.scheduled_for >= coalesce(since, '-infinity')
    ORDER BY t.scheduled_for DESC, t.schedule
    LIMIT tick_limit
$$;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_reader') THEN
        GRANT SELECT ON pgscorer.worker_health, pgscorer.model_versions TO pgscorer_reader;
    END IF;
END
$$;
