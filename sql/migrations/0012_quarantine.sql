-- Quarantine of poison series: a series whose jobs fail permanently (a corrupt payload,
-- a feature count that differs from the model's) N times in a row is held: new ticks
-- skip it, and the tick records how many it held back. A completed job resets the count;
-- retries of transient failures never count. `pgscorer series resume` or a new active
-- model releases it. N is the setting quarantine.after (default 3).
CREATE TABLE pgscorer.series_failures (
    series_id   bigint PRIMARY KEY REFERENCES pgscorer.series ON DELETE CASCADE,
    consecutive int NOT NULL,
    last_error  text NOT NULL,
    last_job_id bigint NOT NULL,
    failed_at   timestamptz NOT NULL DEFAULT now(),
    held_since  timestamptz
);
ALTER TABLE pgscorer.schedule_runs ADD COLUMN series_held int NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION pgscorer.settings_validate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    known text[] := ARRAY['retention.jobs', 'retention.job_runs', 'retention.schedule_runs', 'retention.predictions',
                          'retention.readings', 'quarantine.after'];
    duration interval;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '%', format('setting %s cannot be deleted: set its value to NULL instead', OLD.key)
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT NEW.key = ANY (known) THEN
        RAISE EXCEPTION '%', format('unknown setting %L: the settings are %s', NEW.key, array_to_string(known, ', '))
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.value IS NOT NULL AND NEW.key = 'quarantine.after' THEN
        IF NEW.value !~ '^[0-9]{1,4}$' OR NEW.value::int < 1 THEN
            RAISE EXCEPTION '%', format('setting quarantine.after: %L is not a count of failures (1 or more), or NULL to never hold a series', NEW.value)
                USING ERRCODE = 'check_violation';
        END IF;
    ELSIF NEW.value IS NOT NULL THEN
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

INSERT INTO pgscorer.settings (key, value, description) VALUES
    ('quarantine.after', '3', 'a series whose jobs fail permanently this many times in a row is held until resumed; NULL never holds');

-- Failures in a row before a series is held (NULL: never).
CREATE FUNCTION pgscorer.quarantine_after() RETURNS int
LANGUAGE sql STABLE AS $$ SELECT value::int FROM pgscorer.settings WHERE key = 'quarantine.after' $$;

-- A new active model releases its series.
CREATE FUNCTION pgscorer.release_series_on_activation() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer AS $$
BEGIN
    DELETE FROM pgscorer.series_failures WHERE series_id = NEW.series_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER models_release_series AFTER INSERT OR UPDATE OF active ON pgscorer.models
    FOR EACH ROW WHEN (NEW.active) EXECUTE FUNCTION pgscorer.release_series_on_activation();

-- Held series with their device and sensor, for status and reports.
CREATE VIEW pgscorer.held_series AS
SELECT f.series_id, s.device, s.sensor, f.consecutive, f.last_error, f.last_job_id, f.failed_at, f.held_since
FROM pgscorer.series_failures f JOIN pgscorer.series s USING (series_id)
WHERE f.held_since IS NOT NULL;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_worker') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON pgscorer.series_failures TO pgscorer_worker;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_reader') THEN
        GRANT SELECT ON pgscorer.series_failures, pgscorer.held_series TO pgscorer_reader;
    END IF;
END
$$;
