-- The scorer: series, readings, models, schedules, jobs, predictions and run logs.
-- Every big table leads with series_id, so it can be distributed by series later.

-- A series is one sensor of one device; all its readings have n_features values.
CREATE TABLE pgscorer.series (
    series_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device     text NOT NULL CHECK (device <> '' AND length(device) <= 200),
    sensor     text NOT NULL CHECK (sensor <> '' AND length(sensor) <= 200),
    n_features smallint NOT NULL CHECK (n_features BETWEEN 1 AND 4096),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (device, sensor),
    -- Target of the composite keys that tie readings and models to the feature count.
    UNIQUE (series_id, n_features)
);

-- True for a one-dimensional array of finite numbers without NULLs. (In PostgreSQL
-- NaN equals NaN, so the overlap test catches it.)
CREATE FUNCTION pgscorer.features_are_valid(features float8[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT array_ndims(features) = 1
       AND array_position(features, NULL) IS NULL
       AND NOT (features && '{NaN,Infinity,-Infinity}'::float8[])
$$;

-- Readings, range-partitioned by month of ts (pgscorer.ensure_partitions makes them).
CREATE TABLE pgscorer.readings (
    series_id  bigint NOT NULL,
    ts         timestamptz NOT NULL,
    n_features smallint NOT NULL,
    features   float8[] NOT NULL,
    PRIMARY KEY (series_id, ts),
    FOREIGN KEY (series_id, n_features) REFERENCES pgscorer.series (series_id, n_features),
    CONSTRAINT readings_feature_count CHECK (cardinality(features) = n_features),
    CONSTRAINT readings_features_finite CHECK (pgscorer.features_are_valid(features))
) PARTITION BY RANGE (ts);

-- Versioned models; old versions stay for audit, at most one is active per series.
CREATE TABLE pgscorer.models (
    model_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    series_id     bigint NOT NULL,
    version       int NOT NULL CHECK (version >= 1),
    kernel        text NOT NULL CHECK (kernel IN ('rbf', 'linear', 'poly', 'sigmoid')),
    n_features    smallint NOT NULL,
    n_support     int NOT NULL CHECK (n_support >= 1),
    params        jsonb NOT NULL DEFAULT '{}',
    payload       bytea NOT NULL,
    checksum      text GENERATED ALWAYS AS (encode(sha256(payload), 'hex')) STORED,
    source        text NOT NULL CHECK (source IN ('sklearn', 'native', 'json')),
    training_rows int CHECK (training_rows >= 0),
    fit_seconds   float8 CHECK (fit_seconds >= 0),
    trained_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    active        boolean NOT NULL DEFAULT false,
    UNIQUE (series_id, version),
    FOREIGN KEY (series_id, n_features) REFERENCES pgscorer.series (series_id, n_features)
);
CREATE UNIQUE INDEX models_one_active_per_series ON pgscorer.models (series_id) WHERE active;

CREATE TYPE pgscorer.missed_tick_policy AS ENUM ('skip', 'catch_up');

-- Schedules are plain rows: INSERT/UPDATE/DELETE them with SQL. A trigger validates
-- them and tells running workers (NOTIFY pgscorer_schedules).
CREATE TABLE pgscorer.schedules (
    schedule_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9_.:-]{1,100}$'),
    cron           text,
    every          interval,
    "window"       interval NOT NULL,
    device_pattern text NOT NULL DEFAULT '%',
    sensor_pattern text NOT NULL DEFAULT '%',
    enabled        boolean NOT NULL DEFAULT true,
    missed_ticks   pgscorer.missed_tick_policy NOT NULL DEFAULT 'skip',
    catch_up_limit int NOT NULL DEFAULT 0,
    priority       smallint NOT NULL DEFAULT 0,
    max_attempts   smallint NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 100),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

-- One row per fired tick: its primary key is the once-per-tick guarantee.
CREATE TABLE pgscorer.schedule_runs (
    schedule_id   bigint NOT NULL REFERENCES pgscorer.schedules ON DELETE CASCADE,
    scheduled_for timestamptz NOT NULL,
    fired_at      timestamptz NOT NULL DEFAULT now(),
    fired_by      text NOT NULL,
    jobs_created  int NOT NULL DEFAULT 0,
    PRIMARY KEY (schedule_id, scheduled_for)
);

CREATE TYPE pgscorer.job_state AS ENUM ('available', 'running', 'retryable', 'completed', 'failed', 'cancelled');

-- The queue. A job scores one series' model over [window_start, window_end).
-- Hot table: updates leave room on the page (fillfactor) and lease columns are in no
-- index, so lease renewals are HOT updates; autovacuum runs early and often.
CREATE TABLE pgscorer.jobs (
    job_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    series_id     bigint NOT NULL REFERENCES pgscorer.series,
    model_id      bigint NOT NULL REFERENCES pgscorer.models,
    schedule_id   bigint REFERENCES pgscorer.schedules ON DELETE SET NULL,
    scheduled_for timestamptz,
    window_start  timestamptz NOT NULL,
    window_end    timestamptz NOT NULL,
    state         pgscorer.job_state NOT NULL DEFAULT 'available',
    priority      smallint NOT NULL DEFAULT 0,
    run_at        timestamptz NOT NULL DEFAULT now(),
    attempt       smallint NOT NULL DEFAULT 0,
    max_attempts  smallint NOT NULL DEFAULT 5 CHECK (max_attempts BETWEEN 1 AND 100),
    lease_owner   text,
    lease_until   timestamptz,
    last_error    text,
    errors        jsonb NOT NULL DEFAULT '[]',
    created_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz,
    CONSTRAINT jobs_window_not_empty CHECK (window_end > window_start),
    CONSTRAINT jobs_attempts CHECK (attempt BETWEEN 0 AND max_attempts)
) WITH (
    fillfactor = 70,
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.02,
    autovacuum_vacuum_cost_delay = 0
);
-- The claim walks this index in order; it holds only claimable states.
CREATE INDEX jobs_claim_order ON pgscorer.jobs (priority, run_at, job_id)
    WHERE state IN ('available', 'retryable');
-- Running jobs, for reclaiming expired leases (lease_until itself is not indexed).
CREATE INDEX jobs_running ON pgscorer.jobs (job_id) WHERE state = 'running';
-- One pending job per (series, window): the same window is never queued twice at once.
CREATE UNIQUE INDEX jobs_one_pending_per_window ON pgscorer.jobs (series_id, window_start, window_end)
    WHERE state IN ('available', 'running', 'retryable');
CREATE INDEX jobs_series ON pgscorer.jobs (series_id, window_end);

-- One row per attempt: who ran it, when, and how it ended.
CREATE TYPE pgscorer.run_outcome AS ENUM ('completed', 'retry', 'failed', 'cancelled', 'released', 'abandoned', 'lease_lost');
CREATE TABLE pgscorer.job_runs (
    run_id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id       bigint NOT NULL REFERENCES pgscorer.jobs ON DELETE CASCADE,
    series_id    bigint NOT NULL,
    attempt      smallint NOT NULL,
    worker_id    text,
    started_at   timestamptz,
    finished_at  timestamptz NOT NULL DEFAULT now(),
    outcome      pgscorer.run_outcome NOT NULL,
    rows_scored  int NOT NULL DEFAULT 0,
    anomalies    int NOT NULL DEFAULT 0,
    duration_ms  float8,
    error        text,
    UNIQUE (job_id, attempt)
);
CREATE INDEX job_runs_finished ON pgscorer.job_runs (finished_at);

-- Predictions, partitioned like readings. Re-scoring a reading with the same model
-- replaces its row (upsert), so effects are exactly once.
CREATE TABLE pgscorer.predictions (
    series_id  bigint NOT NULL,
    ts         timestamptz NOT NULL,
    model_id   bigint NOT NULL,
    score      float8 NOT NULL,
    is_anomaly boolean NOT NULL,
    job_id     bigint NOT NULL,
    scored_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (series_id, ts, model_id)
) PARTITION BY RANGE (ts);

-- Live scorer processes, with their heartbeat.
CREATE TABLE pgscorer.workers (
    worker_id    text PRIMARY KEY,
    hostname     text NOT NULL,
    pid          int NOT NULL,
    concurrency  int NOT NULL,
    version      text NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    heartbeat_at timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 50);

-- Monthly partitions of readings and predictions covering [from_ts, to_ts].
-- Idempotent and safe to call concurrently (serialised by an advisory lock).
CREATE FUNCTION pgscorer.ensure_partitions(from_ts timestamptz, to_ts timestamptz) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    month   timestamptz;
    created int := 0;
    parent  text;
    name    text;
BEGIN
    IF from_ts IS NULL OR to_ts IS NULL OR to_ts < from_ts THEN
        RAISE EXCEPTION 'ensure_partitions: invalid range [%, %]', from_ts, to_ts;
    END IF;
    IF to_ts - from_ts > interval '100 years' THEN
        RAISE EXCEPTION 'ensure_partitions: range [%, %] spans more than 100 years', from_ts, to_ts;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('pgscorer.ensure_partitions'));
    month := date_trunc('month', from_ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    WHILE month <= to_ts LOOP
        FOREACH parent IN ARRAY ARRAY['readings', 'predictions'] LOOP
            name := parent || '_' || to_char(month AT TIME ZONE 'UTC', 'YYYYMM');
            IF to_regclass('pgscorer.' || name) IS NULL THEN
                EXECUTE format(
                    'CREATE TABLE pgscorer.%I PARTITION OF pgscorer.%I FOR VALUES FROM (%L) TO (%L)',
                    name, parent, month, (month AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC');
                created := created + 1;
            END IF;
        END LOOP;
        month := (month AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC';
    END LOOP;
    RETURN created;
END
$$;

-- Validates one cron field: '*', numbers, ranges 'a-b', steps '*/n' or 'a-b/n', lists.
CREATE FUNCTION pgscorer.cron_field_is_valid(field text, low int, high int) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    part  text;
    m     text[];
BEGIN
    IF field IS NULL OR field = '' THEN RETURN false; END IF;
    FOREACH part IN ARRAY string_to_array(field, ',') LOOP
        m := regexp_match(part, '^(\*|([0-9]{1,2})(-([0-9]{1,2}))?)(/([0-9]{1,2}))?$');
        IF m IS NULL THEN RETURN false; END IF;
        IF m[2] IS NOT NULL AND (m[2]::int < low OR m[2]::int > high) THEN RETURN false; END IF;
        IF m[4] IS NOT NULL AND (m[4]::int < m[2]::int OR m[4]::int > high) THEN RETURN false; END IF;
        IF m[6] IS NOT NULL AND (m[6]::int < 1 OR m[6]::int > high - low + 1) THEN RETURN false; END IF;
    END LOOP;
    RETURN true;
END
$$;

-- NULL when the 5-field cron text is valid, else the reason.
CREATE FUNCTION pgscorer.cron_error(cron text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    fields text[] := regexp_split_to_array(btrim(cron), '\s+');
    names  text[] := ARRAY['minute', 'hour', 'day of month', 'month', 'day of week'];
    lows   int[]  := ARRAY[0, 0, 1, 1, 0];
    highs  int[]  := ARRAY[59, 23, 31, 12, 7];
BEGIN
    IF array_length(fields, 1) IS DISTINCT FROM 5 THEN
        RETURN format('cron %L must have 5 fields (minute hour day-of-month month day-of-week), it has %s',
                      cron, coalesce(array_length(fields, 1), 0));
    END IF;
    FOR i IN 1..5 LOOP
        IF NOT pgscorer.cron_field_is_valid(fields[i], lows[i], highs[i]) THEN
            RETURN format('cron %L: invalid %s field %L (allowed: *, %s-%s, ranges a-b, steps */n, lists a,b)',
                          cron, names[i], fields[i], lows[i], highs[i]);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

-- Rejects invalid schedule rows with a clear error, keeps updated_at, and tells the
-- workers that schedules changed.
CREATE FUNCTION pgscorer.schedules_validate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    reason text;
BEGIN
    IF (NEW.cron IS NULL) = (NEW.every IS NULL) THEN
        RAISE EXCEPTION 'schedule %: set exactly one of cron and every', NEW.name USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.cron IS NOT NULL THEN
        reason := pgscorer.cron_error(NEW.cron);
        IF reason IS NOT NULL THEN
            RAISE EXCEPTION 'schedule %: %', NEW.name, reason USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF NEW.every IS NOT NULL AND (extract(year FROM NEW.every) <> 0 OR extract(month FROM NEW.every) <> 0) THEN
        RAISE EXCEPTION 'schedule %: every must be a fixed duration (days, hours, minutes, seconds), got %; use cron for monthly schedules',
            NEW.name, NEW.every USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.every IS NOT NULL AND (NEW.every < interval '1 second' OR NEW.every > interval '366 days') THEN
        RAISE EXCEPTION 'schedule %: every must be between 1 second and 366 days, got %', NEW.name, NEW.every
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW."window" <= interval '0' OR NEW."window" > interval '366 days' THEN
        RAISE EXCEPTION 'schedule %: window must be positive and at most 366 days, got %', NEW.name, NEW."window"
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.catch_up_limit < 0 OR NEW.catch_up_limit > 1000 THEN
        RAISE EXCEPTION 'schedule %: catch_up_limit must be between 0 and 1000, got %', NEW.name, NEW.catch_up_limit
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.missed_ticks = 'catch_up' AND NEW.catch_up_limit = 0 THEN
        RAISE EXCEPTION 'schedule %: missed_ticks = catch_up needs a catch_up_limit of at least 1', NEW.name
            USING ERRCODE = 'check_violation';
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER schedules_validate BEFORE INSERT OR UPDATE ON pgscorer.schedules
    FOR EACH ROW EXECUTE FUNCTION pgscorer.schedules_validate();

CREATE FUNCTION pgscorer.notify_channel() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], TG_OP);
    RETURN NULL;
END
$$;
CREATE TRIGGER schedules_changed AFTER INSERT OR UPDATE OR DELETE ON pgscorer.schedules
    FOR EACH STATEMENT EXECUTE FUNCTION pgscorer.notify_channel('pgscorer_schedules');
-- Wakes idle workers when jobs are queued (one notification per statement).
CREATE TRIGGER jobs_inserted AFTER INSERT ON pgscorer.jobs
    FOR EACH STATEMENT EXECUTE FUNCTION pgscorer.notify_channel('pgscorer_jobs');
