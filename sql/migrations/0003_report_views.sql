-- Views for reports and operations. Query them directly; `pgscorer status` and
-- `pgscorer report` are built on them.

-- Jobs per state, with the oldest due time among them.
CREATE VIEW pgscorer.queue_depth AS
SELECT state::text AS state,
       count(*) AS jobs,
       min(run_at) FILTER (WHERE state IN ('available', 'retryable')) AS oldest_run_at,
       now() - min(run_at) FILTER (WHERE state IN ('available', 'retryable') AND run_at <= now()) AS oldest_wait
FROM pgscorer.jobs
GROUP BY state;

-- Live workers: heartbeat age and the jobs they hold.
CREATE VIEW pgscorer.worker_health AS
SELECT w.worker_id, w.hostname, w.pid, w.concurrency, w.version, w.started_at, w.heartbeat_at,
       now() - w.heartbeat_at AS heartbeat_age,
       (SELECT count(*) FROM pgscorer.jobs j WHERE j.state = 'running' AND j.lease_owner = w.worker_id) AS running_jobs
FROM pgscorer.workers w;

-- Schedules with their last tick and what it produced.
CREATE VIEW pgscorer.schedule_status AS
SELECT s.schedule_id, s.name, s.enabled, s.cron, s.every, s."window", s.device_pattern, s.sensor_pattern,
       s.missed_ticks::text AS missed_ticks, s.catch_up_limit,
       last.scheduled_for AS last_tick, last.fired_at AS last_fired_at, last.fired_by AS last_fired_by,
       last.jobs_created AS last_jobs_created
FROM pgscorer.schedules s
LEFT JOIN LATERAL (
    SELECT r.scheduled_for, r.fired_at, r.fired_by, r.jobs_created FROM pgscorer.schedule_runs r
    WHERE r.schedule_id = s.schedule_id ORDER BY r.scheduled_for DESC LIMIT 1
) last ON true;

-- Scored readings and anomalies per device, sensor and UTC day (active or not, every model).
CREATE VIEW pgscorer.anomaly_rate_daily AS
SELECT s.device, s.sensor, p.series_id, date_trunc('day', p.ts AT TIME ZONE 'UTC')::date AS day,
       count(*) AS scored, count(*) FILTER (WHERE p.is_anomaly) AS anomalies,
       round((count(*) FILTER (WHERE p.is_anomaly))::numeric / count(*), 4)::float8 AS anomaly_rate,
       min(p.score) AS min_score
FROM pgscorer.predictions p JOIN pgscorer.series s USING (series_id)
GROUP BY s.device, s.sensor, p.series_id, date_trunc('day', p.ts AT TIME ZONE 'UTC');

-- The latest prediction of every series (by its active model).
CREATE VIEW pgscorer.latest_predictions AS
SELECT s.device, s.sensor, latest.*
FROM pgscorer.series s
JOIN pgscorer.models m ON m.series_id = s.series_id AND m.active
JOIN LATERAL (
    SELECT p.series_id, p.ts, p.model_id, p.score, p.is_anomaly, p.job_id, p.scored_at FROM pgscorer.predictions p
    WHERE p.series_id = s.series_id AND p.model_id = m.model_id ORDER BY p.ts DESC LIMIT 1
) latest ON true;

-- Each schedule tick: its jobs, how they ended, readings scored, and the latency from
-- the tick to the last completion.
CREATE VIEW pgscorer.schedule_run_stats AS
SELECT s.name AS schedule, r.scheduled_for, r.fired_at, r.jobs_created,
       count(j.job_id) FILTER (WHERE j.state = 'completed') AS completed,
       count(j.job_id) FILTER (WHERE j.state = 'failed') AS failed,
       count(j.job_id) FILTER (WHERE j.state IN ('available', 'running', 'retryable')) AS pending,
       coalesce(sum(jr.rows_scored), 0) AS rows_scored,
       coalesce(sum(jr.anomalies), 0) AS anomalies,
       max(j.finished_at) - r.scheduled_for AS latency,
       max(j.finished_at) - r.fired_at AS processing_time
FROM pgscorer.schedule_runs r
JOIN pgscorer.schedules s USING (schedule_id)
LEFT JOIN pgscorer.jobs j ON j.schedule_id = r.schedule_id AND j.scheduled_for = r.scheduled_for
LEFT JOIN pgscorer.job_runs jr ON jr.job_id = j.job_id AND jr.outcome = 'completed'
GROUP BY s.name, r.scheduled_for, r.fired_at, r.jobs_created;

-- Recent failed attempts with their errors.
CREATE VIEW pgscorer.recent_failures AS
SELECT jr.finished_at, jr.job_id, s.device, s.sensor, jr.attempt, jr.outcome::text AS outcome, jr.worker_id, jr.error
FROM pgscorer.job_runs jr JOIN pgscorer.series s USING (series_id)
WHERE jr.outcome IN ('retry', 'failed', 'abandoned', 'lease_lost');
