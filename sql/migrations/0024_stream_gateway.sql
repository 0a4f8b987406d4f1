-- The gateway, `pgscorer stream`: devices publish over MQTT or post over HTTP.
--   rejected_readings  what it received and could not store, with the reason (a dead letter)
--   device_tokens      the credentials devices post with over HTTP (SHA-256 of the token only)
--   gateways           the running gateways and what they have done, as workers register
--   ingest_minutes     what they took per minute

CREATE TABLE pgscorer.rejected_readings (
    rejected_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    -- 'mqtt' or 'http' (and, later, whatever else feeds readings in)
    source text NOT NULL,
    device text,
    sensor text,
    ts timestamptz,
    -- The message or line as received (invalid UTF-8 and NUL shown as U+FFFD, cut at 64 kB).
    payload text NOT NULL,
    reason text NOT NULL CHECK (reason IN ('conflict', 'malformed', 'topic', 'features', 'time', 'name')),
    -- What was wrong, in words (for a conflict: the stored value and the one received).
    detail text NOT NULL
);
CREATE INDEX rejected_readings_received_at ON pgscorer.rejected_readings (received_at);
COMMENT ON TABLE pgscorer.rejected_readings IS
    'What a gateway received and did not store, and why: a different value for a stored (series, time), '
    'a message that cannot be decoded, an unknown topic, a wrong feature count, a time out of range';

CREATE TABLE pgscorer.device_tokens (
    token_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device text NOT NULL CHECK (device <> '' AND length(device) <= 200),
    -- A LIKE pattern (backslash escapes) of the sensors it may write; '%' for all.
    sensor_pattern text NOT NULL DEFAULT '%',
    token_sha256 bytea NOT NULL UNIQUE CHECK (length(token_sha256) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL DEFAULT current_user,
    expires_at timestamptz,
    revoked_at timestamptz
);
COMMENT ON TABLE pgscorer.device_tokens IS
    'HTTP credentials of devices: a token writes its own device''s sensors that match sensor_pattern, '
    'until it expires or is revoked; only its SHA-256 is stored';

CREATE TABLE pgscorer.gateways (
    gateway_id text PRIMARY KEY,
    hostname text NOT NULL,
    pid integer NOT NULL,
    version text NOT NULL,
    -- What it takes: e.g. 'http 0.0.0.0:8086', 'mqtt mqtt://broker:1883 plant/{device}/{sensor}'
    inputs text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now(),
    heartbeat_seconds double precision NOT NULL CHECK (heartbeat_seconds > 0),
    -- Counts since it started, as of its last heartbeat.
    received bigint NOT NULL DEFAULT 0,
    stored bigint NOT NULL DEFAULT 0,
    duplicates bigint NOT NULL DEFAULT 0,
    rejected bigint NOT NULL DEFAULT 0,
    last_stored_at timestamptz
) WITH (fillfactor = 50);

-- What the gateways took, per minute (their heartbeats add to it), for the dashboard's
-- readings per minute; a week is kept.
CREATE TABLE pgscorer.ingest_minutes (
    minute timestamptz PRIMARY KEY,
    received bigint NOT NULL DEFAULT 0,
    stored bigint NOT NULL DEFAULT 0,
    duplicates bigint NOT NULL DEFAULT 0,
    rejected bigint NOT NULL DEFAULT 0
);

CREATE VIEW pgscorer.gateway_health AS
SELECT g.*, now() - g.heartbeat_at AS heartbeat_age,
       g.heartbeat_at >= now() - make_interval(secs => 3 * g.heartbeat_seconds) AS alive
FROM pgscorer.gateways g;

CREATE OR REPLACE FUNCTION pgscorer.settings_validate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    known text[] := ARRAY['retention.jobs', 'retention.job_runs', 'retention.schedule_runs', 'retention.predictions',
                          'retention.readings', 'retention.rejected_readings', 'quarantine.after'];
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
    ('retention.rejected_readings', '30 days',
     'rejected readings (the gateway''s dead letters) are deleted this long after they were received; NULL keeps them');

CREATE OR REPLACE FUNCTION pgscorer.prune(kind text, older_than interval, batch_size int, dry_run boolean DEFAULT false) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer, pg_temp AS $$
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
    ELSIF kind = 'rejected_readings' THEN
        IF dry_run THEN
            SELECT count(*) INTO removed FROM pgscorer.rejected_readings WHERE received_at < now() - older_than;
            RETURN removed;
        END IF;
        DELETE FROM pgscorer.rejected_readings WHERE rejected_id IN (
            SELECT rejected_id FROM pgscorer.rejected_readings WHERE received_at < now() - older_than
            ORDER BY received_at LIMIT batch_size FOR UPDATE SKIP LOCKED);
    ELSE
        RAISE EXCEPTION 'prune: unknown kind %', kind;
    END IF;
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END
$$;

DO $$
BEGIN
    -- A gateway may run as an ingest login: it writes readings, series, dead letters and
    -- its own row, and reads the tokens it is shown.
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_ingest') THEN
        GRANT SELECT, INSERT ON pgscorer.rejected_readings TO pgscorer_ingest;
        GRANT SELECT ON pgscorer.device_tokens TO pgscorer_ingest;
        GRANT SELECT, INSERT, UPDATE, DELETE ON pgscorer.gateways, pgscorer.ingest_minutes TO pgscorer_ingest;
        GRANT SELECT ON pgscorer.gateway_health TO pgscorer_ingest;
    END IF;
    -- The reader sees everything but the tokens' hashes.
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_reader') THEN
        GRANT SELECT ON pgscorer.rejected_readings, pgscorer.gateways, pgscorer.gateway_health, pgscorer.ingest_minutes TO pgscorer_reader;
        GRANT SELECT (token_id, device, sensor_pattern, created_at, created_by, expires_at, revoked_at)
            ON pgscorer.device_tokens TO pgscorer_reader;
    END IF;
END
$$;
