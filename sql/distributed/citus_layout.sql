-- PgScorer's layout on a Citus coordinator with worker nodes, applied by `pgscorer
-- migrate` after the numbered migrations whenever the database has the citus extension,
-- and again whenever this file or the migrations changed (it is idempotent: a later
-- migration's tables are placed by adding them here). The numbered migrations make the
-- same tables on one server and on Citus; this file only places them.
--
-- The data plane is distributed: readings and predictions are hash-distributed by
-- series_id and co-located, so a job's window read and its predictions touch one shard
-- group on one worker node. The control plane stays on the coordinator as plain
-- PostgreSQL tables (series, models, schedules, jobs, job_runs, alerts, settings, …):
-- the claim is the single-node FOR UPDATE SKIP LOCKED claim, which Citus runs only
-- inside one node, and every queue statement keeps PostgreSQL's own semantics.
--
-- The readings' statement trigger fires on the worker nodes, where the coordinator's
-- series table does not exist: it checks series_directory instead, a reference table
-- (a copy on every node) of what it needs, kept by statement triggers on series.

-- When this layout was last applied (pgscorer migrate compares the checksum).
CREATE TABLE IF NOT EXISTS pgscorer.citus_layout (
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS pgscorer.series_directory (
    series_id     bigint PRIMARY KEY,
    n_features    smallint NOT NULL,
    holds_samples boolean NOT NULL
);
COMMENT ON TABLE pgscorer.series_directory IS
    'On Citus: a copy of each series'' id, feature count and routing on every node, for the readings'' trigger on the workers; kept by triggers on pgscorer.series';

-- Writes only what the directory does not say yet, so the upsert by which writers find
-- their known series changes nothing on the nodes. Citus plans no statement that joins
-- a transition table with a reference table, so the rows are read into arrays first.
-- Not SECURITY DEFINER: Citus connects to the nodes as the current user, and the
-- directory rows must travel over the connections the writer's readings take next.
-- For the same reason a transaction that wrote the directory runs the rest of its
-- distributed writes over one connection per node (sequential mode): the readings of a
-- series it just made are checked on a worker by a trigger that must see its
-- uncommitted directory row.
CREATE OR REPLACE FUNCTION pgscorer.series_directory_sync() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pgscorer, pg_temp AS $$
DECLARE
    ids bigint[];
    features smallint[];
    routed boolean[];
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT array_agg(o.series_id) INTO ids FROM old_series o;
        IF TG_OP = 'UPDATE' THEN
            SELECT array_agg(g.id) INTO ids FROM unnest(ids) AS g(id)
            WHERE g.id NOT IN (SELECT n.series_id FROM new_series n);
        END IF;
        IF ids IS NOT NULL THEN
            PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
            DELETE FROM pgscorer.series_directory WHERE series_id = ANY (ids);
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT array_agg(n.series_id), array_agg(n.n_features), array_agg(n.holds_samples)
        INTO ids, features, routed FROM new_series n;
        SELECT array_agg(g.series_id), array_agg(g.n_features), array_agg(g.holds_samples)
        INTO ids, features, routed
        FROM unnest(ids, features, routed) AS g(series_id, n_features, holds_samples)
        LEFT JOIN pgscorer.series_directory d ON d.series_id = g.series_id
        WHERE (d.n_features, d.holds_samples) IS DISTINCT FROM (g.n_features, g.holds_samples);
        IF ids IS NOT NULL THEN
            PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
            INSERT INTO pgscorer.series_directory (series_id, n_features, holds_samples)
            SELECT * FROM unnest(ids, features, routed)
            ON CONFLICT (series_id) DO UPDATE SET n_features = EXCLUDED.n_features, holds_samples = EXCLUDED.holds_samples;
        END IF;
    END IF;
    RETURN NULL;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'pgscorer.series_directory'::regclass) THEN
        PERFORM create_reference_table('pgscorer.series_directory');
    END IF;
    -- Who creates series writes their directory rows (the trigger runs as them).
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_ingest') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON pgscorer.series_directory TO pgscorer_ingest;
    END IF;
END
$$;

DROP TRIGGER IF EXISTS series_directory_inserted ON pgscorer.series;
DROP TRIGGER IF EXISTS series_directory_updated ON pgscorer.series;
DROP TRIGGER IF EXISTS series_directory_deleted ON pgscorer.series;
CREATE TRIGGER series_directory_inserted AFTER INSERT ON pgscorer.series
    REFERENCING NEW TABLE AS new_series FOR EACH STATEMENT EXECUTE FUNCTION pgscorer.series_directory_sync();
CREATE TRIGGER series_directory_updated AFTER UPDATE ON pgscorer.series
    REFERENCING OLD TABLE AS old_series NEW TABLE AS new_series FOR EACH STATEMENT EXECUTE FUNCTION pgscorer.series_directory_sync();
CREATE TRIGGER series_directory_deleted AFTER DELETE ON pgscorer.series
    REFERENCING OLD TABLE AS old_series FOR EACH STATEMENT EXECUTE FUNCTION pgscorer.series_directory_sync();

-- Series made before this layout (a database distributed after it was used), and any
-- row the directory has wrong or no longer needs. (Arrays again: Citus plans no
-- statement that mixes the coordinator's series with a reference table.)
DO $$
DECLARE
    ids bigint[];
    features smallint[];
    routed boolean[];
BEGIN
    SELECT array_agg(s.series_id), array_agg(s.n_features), array_agg(s.holds_samples)
    INTO ids, features, routed FROM pgscorer.series s;
    DELETE FROM pgscorer.series_directory WHERE NOT (series_id = ANY (coalesce(ids, '{}')));
    INSERT INTO pgscorer.series_directory (series_id, n_features, holds_samples)
    SELECT * FROM unnest(ids, features, routed)
    ON CONFLICT (series_id) DO UPDATE SET n_features = EXCLUDED.n_features, holds_samples = EXCLUDED.holds_samples
    WHERE (pgscorer.series_directory.n_features, pgscorer.series_directory.holds_samples)
          IS DISTINCT FROM (EXCLUDED.n_features, EXCLUDED.holds_samples);
END
$$;

-- The same refusals as on one server, read from the directory. What it cannot do on a
-- worker is lock the series row: a series deleted while its readings are being written
-- is refused by series_keep_readings only once those readings have committed.
CREATE OR REPLACE FUNCTION pgscorer.readings_check_series() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer, pg_temp AS $$
DECLARE
    ids bigint[];
    features smallint[];
    bad record;
BEGIN
    SELECT array_agg(given.series_id), array_agg(given.n_features) INTO ids, features
    FROM (SELECT DISTINCT n.series_id, n.n_features FROM new_readings n) given;
    SELECT given.series_id, given.n_features, stored.n_features AS series_features, stored.holds_samples INTO bad
    FROM unnest(ids, features) AS given(series_id, n_features)
    LEFT JOIN pgscorer.series_directory stored ON stored.series_id = given.series_id
    WHERE stored.n_features IS DISTINCT FROM given.n_features OR stored.holds_samples
    LIMIT 1;
    IF FOUND THEN
        IF bad.series_features IS NULL THEN
            RAISE EXCEPTION 'readings refer to series %, which does not exist', bad.series_id
                USING ERRCODE = 'foreign_key_violation';
        ELSIF bad.holds_samples THEN
            RAISE EXCEPTION 'series % holds raw samples (an aggregation reads it): its values go to pgscorer.samples', bad.series_id
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RAISE EXCEPTION 'readings of series % have % features, but the series has %', bad.series_id, bad.n_features, bad.series_features
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;

-- Reports that read predictions, as PL/pgSQL here: Citus cannot plan a parameterized SQL
-- function that reads a distributed table, while it plans each statement of a PL/pgSQL
-- function like any other query. (On one server they stay SQL functions, which the
-- planner inlines, so a report's bounds prune the monthly partitions.) Same rows.
CREATE OR REPLACE FUNCTION pgscorer.alert_conditions() RETURNS TABLE(rule_id bigint, series_id bigint, evidence jsonb)
    LANGUAGE plpgsql STABLE
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
        SELECT r.rule_id, h.series_id,
               jsonb_build_object('health', h.health, 'recent_rate', h.recent_rate, 'baseline_rate', h.baseline_rate,
                                  'recent_median_score', h.recent_median_score, 'newest_reading', h.newest_reading)
        FROM pgscorer.alert_rules r JOIN pgscorer.series_health h ON h.device LIKE r.device_pattern AND h.sensor LIKE r.sensor_pattern
        WHERE r.enabled AND r.kind = ANY (h.problems)
          AND EXISTS (SELECT 1 FROM pgscorer.alert_rules x WHERE x.enabled AND x.kind IN ('rate_spike', 'stale', 'score_shift', 'drift'))
        UNION ALL
        SELECT r.rule_id, m.series_id, jsonb_build_object('model_id', m.model_id, 'reasons', m.health_reasons)
        FROM pgscorer.alert_rules r
        JOIN pgscorer.model_versions m ON m.active AND m.health = 'fail' AND m.device LIKE r.device_pattern AND m.sensor LIKE r.sensor_pattern
        WHERE r.enabled AND r.kind = 'model_fail'
        UNION ALL
        SELECT r.rule_id, h.series_id, jsonb_build_object('consecutive', h.consecutive, 'last_error', h.last_error, 'held_since', h.held_since)
        FROM pgscorer.alert_rules r JOIN pgscorer.held_series h ON h.device LIKE r.device_pattern AND h.sensor LIKE r.sensor_pattern
        WHERE r.enabled AND r.kind = 'held';
END
$$;

CREATE OR REPLACE FUNCTION pgscorer.anomaly_episodes(from_ts timestamp with time zone, to_ts timestamp with time zone) RETURNS TABLE(device text, sensor text, series_id bigint, started timestamp with time zone, ended timestamp with time zone, readings bigint, lowest_score double precision)
    LANGUAGE plpgsql STABLE
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
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
        ORDER BY min(e.ts), s.device, s.sensor;
END
$$;

CREATE OR REPLACE FUNCTION pgscorer.anomaly_rate(from_ts timestamp with time zone, to_ts timestamp with time zone, bucket interval DEFAULT '1 day'::interval) RETURNS TABLE(device text, sensor text, series_id bigint, bucket_start timestamp with time zone, scored bigint, anomalies bigint, anomaly_rate double precision, min_score double precision)
    LANGUAGE plpgsql STABLE
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
        SELECT s.device, s.sensor, p.series_id, date_bin(bucket, p.ts, timestamptz '2000-01-01 00:00:00+00'),
               count(*), count(*) FILTER (WHERE p.is_anomaly),
               round((count(*) FILTER (WHERE p.is_anomaly))::numeric / count(*), 4)::float8, min(p.score)
        FROM pgscorer.predictions p
        JOIN pgscorer.series s USING (series_id)
        JOIN pgscorer.models m ON m.model_id = p.model_id AND m.active
        WHERE p.ts >= from_ts AND p.ts < to_ts
        GROUP BY s.device, s.sensor, p.series_id, date_bin(bucket, p.ts, timestamptz '2000-01-01 00:00:00+00');
END
$$;

CREATE OR REPLACE FUNCTION pgscorer.schedule_tick_summary(since timestamp with time zone, tick_limit integer DEFAULT 20) RETURNS TABLE(schedule text, scheduled_for timestamp with time zone, jobs_created integer, completed bigint, failed bigint, pending bigint, rows_scored bigint, anomalies bigint, latency_seconds double precision, readings_per_second double precision)
    LANGUAGE plpgsql STABLE
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
        SELECT t.schedule, t.scheduled_for, t.jobs_created, t.completed, t.failed, t.pending, t.rows_scored::int8,
               t.anomalies::int8, extract(epoch FROM t.latency)::float8,
               (t.rows_scored / greatest(extract(epoch FROM t.processing_time), 0.001))::float8
        FROM pgscorer.schedule_run_stats t
        WHERE t.scheduled_for >= coalesce(since, '-infinity')
        ORDER BY t.scheduled_for DESC, t.schedule
        LIMIT tick_limit;
END
$$;

CREATE OR REPLACE FUNCTION pgscorer.series_anomaly_summary(since timestamp with time zone, until timestamp with time zone, device_pattern text DEFAULT '%'::text, sensor_pattern text DEFAULT '%'::text) RETURNS TABLE(device text, sensor text, scored bigint, anomalies bigint, anomaly_rate double precision, min_score double precision)
    LANGUAGE plpgsql STABLE
    AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
        SELECT s.device, s.sensor, count(*), count(*) FILTER (WHERE p.is_anomaly),
               round((count(*) FILTER (WHERE p.is_anomaly))::numeric / count(*), 4)::float8, min(p.score)
        FROM pgscorer.series s
        JOIN pgscorer.models m ON m.series_id = s.series_id AND m.active
        JOIN pgscorer.predictions p ON p.series_id = s.series_id AND p.model_id = m.model_id
        WHERE s.device LIKE device_pattern AND s.sensor LIKE sensor_pattern
          AND p.ts >= coalesce(since, '-infinity') AND p.ts < coalesce(until, 'infinity')
        GROUP BY s.device, s.sensor
        ORDER BY s.device, s.sensor;
END
$$;

-- Series health, as on one server but in steps Citus can plan: the active series from
-- the coordinator first, then each distributed aggregate grouped by series on the shards
-- (the single-server view correlates every series with its readings instead).
CREATE OR REPLACE VIEW pgscorer.series_health AS
WITH windows AS MATERIALIZED (
    SELECT s.series_id, s.device, s.sensor, m.model_id, m.training_stats, sc.every, sc."window",
           now() - coalesce(sc."window", interval '1 hour') AS window_start
    FROM pgscorer.series s
    JOIN pgscorer.models m ON m.series_id = s.series_id AND m.active
    LEFT JOIN LATERAL (
        SELECT x.every, x."window" FROM pgscorer.schedules x
        WHERE x.enabled AND s.device LIKE x.device_pattern AND s.sensor LIKE x.sensor_pattern
        ORDER BY coalesce(x.every, x."window") LIMIT 1
    ) sc ON true
), newest AS MATERIALIZED (
    SELECT r.series_id, max(r.ts) AS newest_reading
    FROM pgscorer.readings r WHERE r.series_id IN (SELECT w.series_id FROM windows w)
    GROUP BY r.series_id
), scored AS MATERIALIZED (
    SELECT p.series_id,
           count(*) FILTER (WHERE p.ts >= w.window_start) AS recent_scored,
           avg(p.is_anomaly::int) FILTER (WHERE p.ts >= w.window_start) AS recent_rate,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY p.score) FILTER (WHERE p.ts >= w.window_start) AS recent_median,
           count(*) FILTER (WHERE p.ts < w.window_start) AS baseline_scored,
           avg(p.is_anomaly::int) FILTER (WHERE p.ts < w.window_start) AS baseline_rate,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY p.score) FILTER (WHERE p.ts < w.window_start) AS baseline_median,
           percentile_cont(0.75) WITHIN GROUP (ORDER BY p.score) FILTER (WHERE p.ts < w.window_start)
             - percentile_cont(0.25) WITHIN GROUP (ORDER BY p.score) FILTER (WHERE p.ts < w.window_start) AS baseline_iqr
    FROM pgscorer.predictions p
    JOIN windows w ON p.series_id = w.series_id AND p.model_id = w.model_id
    WHERE p.ts >= w.window_start - interval '7 days'
    GROUP BY p.series_id
), feature_means AS MATERIALIZED (
    SELECT r.series_id, u.i, avg(u.value) AS mean
    FROM pgscorer.readings r
    JOIN windows w ON r.series_id = w.series_id AND r.ts >= w.window_start AND w.training_stats IS NOT NULL
    CROSS JOIN LATERAL unnest(r.features) WITH ORDINALITY AS u(value, i)
    GROUP BY r.series_id, u.i
), drifted AS (
    SELECT w.series_id, bool_or(abs(f.mean - (w.training_stats -> 'mean' ->> (f.i::int - 1))::float8)
                                > 3 * greatest((w.training_stats -> 'std' ->> (f.i::int - 1))::float8, 1e-12)) AS drift
    FROM windows w JOIN feature_means f USING (series_id)
    GROUP BY w.series_id
), judged AS (
    SELECT w.series_id, w.device, w.sensor, w.model_id, n.newest_reading,
           coalesce(sc.recent_scored, 0) AS recent_scored, sc.recent_rate::float8 AS recent_rate,
           sc.baseline_rate::float8 AS baseline_rate, sc.recent_median, sc.baseline_median,
           array_remove(ARRAY[
               CASE WHEN coalesce(w.every, w."window") IS NOT NULL
                     AND (n.newest_reading IS NULL OR n.newest_reading < now() - 3 * coalesce(w.every, w."window"))
                    THEN 'stale' END,
               CASE WHEN sc.recent_scored >= 10 AND sc.baseline_scored >= 10 AND sc.recent_rate >= 3 * sc.baseline_rate + 0.05
                    THEN 'rate_spike' END,
               CASE WHEN sc.recent_scored >= 10 AND sc.baseline_scored >= 10
                     AND abs(sc.recent_median - sc.baseline_median) > 2 * greatest(sc.baseline_iqr, 1e-9)
                    THEN 'score_shift' END,
               CASE WHEN d.drift THEN 'drift' END
           ], NULL) AS problems
    FROM windows w LEFT JOIN newest n USING (series_id) LEFT JOIN scored sc USING (series_id) LEFT JOIN drifted d USING (series_id)
)
SELECT series_id, device, sensor, model_id, CASE WHEN cardinality(problems) = 0 THEN 'ok' ELSE array_to_string(problems, ',') END AS health,
       problems, newest_reading, recent_scored, recent_rate, baseline_rate, recent_median AS recent_median_score,
       baseline_median AS baseline_median_score
FROM judged;

-- Raw samples and their windows stay on the coordinator, so aggregations are refused
-- here rather than letting samples pile up on one node.
CREATE OR REPLACE FUNCTION pgscorer.aggregations_refused_on_citus() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'aggregations (raw samples into windows) are not available on a Citus cluster yet: send readings instead, or use one PostgreSQL'
        USING ERRCODE = 'feature_not_supported';
END
$$;
DROP TRIGGER IF EXISTS aggregations_refused_on_citus ON pgscorer.aggregations;
CREATE TRIGGER aggregations_refused_on_citus BEFORE INSERT ON pgscorer.aggregations
    FOR EACH ROW EXECUTE FUNCTION pgscorer.aggregations_refused_on_citus();

-- Rows already there (a database distributed after it was used) are copied to the
-- shards; the copies left behind on the coordinator are then removed.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'pgscorer.readings'::regclass) THEN
        PERFORM create_distributed_table('pgscorer.readings', 'series_id');
        PERFORM truncate_local_data_after_distributing_table('pgscorer.readings');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_dist_partition WHERE logicalrelid = 'pgscorer.predictions'::regclass) THEN
        PERFORM create_distributed_table('pgscorer.predictions', 'series_id', colocate_with => 'pgscorer.readings');
        PERFORM truncate_local_data_after_distributing_table('pgscorer.predictions');
    END IF;
END
$$;
