-- Operations as rows: settings an operator reads and edits with SQL, validated by the
-- database like schedules. Retention keeps every table's size on a plateau.
CREATE TABLE pgscorer.settings (
    key         text PRIMARY KEY,
    value       text,
    description text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO pgscorer.settings (key, value, description) VALUES
    ('retention.jobs', '7 days', 'finished jobs (completed, failed, cancelled) are deleted this long after they finished; their predictions stay; NULL keeps them'),
    ('retention.job_runs', '30 days', 'attempt logs (job_runs) are deleted this long after the attempt ended; NULL keeps them'),
    ('retention.schedule_runs', '30 days', 'fired ticks (schedule_runs) are forgotten this long after their time; NULL keeps them'),
    ('retention.predictions', NULL, 'monthly partitions of predictions are dropped once wholly older than this; NULL keeps them'),
    ('retention.readings', NULL, 'monthly partitions of readings are dropped once wholly older than this; NULL keeps them');

CREATE FUNCTION pgscorer.settings_validate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    known text[] := ARRAY['retention.jobs', 'retention.job_runs', 'retention.schedule_runs', 'retention.predictions', 'retention.readings'];
    duration interval;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '%', format('setting %s cannot be deleted: set its value to NULL to keep everything', OLD.key)
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT NEW.key = ANY (known) THEN
        RAISE EXCEPTION '%', format('unknown setting %L: the settings are %s', NEW.key, array_to_string(known, ', '))
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.value IS NOT NULL THEN
        BEGIN
            duration := NEW.value::interval;
        EXCEPTION WHEN others THEN
            RAISE EXCEPTION '%', format('setting %s: %L is not a duration (e.g. 7 days, 12 hours), or NULL to keep everything', NEW.key, NEW.value)
                USING ERRCODE = 'check_violation';
        END;
        IF duration < interval '1 minute' THEN
            RAISE EXCEPTION '%', format('setting %s: %s is too short (at least 1 minute), or NULL to keep everything', NEW.key, NEW.value)
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER settings_validate BEFORE INSERT OR UPDATE OR DELETE ON pgscorer.settings
    FOR EACH ROW EXECUTE FUNCTION pgscorer.settings_validate();

-- The retention of `setting` (NULL: keep).
CREATE FUNCTION pgscorer.retention(setting text) RETURNS interval
LANGUAGE sql STABLE AS $$ SELECT value::interval FROM pgscorer.settings WHERE key = setting $$;

-- Attempt logs outlive their jobs (kept 30 days, jobs 7): the log no longer cascades.
ALTER TABLE pgscorer.job_runs DROP CONSTRAINT job_runs_job_id_fkey;

-- What retention deletes by, and what reports filter on.
CREATE INDEX jobs_finished ON pgscorer.jobs (finished_at) WHERE state IN ('completed', 'failed', 'cancelled');
CREATE INDEX jobs_schedule_tick ON pgscorer.jobs (schedule_id, scheduled_for);
CREATE INDEX schedule_runs_scheduled_for ON pgscorer.schedule_runs (scheduled_for);
CREATE INDEX predictions_flagged ON pgscorer.predictions (ts) WHERE is_anomaly;

-- Deletes up to `batch_size` rows of `kind` (jobs, job_runs or schedule_runs) older than
-- `older_than` (NULL: none), oldest first, skipping rows others hold; returns how many.
-- With `dry_run`, counts every row it would delete instead. Small batches: no long
-- locks, and autovacuum reclaims as it goes.
CREATE FUNCTION pgscorer.prune(kind text, older_than interval, batch_size int, dry_run boolean DEFAULT false) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer AS $$
DECLARE
    removed bigint;
BEGIN
    IF older_than IS NULL THEN RETURN 0; END IF;
    IF older_than < interval '1 minute' THEN
        RAISE EXCEPTION 'prune: an age of % would remove what is current; at least 1 minute', older_than;
    END IF;
    IF kind = 'jobs' THEN
        IF dry_run THEN
            SELECT count(*) INTO removed FROM pgscorer.jobs
            WHERE state IN ('completed', 'failed', 'cancelled') AND finished_at < now() - older_than;
            RETURN removed;
        END IF;
        DELETE FROM pgscorer.jobs WHERE job_id IN (
            SELECT job_id FROM pgscorer.jobs
            WHERE state IN ('completed', 'failed', 'cancelled') AND finished_at < now() - older_than
            ORDER BY finished_at LIMIT batch_size FOR UPDATE SKIP LOCKED);
    ELSIF kind = 'job_runs' THEN
        IF dry_run THEN
            SELECT count(*) INTO removed FROM pgscorer.job_runs WHERE finished_at < now() - older_than;
            RETURN removed;
        END IF;
        DELETE FROM pgscorer.job_runs WHERE run_id IN (
            SELECT run_id FROM pgscorer.job_runs WHERE finished_at < now() - older_than
            ORDER BY finished_at LIMIT batch_size FOR UPDATE SKIP LOCKED);
    ELSIF kind = 'schedule_runs' THEN
        -- A schedule's newest tick always stays: it is how the scheduler knows what fired.
        IF dry_run THEN
            SELECT count(*) INTO removed FROM pgscorer.schedule_runs r WHERE r.scheduled_for < now() - older_than
              AND r.scheduled_for < (SELECT max(n.scheduled_for) FROM pgscorer.schedule_runs n WHERE n.schedule_id = r.schedule_id);
            RETURN removed;
        END IF;
        DELETE FROM pgscorer.schedule_runs WHERE (schedule_id, scheduled_for) IN (
            SELECT r.schedule_id, r.scheduled_for FROM pgscorer.schedule_runs r WHERE r.scheduled_for < now() - older_than
              AND r.scheduled_for < (SELECT max(n.scheduled_for) FROM pgscorer.schedule_runs n WHERE n.schedule_id = r.schedule_id)
            ORDER BY r.scheduled_for LIMIT batch_size FOR UPDATE SKIP LOCKED);
    ELSE
        RAISE EXCEPTION 'prune: unknown kind %', kind;
    END IF;
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END
$$;

-- Detaches and drops the monthly partitions of `parent` (readings or predictions) that
-- lie wholly before now() - `older_than`; returns their names. With `dry_run`, only
-- names them. A partition another session is using is left for the next round (the
-- lock is not waited for long).
CREATE FUNCTION pgscorer.drop_old_partitions(parent text, older_than interval, dry_run boolean DEFAULT false) RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer AS $$
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
    PERFORM set_config('lock_timeout', '2s', true);
    FOR part IN
        SELECT c.relname FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
        JOIN pg_class p ON p.oid = i.inhparent
        JOIN pg_namespace n ON n.oid = p.relnamespace
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
REVOKE EXECUTE ON FUNCTION pgscorer.prune(text, interval, int, boolean), pgscorer.drop_old_partitions(text, interval, boolean) FROM PUBLIC;

-- Reports count what the active model says (a retrained and re-scored series is not
-- counted twice).
CREATE OR REPLACE VIEW pgscorer.anomaly_rate_daily AS
SELECT s.device, s.sensor, p.series_id, date_trunc('day', p.ts AT TIME ZONE 'UTC')::date AS day,
       count(*) AS scored, count(*) FILTER (WHERE p.is_anomaly) AS anomalies,
       round((count(*) FILTER (WHERE p.is_anomaly))::numeric / count(*), 4)::float8 AS anomaly_rate,
       min(p.score) AS min_score
FROM pgscorer.predictions p
JOIN pgscorer.series s USING (series_id)
JOIN pgscorer.models m ON m.model_id = p.model_id AND m.active
GROUP BY s.device, s.sensor, p.series_id, date_trunc('day', p.ts AT TIME ZONE 'UTC');

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_worker') THEN
        GRANT SELECT ON pgscorer.settings TO pgscorer_worker;
        GRANT EXECUTE ON FUNCTION pgscorer.prune(text, interval, int, boolean),
                                  pgscorer.drop_old_partitions(text, interval, boolean) TO pgscorer_worker;
    END IF;
    -- The reader reads everything (status, reports, exports, the README's queries) and writes nothing.
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_reader') THEN
        GRANT SELECT ON ALL TABLES IN SCHEMA pgscorer TO pgscorer_reader;
    END IF;
END
$$;
