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

-- Scored readings and anomalies per device and sensor from the UTC day of `since` on
-- (NULL: all), for devices matching the LIKE pattern.
CREATE FUNCTION pgscorer.series_anomaly_summary(since timestamptz, device_pattern text DEFAULT '%')
RETURNS TABLE (device text, sensor text, scored bigint, anomalies bigint, anomaly_rate float8, min_score float8)
LANGUAGE sql STABLE AS $$
    SELECT a.device, a.sensor, sum(a.scored)::int8, sum(a.anomalies)::int8,
           round((sum(a.anomalies) / nullif(sum(a.scored), 0))::numeric, 4)::float8, min(a.min_score)
    FROM pgscorer.anomaly_rate_daily a
    WHERE a.day >= coalesce((since AT TIME ZONE 'UTC')::date, '-infinity'::date) AND a.device LIKE device_pattern
    GROUP BY a.device, a.sensor
    ORDER BY a.device, a.sensor
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
