-- Two holes a probe found, closed.
--
-- 1. A SECURITY DEFINER function runs as the owner. PostgreSQL searches the caller's
--    temporary schema *first* for tables and views unless the function's search_path
--    names pg_temp, so a caller could shadow pg_catalog.pg_inherits with a temporary
--    view and run code as the owner. Every such function now searches pg_temp last
--    (functions and operators are never looked up there), and the catalogs are named
--    with their schema.
-- 2. Advisory locks have no privileges: a reader holding
--    pg_advisory_lock(hashtext('pgscorer.evaluate_alerts')) switched alerting off. The
--    one-at-a-time duties now lock a row of pgscorer.maintenance_locks, a table only
--    the owner may lock (FOR UPDATE needs UPDATE), through SECURITY DEFINER functions
--    granted to workers only. The queue gauges' exporter holds a lease there.

CREATE TABLE pgscorer.maintenance_locks (
    name          text PRIMARY KEY,
    holder        text,          -- a lease's holder (queue_gauges)
    held_until    timestamptz,   -- when that lease runs out unless renewed
    last_done_at  timestamptz    -- when the duty last ran to its end (evaluate_alerts)
);
INSERT INTO pgscorer.maintenance_locks (name) VALUES
    ('ensure_partitions'), ('evaluate_alerts'), ('refresh_series_health'), ('queue_gauges');
-- No grants: readers do not see it, and nobody but the owner may lock its rows.
REVOKE ALL ON pgscorer.maintenance_locks FROM PUBLIC;

-- Partitions are rarely missing: look first without a lock, and serialise only when
-- one must be created. Another process may have made it while this one waited for the
-- lock, and this session's catalog cache may not show it yet: a table that already
-- exists is what was wanted.
-- (CREATE OR REPLACE resets what 0004 set: SECURITY DEFINER, for callers who own no tables.)
CREATE OR REPLACE FUNCTION pgscorer.ensure_partitions(from_ts timestamptz, to_ts timestamptz) RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer, pg_temp AS $$
DECLARE
    month   timestamptz;
    created int := 0;
    parent  text;
    name    text;
    locked  boolean := false;
BEGIN
    IF from_ts IS NULL OR to_ts IS NULL OR to_ts < from_ts THEN
        RAISE EXCEPTION 'ensure_partitions: invalid range [%, %]', from_ts, to_ts;
    END IF;
    IF to_ts - from_ts > interval '100 years' THEN
        RAISE EXCEPTION 'ensure_partitions: range [%, %] spans more than 100 years', from_ts, to_ts;
    END IF;
    month := date_trunc('month', from_ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    WHILE month <= to_ts LOOP
        FOREACH parent IN ARRAY ARRAY['readings', 'predictions'] LOOP
            name := parent || '_' || to_char(month AT TIME ZONE 'UTC', 'YYYYMM');
            IF to_regclass('pgscorer.' || name) IS NULL AND NOT locked THEN
                PERFORM 1 FROM pgscorer.maintenance_locks l WHERE l.name = 'ensure_partitions' FOR UPDATE;
                locked := true;
            END IF;
            IF to_regclass('pgscorer.' || name) IS NULL THEN
                BEGIN
                    EXECUTE format(
                        'CREATE TABLE pgscorer.%I PARTITION OF pgscorer.%I FOR VALUES FROM (%L) TO (%L)',
                        name, parent, month, (month AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC');
                    created := created + 1;
                EXCEPTION WHEN duplicate_table THEN
                    NULL;
                END;
            END IF;
        END LOOP;
        month := (month AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC';
    END LOOP;
    RETURN created;
END
$$;

-- As in 0014, plus `skipped` (another process was evaluating) and when an evaluation
-- last ran to its end, so that a worker can say when evaluations keep being skipped.
DROP FUNCTION pgscorer.evaluate_alerts();
CREATE FUNCTION pgscorer.evaluate_alerts()
RETURNS TABLE (opened int, resolved int, skipped boolean, last_evaluated_at timestamptz)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer, pg_temp AS $$
DECLARE
    change record;
    conditions jsonb;
BEGIN
    opened := 0;
    resolved := 0;
    skipped := false;
    IF NOT EXISTS (SELECT 1 FROM pgscorer.alert_rules WHERE enabled) AND NOT EXISTS (SELECT 1 FROM pgscorer.alerts WHERE resolved_at IS NULL) THEN
        RETURN NEXT;
        RETURN;
    END IF;
    PERFORM 1 FROM pgscorer.maintenance_locks l WHERE l.name = 'evaluate_alerts' FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        skipped := true;
        last_evaluated_at := (SELECT l.last_done_at FROM pgscorer.maintenance_locks l WHERE l.name = 'evaluate_alerts');
        RETURN NEXT;
        RETURN;
    END IF;
    conditions := coalesce((SELECT jsonb_agg(c) FROM pgscorer.alert_conditions() c), '[]');
    DELETE FROM pgscorer.alert_pending p WHERE NOT EXISTS (
        SELECT 1 FROM jsonb_to_recordset(conditions) AS n(rule_id bigint, series_id bigint)
        WHERE n.rule_id = p.rule_id AND n.series_id = p.series_id);
    INSERT INTO pgscorer.alert_pending (rule_id, series_id)
    SELECT n.rule_id, n.series_id FROM jsonb_to_recordset(conditions) AS n(rule_id bigint, series_id bigint)
    ON CONFLICT DO NOTHING;
    FOR change IN
        INSERT INTO pgscorer.alerts (rule_id, series_id, evidence)
        SELECT n.rule_id, n.series_id, n.evidence
        FROM jsonb_to_recordset(conditions) AS n(rule_id bigint, series_id bigint, evidence jsonb)
        JOIN pgscorer.alert_pending p USING (rule_id, series_id)
        JOIN pgscorer.alert_rules r USING (rule_id)
        WHERE p.since <= now() - r.for_duration
        ON CONFLICT (rule_id, series_id) WHERE resolved_at IS NULL DO NOTHING
        RETURNING alert_id, 'opened' AS event
    LOOP
        opened := opened + 1;
        PERFORM pgscorer.announce_alert(change.alert_id, change.event);
    END LOOP;
    FOR change IN
        UPDATE pgscorer.alerts a SET resolved_at = now()
        WHERE a.resolved_at IS NULL AND NOT EXISTS (
            SELECT 1 FROM jsonb_to_recordset(conditions) AS n(rule_id bigint, series_id bigint)
            WHERE n.rule_id = a.rule_id AND n.series_id = a.series_id)
        RETURNING a.alert_id, 'resolved' AS event
    LOOP
        resolved := resolved + 1;
        PERFORM pgscorer.announce_alert(change.alert_id, change.event);
    END LOOP;
    UPDATE pgscorer.maintenance_locks l SET last_done_at = now() WHERE l.name = 'evaluate_alerts';
    last_evaluated_at := now();
    RETURN NEXT;
END
$$;
REVOKE EXECUTE ON FUNCTION pgscorer.evaluate_alerts() FROM PUBLIC;

-- As in 0018, with the row lock instead of the advisory lock.
CREATE OR REPLACE FUNCTION pgscorer.refresh_series_health() RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer, pg_temp AS $$
DECLARE
    checked int;
BEGIN
    PERFORM 1 FROM pgscorer.maintenance_locks l WHERE l.name = 'refresh_series_health' FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        RETURN -1;
    END IF;
    INSERT INTO pgscorer.series_health_current AS c
        (series_id, health, problems, newest_reading, recent_scored, recent_rate, baseline_rate, recent_median_score,
         baseline_median_score, checked_at)
    SELECT series_id, health, problems, newest_reading, recent_scored, recent_rate, baseline_rate, recent_median_score,
           baseline_median_score, now()
    FROM pgscorer.series_health
    ON CONFLICT (series_id) DO UPDATE
    SET health = EXCLUDED.health, problems = EXCLUDED.problems, newest_reading = EXCLUDED.newest_reading,
        recent_scored = EXCLUDED.recent_scored, recent_rate = EXCLUDED.recent_rate, baseline_rate = EXCLUDED.baseline_rate,
        recent_median_score = EXCLUDED.recent_median_score, baseline_median_score = EXCLUDED.baseline_median_score,
        checked_at = EXCLUDED.checked_at;
    GET DIAGNOSTICS checked = ROW_COUNT;
    DELETE FROM pgscorer.series_health_current c WHERE c.checked_at < now();
    RETURN checked;
END
$$;

-- Takes or renews the lease `lease_name` for `holder_id` for `lasting` (at most 10
-- minutes): true while the caller holds it. A lease nobody renews runs out, so a killed
-- holder is replaced once `lasting` has passed.
CREATE FUNCTION pgscorer.hold_lease(lease_name text, holder_id text, lasting interval) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer, pg_temp AS $$
BEGIN
    IF lasting IS NULL OR lasting <= interval '0' OR lasting > interval '10 minutes' THEN
        RAISE EXCEPTION '%', format('a lease lasts more than 0 and at most 10 minutes, not %s', lasting)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE pgscorer.maintenance_locks l SET holder = holder_id, held_until = now() + lasting
    WHERE l.name = lease_name AND (l.holder = holder_id OR l.held_until IS NULL OR l.held_until < now());
    RETURN FOUND;
END
$$;

-- Gives the lease up at once (a clean shutdown), if `holder_id` holds it.
CREATE FUNCTION pgscorer.release_lease(lease_name text, holder_id text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pgscorer, pg_temp AS $$
    UPDATE pgscorer.maintenance_locks SET holder = NULL, held_until = NULL WHERE name = lease_name AND holder = holder_id;
$$;
REVOKE EXECUTE ON FUNCTION pgscorer.hold_lease(text, text, interval), pgscorer.release_lease(text, text) FROM PUBLIC;

-- As in 0009, the catalogs named with their schema.
CREATE OR REPLACE FUNCTION pgscorer.drop_old_partitions(parent text, older_than interval, dry_run boolean DEFAULT false) RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer, pg_temp AS $$
DECLARE
    part record;
    month_end timestamptz;
BEGIN
    IF parent NOT IN ('readings', 'predictions') THEN
        RAISE EXCEPTION 'drop_old_partitions: % is not partitioned by PgScorer', parent;
    END IF;
    IF older_than IS NULL THEN RETURN; END IF;
    IF older_than < interval '1 day' THEN
        RAISE EXCEPTION 'drop_old_partitions: an age of % would drop current partitions; at least 1 day', older_than;
    END IF;
    PERFORM pg_catalog.set_config('lock_timeout', '2s', true);
    FOR part IN
        SELECT c.relname FROM pg_catalog.pg_inherits i
        JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
        JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
        JOIN pg_catalog.pg_namespace n ON n.oid = p.relnamespace
        WHERE n.nspname = 'pgscorer' AND p.relname = parent AND c.relname ~ ('^' || parent || '_[0-9]{6}$')
        ORDER BY c.relname
    LOOP
        month_end := (to_timestamp(right(part.relname, 6), 'YYYYMM')::timestamp + interval '1 month') AT TIME ZONE 'UTC';
        CONTINUE WHEN month_end > now() - older_than;
        IF NOT dry_run THEN
            BEGIN
                EXECUTE format('ALTER TABLE pgscorer.%I DETACH PARTITION pgscorer.%I', parent, part.relname);
                EXECUTE format('DROP TABLE pgscorer.%I', part.relname);
            EXCEPTION WHEN lock_not_available THEN
                CONTINUE;
            END;
        END IF;
        RETURN NEXT part.relname;
    END LOOP;
END
$$;

-- Every SECURITY DEFINER function of the schema searches pg_temp last. (A test fails
-- when a later one does not.)
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'pgscorer' AND p.prosecdef
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, pgscorer, pg_temp', f);
    END LOOP;
END
$$;

-- Series names are printed in terminals, logs and pages: no control characters (ESC,
-- CR, LF…) and no bidirectional overrides that reverse the text around them. NOT VALID:
-- names stored before keep working; new ones are checked.
ALTER TABLE pgscorer.series ADD CONSTRAINT series_names_printable
    CHECK (device !~ '[\x01-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]'
       AND sensor !~ '[\x01-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]') NOT VALID;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'pgscorer_worker') THEN
        GRANT EXECUTE ON FUNCTION pgscorer.evaluate_alerts(), pgscorer.hold_lease(text, text, interval),
                                  pgscorer.release_lease(text, text) TO pgscorer_worker;
    END IF;
END
$$;
