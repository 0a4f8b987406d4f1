-- Windows from raw telemetry. A series that an aggregation reads holds raw *samples*
-- (pgscorer.samples); each closed window of it becomes one reading of its target series
-- (same device, sensor named by the aggregation's target), stamped with the window's end.
--
-- Event time, per device: an aggregation keeps, for each device, the newest sample time
-- seen (watermark) and the end up to which its windows are closed (closed_until). A
-- window [start, end) closes when its device's watermark reaches end + lateness, or when
-- the device has been silent for idle_close of wall clock. The state of every window
-- (count, sum, sum of squared deviations, min, max, first, last) is merged as samples
-- arrive, by the samples' statement trigger, whoever writes them (ingest, the gateway,
-- SQL), so that closing reads no raw samples but for percentiles, and a late sample
-- merges into its window without a rescan. A sample for a closed window is late: with
-- late_policy 'drop' it becomes a dead letter (reason 'late'); with 'recompute' it is
-- merged, the window's reading rewritten and, if it was scored, its scoring queued again.

CREATE TABLE pgscorer.aggregations (
    aggregation_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE,
    "window" interval NOT NULL,
    hop interval NOT NULL,
    features text[] NOT NULL,
    device_pattern text NOT NULL DEFAULT '%',
    sensor_pattern text NOT NULL DEFAULT '%',
    target text NOT NULL,
    lateness interval NOT NULL DEFAULT '30 seconds',
    late_policy text NOT NULL DEFAULT 'drop',
    idle_close interval NOT NULL DEFAULT '10 minutes',
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Windows that start before this have no state any more (retention): a late sample
    -- for one is dropped whatever the policy, as a recompute could not see its samples.
    state_since timestamptz NOT NULL DEFAULT '-infinity',
    -- Windows closed so far (their state is kept only for late_policy 'recompute').
    windows_closed bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE pgscorer.aggregations IS
    'Windows over raw samples: each closed window of a matching series becomes one reading of its target series';

CREATE FUNCTION pgscorer.aggregations_validate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    known text[] := ARRAY['count', 'sum', 'mean', 'min', 'max', 'std', 'first', 'last', 'p50', 'p95'];
    window_seconds numeric;
    hop_seconds numeric;
    unknown text;
BEGIN
    IF NEW.name IS NULL OR NEW.name !~ '^[A-Za-z0-9_.:-]{1,100}$' THEN
        RAISE EXCEPTION '%', format('aggregation name %L is not allowed: use 1 to 100 letters, digits and _ . : -', NEW.name)
            USING ERRCODE = 'check_violation';
    END IF;
    NEW.hop := coalesce(NEW.hop, NEW."window");
    IF extract(month FROM NEW."window") <> 0 OR extract(year FROM NEW."window") <> 0 THEN
        RAISE EXCEPTION '%', format('aggregation %s: the window must be a fixed duration, not %s', NEW.name, NEW."window")
            USING ERRCODE = 'check_violation';
    END IF;
    window_seconds := extract(epoch FROM NEW."window");
    hop_seconds := extract(epoch FROM NEW.hop);
    IF window_seconds < 1 OR window_seconds <> trunc(window_seconds) OR window_seconds > 86400 OR 86400 % window_seconds <> 0 THEN
        RAISE EXCEPTION '%', format('aggregation %s: a window of %s does not divide a day into whole seconds (e.g. 10s, 1m, 5m, 15m, 1h, 1d)',
            NEW.name, NEW."window") USING ERRCODE = 'check_violation';
    END IF;
    IF hop_seconds > window_seconds THEN
        RAISE EXCEPTION '%', format('aggregation %s: the hop (%s) is larger than the window (%s); windows would leave samples out',
            NEW.name, NEW.hop, NEW."window") USING ERRCODE = 'check_violation';
    END IF;
    IF hop_seconds < 1 OR hop_seconds <> trunc(hop_seconds) OR window_seconds % hop_seconds <> 0 THEN
        RAISE EXCEPTION '%', format('aggregation %s: the hop (%s) must divide the window (%s) into whole seconds',
            NEW.name, NEW.hop, NEW."window") USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.features IS NULL OR cardinality(NEW.features) = 0 THEN
        RAISE EXCEPTION '%', format('aggregation %s: name at least one feature (%s)', NEW.name, array_to_string(known, ', '))
            USING ERRCODE = 'check_violation';
    END IF;
    SELECT f INTO unknown FROM unnest(NEW.features) f WHERE f IS NULL OR NOT f = ANY (known) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION '%', format('aggregation %s: unknown feature %L; the features are %s', NEW.name, unknown, array_to_string(known, ', '))
            USING ERRCODE = 'check_violation';
    END IF;
    IF (SELECT count(DISTINCT f) FROM unnest(NEW.features) f) <> cardinality(NEW.features) THEN
        RAISE EXCEPTION '%', format('aggregation %s: a feature is listed twice in %s', NEW.name, array_to_string(NEW.features, ','))
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.target IS NULL OR NEW.target = '' OR length(NEW.target) > 200 THEN
        RAISE EXCEPTION '%', format('aggregation %s: the target names the sensor of the windows'' readings, e.g. {sensor}_5m', NEW.name)
            USING ERRCODE = 'check_violation';
    END IF;
    -- A wildcard that is not escaped (\_ is an underscore) means several sensors.
    IF NEW.target NOT LIKE '%{sensor}%' AND regexp_replace(NEW.sensor_pattern, '\\.', '', 'g') ~ '[%_]' THEN
        RAISE EXCEPTION '%', format('aggregation %s: the sensor pattern %L matches several sensors, so the target %L must contain {sensor} (e.g. {sensor}_5m)',
            NEW.name, NEW.sensor_pattern, NEW.target) USING ERRCODE = 'check_violation';
    END IF;
    IF replace(NEW.target, '{sensor}', '') = '' THEN
        RAISE EXCEPTION '%', format('aggregation %s: the target %L would name the windows'' series as their sources; add to it, e.g. {sensor}_5m',
            NEW.name, NEW.target) USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.lateness < interval '0' OR NEW.lateness > interval '7 days' THEN
        RAISE EXCEPTION '%', format('aggregation %s: lateness must be between 0 and 7 days, not %s', NEW.name, NEW.lateness)
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.late_policy IS NULL OR NEW.late_policy NOT IN ('drop', 'recompute') THEN
        RAISE EXCEPTION '%', format('aggregation %s: late_policy is drop or recompute, not %L', NEW.name, NEW.late_policy)
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.idle_close < interval '1 second' OR NEW.idle_close > interval '7 days' THEN
        RAISE EXCEPTION '%', format('aggregation %s: idle_close must be between 1 second and 7 days, not %s', NEW.name, NEW.idle_close)
            USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND (NEW."window", NEW.hop, NEW.features, NEW.target) IS DISTINCT FROM (OLD."window", OLD.hop, OLD.features, OLD.target)
       AND (OLD.windows_closed > 0 OR EXISTS (SELECT 1 FROM pgscorer.windows w WHERE w.aggregation_id = OLD.aggregation_id)) THEN
        RAISE EXCEPTION '%', format('aggregation %s has windows: its window, hop, features and target stay as they are; add another aggregation instead',
            OLD.name) USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.late_policy = 'drop' AND NEW.late_policy = 'recompute' AND OLD.windows_closed > 0 THEN
        RAISE EXCEPTION '%', format('aggregation %s drops late samples and kept no state of its %s closed windows, so it cannot recompute them; add another aggregation with late_policy recompute',
            OLD.name, OLD.windows_closed) USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

-- Which series hold samples and which are windows' targets.
ALTER TABLE pgscorer.series
    ADD COLUMN holds_samples boolean NOT NULL DEFAULT false,
    ADD COLUMN aggregation_id bigint REFERENCES pgscorer.aggregations (aggregation_id) ON DELETE SET NULL,
    ADD COLUMN source_series_id bigint REFERENCES pgscorer.series (series_id) ON DELETE SET NULL;
COMMENT ON COLUMN pgscorer.series.holds_samples IS 'An aggregation reads it: its values go to pgscorer.samples, not pgscorer.readings';
COMMENT ON COLUMN pgscorer.series.source_series_id IS 'For the readings of an aggregation''s windows: the series of samples they come from';

-- A series holds samples when an aggregation matches it, it has one value per sample and
-- it is no aggregation's target.
CREATE FUNCTION pgscorer.series_holds_samples(device text, sensor text, n_features int) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT n_features = 1 AND EXISTS (
        SELECT 1 FROM pgscorer.aggregations a WHERE device LIKE a.device_pattern AND sensor LIKE a.sensor_pattern)
$$;

CREATE FUNCTION pgscorer.series_set_holds_samples() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.source_series_id IS NULL THEN
        NEW.holds_samples := pgscorer.series_holds_samples(NEW.device, NEW.sensor, NEW.n_features);
    ELSE
        NEW.holds_samples := false;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER series_set_holds_samples BEFORE INSERT ON pgscorer.series
    FOR EACH ROW EXECUTE FUNCTION pgscorer.series_set_holds_samples();

-- After aggregations change: the series they now read hold samples (a series that has
-- readings keeps them; its new values are samples).
CREATE FUNCTION pgscorer.aggregations_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer, pg_temp AS $$
BEGIN
    UPDATE pgscorer.series s SET holds_samples = NOT s.holds_samples
    WHERE s.holds_samples <> (s.source_series_id IS NULL AND pgscorer.series_holds_samples(s.device, s.sensor, s.n_features));
    RETURN NULL;
END
$$;

CREATE TABLE pgscorer.samples (
    series_id bigint NOT NULL,
    ts timestamptz NOT NULL,
    n_features smallint NOT NULL,
    features double precision[] NOT NULL,
    CONSTRAINT samples_feature_count CHECK (cardinality(features) = n_features),
    CONSTRAINT samples_features_finite CHECK (pgscorer.features_are_valid(features)),
    PRIMARY KEY (series_id, ts)
) PARTITION BY RANGE (ts);
COMMENT ON TABLE pgscorer.samples IS
    'Raw samples of the series an aggregation reads (as readings: series, time, values); their windows become readings';

-- The state of each window: merged as samples arrive, read when it closes.
CREATE TABLE pgscorer.windows (
    aggregation_id bigint NOT NULL REFERENCES pgscorer.aggregations (aggregation_id) ON DELETE CASCADE,
    series_id bigint NOT NULL,
    window_start timestamptz NOT NULL,
    window_end timestamptz NOT NULL,
    n bigint NOT NULL,
    sum double precision NOT NULL,
    -- Sum of squared deviations from the mean (merged exactly, as PostgreSQL's own
    -- variance does), so the standard deviation does not suffer from cancellation.
    sxx double precision NOT NULL,
    min double precision NOT NULL,
    max double precision NOT NULL,
    first_ts timestamptz NOT NULL,
    first double precision,  -- kept only by aggregations with the feature first or last
    last_ts timestamptz NOT NULL,
    last double precision,
    -- Late samples merged into it after it closed (recompute).
    late integer NOT NULL DEFAULT 0,
    closed_at timestamptz,
    -- Changed since its reading was written (a late sample merged): to be written again.
    dirty boolean NOT NULL DEFAULT false,
    PRIMARY KEY (aggregation_id, series_id, window_start)
) WITH (fillfactor = 80);
CREATE INDEX windows_to_close ON pgscorer.windows (aggregation_id, window_end) WHERE closed_at IS NULL OR dirty;
COMMENT ON TABLE pgscorer.windows IS
    'Per window of an aggregation over a series: count, sum, squared deviations, min, max, first, last; closed_at once its reading is written';

-- Per aggregation and device: event time.
CREATE TABLE pgscorer.aggregation_devices (
    aggregation_id bigint NOT NULL REFERENCES pgscorer.aggregations (aggregation_id) ON DELETE CASCADE,
    device text NOT NULL,
    watermark timestamptz NOT NULL,
    heard_at timestamptz NOT NULL,
    closed_until timestamptz NOT NULL DEFAULT '-infinity',
    PRIMARY KEY (aggregation_id, device)
);
COMMENT ON TABLE pgscorer.aggregation_devices IS
    'Per aggregation and device: the newest sample time (watermark), when it last sent, and the end up to which its windows are closed';

-- Late samples per aggregation and series, as counted when they arrived.
CREATE TABLE pgscorer.late_samples (
    aggregation_id bigint NOT NULL REFERENCES pgscorer.aggregations (aggregation_id) ON DELETE CASCADE,
    series_id bigint NOT NULL,
    dropped bigint NOT NULL DEFAULT 0,
    recomputed bigint NOT NULL DEFAULT 0,
    last_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (aggregation_id, series_id)
);

ALTER TABLE pgscorer.rejected_readings DROP CONSTRAINT rejected_readings_reason_check;
ALTER TABLE pgscorer.rejected_readings ADD CONSTRAINT rejected_readings_reason_check
    CHECK (reason IN ('conflict', 'malformed', 'topic', 'features', 'time', 'name', 'late'));
COMMENT ON TABLE pgscorer.rejected_readings IS
    'What was received and not stored, and why: a different value for a stored (series, time), a message that cannot be decoded, an unknown topic, a wrong feature count, a time out of range, a sample for a window already closed (late)';

-- Why a job runs when no tick queued it (a recomputed window's scoring).
ALTER TABLE pgscorer.jobs ADD COLUMN reason text;

-- A schedule may fire when an aggregation closes windows instead of on a clock.
ALTER TABLE pgscorer.schedules ADD COLUMN on_close text REFERENCES pgscorer.aggregations (name) ON UPDATE CASCADE;

CREATE OR REPLACE FUNCTION pgscorer.schedules_validate() RETURNS trigger
LANGUAGE plpgsql AS $_$
DECLARE
    reason text;
BEGIN
    IF NEW.name IS NULL OR NEW.name !~ '^[A-Za-z0-9_.:-]{1,100}$' THEN
        RAISE EXCEPTION '%', format('schedule name %L is not allowed: use 1 to 100 letters, digits and _ . : -', NEW.name)
            USING ERRCODE = 'check_violation';
    END IF;
    IF (NEW.cron IS NOT NULL)::int + (NEW.every IS NOT NULL)::int + (NEW.on_close IS NOT NULL)::int <> 1 THEN
        RAISE EXCEPTION 'schedule %: set exactly one of cron, every and on_close', NEW.name USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.on_close IS NOT NULL AND NEW.kind <> 'score' THEN
        RAISE EXCEPTION 'schedule %: only a scoring schedule fires on closing windows', NEW.name USING ERRCODE = 'check_violation';
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
    IF TG_OP = 'INSERT' THEN
        NEW.enabled_at := NEW.created_at;
    ELSIF NEW.enabled AND NOT OLD.enabled THEN
        NEW.enabled_at := now();
    ELSE
        NEW.enabled_at := OLD.enabled_at;
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$_$;

-- The readings' check also refuses a series that holds samples (the same error as an
-- unknown series, so that a writer that remembered it finds it anew and writes samples).
CREATE OR REPLACE FUNCTION pgscorer.readings_check_series() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer, pg_temp AS $$
DECLARE
    bad record;
BEGIN
    SELECT given.series_id, given.n_features, stored.n_features AS series_features, stored.holds_samples INTO bad
    FROM (SELECT DISTINCT n.series_id, n.n_features FROM new_readings n) given
    LEFT JOIN LATERAL (
        SELECT s.n_features, s.holds_samples FROM pgscorer.series s WHERE s.series_id = given.series_id FOR KEY SHARE
    ) stored ON true
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

CREATE OR REPLACE FUNCTION pgscorer.series_keep_readings() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP = 'DELETE' OR NEW.series_id <> OLD.series_id OR NEW.n_features <> OLD.n_features)
       AND (EXISTS (SELECT 1 FROM pgscorer.readings WHERE series_id = OLD.series_id)
            OR EXISTS (SELECT 1 FROM pgscorer.samples WHERE series_id = OLD.series_id)) THEN
        RAISE EXCEPTION 'series %/% has readings or samples: delete them first', OLD.device, OLD.sensor
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;

-- The samples' statement trigger: checks the series as the readings' does, then settles
-- each sample with every aggregation that reads its series: merged into the state of
-- each window it falls in, or, for a window already closed, late (dropped as a dead
-- letter, or merged and the window marked to be written again); and moves its device's
-- watermark. One statement, set-based, whoever inserted the samples.
CREATE FUNCTION pgscorer.samples_arrived() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer, pg_temp AS $$
DECLARE
    bad record;
BEGIN
    SELECT given.series_id, given.n_features, stored.n_features AS series_features, stored.holds_samples INTO bad
    FROM (SELECT DISTINCT n.series_id, n.n_features FROM new_samples n) given
    LEFT JOIN LATERAL (
        SELECT s.n_features, s.holds_samples FROM pgscorer.series s WHERE s.series_id = given.series_id FOR KEY SHARE
    ) stored ON true
    WHERE stored.n_features IS DISTINCT FROM given.n_features OR NOT stored.holds_samples
    LIMIT 1;
    IF FOUND THEN
        IF bad.series_features IS NULL THEN
            RAISE EXCEPTION 'samples refer to series %, which does not exist', bad.series_id
                USING ERRCODE = 'foreign_key_violation';
        ELSIF NOT bad.holds_samples THEN
            RAISE EXCEPTION 'series % holds readings (no aggregation reads it): its values go to pgscorer.readings', bad.series_id
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RAISE EXCEPTION 'samples of series % have % values, but the series has %', bad.series_id, bad.n_features, bad.series_features
            USING ERRCODE = 'foreign_key_violation';
    END IF;

    -- Each device's watermark first (the closer, too, takes device rows before windows).
    -- It never passes the database's clock: a device whose clock runs ahead does not
    -- close windows that are still filling.
    INSERT INTO pgscorer.aggregation_devices AS d (aggregation_id, device, watermark, heard_at)
    SELECT a.aggregation_id, se.device, least(max(n.newest), now()), now()
    FROM (SELECT series_id, max(ts) AS newest FROM new_samples GROUP BY series_id) n
    JOIN pgscorer.series se ON se.series_id = n.series_id
    JOIN pgscorer.aggregations a ON se.device LIKE a.device_pattern AND se.sensor LIKE a.sensor_pattern
    GROUP BY a.aggregation_id, se.device ORDER BY a.aggregation_id, se.device
    ON CONFLICT (aggregation_id, device) DO UPDATE SET
        watermark = greatest(d.watermark, EXCLUDED.watermark), heard_at = EXCLUDED.heard_at;

    WITH sources AS MATERIALIZED (
        SELECT a.aggregation_id, a.name, a."window", a.hop, a.late_policy, a.state_since, se.series_id, se.device, se.sensor,
               coalesce(d.closed_until, '-infinity') AS closed_until,
               (extract(epoch FROM a."window") / extract(epoch FROM a.hop))::int AS hops,
               -- first and last cost an array per sample: only for aggregations that name them.
               'first' = ANY (a.features) OR 'last' = ANY (a.features) AS edges
        FROM (SELECT DISTINCT series_id FROM new_samples) n
        JOIN pgscorer.series se ON se.series_id = n.series_id
        JOIN pgscorer.aggregations a ON se.device LIKE a.device_pattern AND se.sensor LIKE a.sensor_pattern
        LEFT JOIN pgscorer.aggregation_devices d ON d.aggregation_id = a.aggregation_id AND d.device = se.device
    ), arrived AS MATERIALIZED (
        -- Each sample in each window it falls in: one when tumbling (no join, the common
        -- case), window / hop when hopping.
        SELECT s.aggregation_id, s.name, s.late_policy, s.edges, s.series_id, s.device, s.sensor, w.ts, w.features[1] AS v,
               w.start AS window_start, w.start + s."window" AS window_end,
               (w.start + s."window" <= s.closed_until OR w.start < s.state_since) AS late,
               w.start < s.state_since AS forgotten
        FROM (
            SELECT n.series_id, n.ts, n.features, date_bin(s.hop, n.ts, timestamptz '1970-01-01 00:00:00+00') AS start, s.aggregation_id
            FROM new_samples n JOIN sources s ON s.series_id = n.series_id WHERE s.hops = 1
            UNION ALL
            SELECT n.series_id, n.ts, n.features, date_bin(s.hop, n.ts, timestamptz '1970-01-01 00:00:00+00') - k * s.hop, s.aggregation_id
            FROM new_samples n JOIN sources s ON s.series_id = n.series_id AND s.hops > 1
            CROSS JOIN LATERAL generate_series(0, s.hops - 1) k
        ) w
        JOIN sources s ON s.series_id = w.series_id AND s.aggregation_id = w.aggregation_id
    ), dropped AS MATERIALIZED (
        SELECT aggregation_id, name, series_id, device, sensor, ts, v, min(window_start) AS first_start, max(window_end) AS last_end,
               bool_or(forgotten) AS forgotten
        FROM arrived WHERE late AND (late_policy = 'drop' OR forgotten)
        GROUP BY aggregation_id, name, series_id, device, sensor, ts, v
    ), dead AS (
        INSERT INTO pgscorer.rejected_readings (source, device, sensor, ts, payload, reason, detail)
        SELECT 'window', device, sensor, ts,
               json_build_object('ts', to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'value', v)::text, 'late',
               format('aggregation %s had closed the window of %s/%s that ends %s%s', name, device, sensor,
                      to_char(last_end AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                      CASE WHEN forgotten THEN ' (its state is past retention, so it cannot be recomputed)' ELSE '' END)
        FROM dropped
    ), unused AS (
        DELETE FROM pgscorer.samples x
        USING (SELECT DISTINCT d.series_id, d.ts FROM dropped d
               WHERE NOT EXISTS (SELECT 1 FROM arrived a WHERE a.series_id = d.series_id AND a.ts = d.ts
                                 AND NOT (a.late AND (a.late_policy = 'drop' OR a.forgotten)))) g
        WHERE x.series_id = g.series_id AND x.ts = g.ts
    ), grouped AS (
        SELECT aggregation_id, series_id, window_start, min(window_end) AS window_end, count(*) AS n, sum(v) AS sum,
               coalesce(var_pop(v), 0) * count(*) AS sxx, min(v) AS min, max(v) AS max,
               -- The value at the first and last time without sorting: the least and greatest
               -- (time, value) pair (times in µs are exact as float8).
               min(ts) AS first_ts, (min(ARRAY[(extract(epoch FROM ts) * 1000000)::float8, v]) FILTER (WHERE edges))[2] AS first,
               max(ts) AS last_ts, (max(ARRAY[(extract(epoch FROM ts) * 1000000)::float8, v]) FILTER (WHERE edges))[2] AS last,
               count(*) FILTER (WHERE late)::int AS late
        FROM arrived WHERE NOT late OR (late_policy = 'recompute' AND NOT forgotten)
        GROUP BY aggregation_id, series_id, window_start
    ), merged AS (
        INSERT INTO pgscorer.windows AS w (aggregation_id, series_id, window_start, window_end, n, sum, sxx, min, max,
                                          first_ts, first, last_ts, last, late)
        SELECT aggregation_id, series_id, window_start, window_end, n, sum, sxx, min, max, first_ts, first, last_ts, last, late
        FROM grouped ORDER BY aggregation_id, series_id, window_start
        ON CONFLICT (aggregation_id, series_id, window_start) DO UPDATE SET
            n = w.n + EXCLUDED.n,
            sum = w.sum + EXCLUDED.sum,
            -- Chan et al.: the squared deviations of the union from those of the parts.
            sxx = w.sxx + EXCLUDED.sxx
                  + (w.n::float8 * EXCLUDED.n / (w.n + EXCLUDED.n)) * (w.sum / w.n - EXCLUDED.sum / EXCLUDED.n) ^ 2,
            min = least(w.min, EXCLUDED.min),
            max = greatest(w.max, EXCLUDED.max),
            first_ts = least(w.first_ts, EXCLUDED.first_ts),
            first = CASE WHEN EXCLUDED.first_ts < w.first_ts THEN EXCLUDED.first ELSE w.first END,
            last_ts = greatest(w.last_ts, EXCLUDED.last_ts),
            last = CASE WHEN EXCLUDED.last_ts > w.last_ts THEN EXCLUDED.last ELSE w.last END,
            -- A closed window takes only late samples (recompute): it is written again.
            late = w.late + EXCLUDED.late,
            dirty = w.dirty OR w.closed_at IS NOT NULL
    ), counted AS (
        INSERT INTO pgscorer.late_samples AS l (aggregation_id, series_id, dropped, recomputed)
        SELECT aggregation_id, series_id,
               count(DISTINCT ts) FILTER (WHERE late_policy = 'drop' OR forgotten),
               count(DISTINCT ts) FILTER (WHERE late_policy = 'recompute' AND NOT forgotten)
        FROM arrived WHERE late
        GROUP BY aggregation_id, series_id ORDER BY aggregation_id, series_id
        ON CONFLICT (aggregation_id, series_id) DO UPDATE SET
            dropped = l.dropped + EXCLUDED.dropped, recomputed = l.recomputed + EXCLUDED.recomputed, last_at = now()
    )
    SELECT 1 INTO bad;
    RETURN NULL;
END
$$;

CREATE TRIGGER samples_arrived AFTER INSERT ON pgscorer.samples
    REFERENCING NEW TABLE AS new_samples FOR EACH STATEMENT EXECUTE FUNCTION pgscorer.samples_arrived();
CREATE TRIGGER aggregations_validate BEFORE INSERT OR UPDATE ON pgscorer.aggregations
    FOR EACH ROW EXECUTE FUNCTION pgscorer.aggregations_validate();
CREATE TRIGGER aggregations_changed AFTER INSERT OR DELETE OR UPDATE OF device_pattern, sensor_pattern ON pgscorer.aggregations
    FOR EACH STATEMENT EXECUTE FUNCTION pgscorer.aggregations_changed();

-- Whether every window whose reading would fall before `scored_until` is closed for
-- series `target_series` (true for a series that is no aggregation's target, and for a device
-- silent past idle_close): a scoring job for [.., until) may run.
CREATE FUNCTION pgscorer.windows_closed(target_series bigint, scored_until timestamptz) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce((
        SELECT d.closed_until >= date_bin(a.hop, scored_until - interval '1 microsecond', timestamptz '1970-01-01 00:00:00+00')
               OR d.heard_at + a.idle_close <= now()
        FROM pgscorer.series t
        JOIN pgscorer.aggregations a ON a.aggregation_id = t.aggregation_id
        JOIN pgscorer.aggregation_devices d ON d.aggregation_id = a.aggregation_id AND d.device = t.device
        WHERE t.series_id = target_series), true)
$$;

-- The windows one call of close_windows writes, for the length of that call (an
-- ordinary table rather than a temporary one: a SECURITY DEFINER function must not use
-- a relation the caller could have put in pg_temp first).
CREATE UNLOGGED TABLE pgscorer.windows_closing (
    aggregation_id bigint NOT NULL,
    series_id bigint NOT NULL,
    window_start timestamptz NOT NULL,
    window_end timestamptz NOT NULL,
    device text NOT NULL,
    sensor text NOT NULL,
    target bigint,
    features double precision[],
    rewrite boolean NOT NULL
);
CREATE INDEX windows_closing_aggregation ON pgscorer.windows_closing (aggregation_id, target);

-- Scoring jobs that wait for windows to close, found without scanning the queue (the
-- closers look for them every second).
CREATE INDEX jobs_waiting_for_windows ON pgscorer.jobs (series_id) WHERE state = 'available' AND run_at = 'infinity';
REVOKE ALL ON pgscorer.windows_closing FROM PUBLIC;

-- Closes what is due of aggregation `closing` (at most `batch` windows): moves each
-- device's closed_until (watermark − lateness, or past its last sample once it has been
-- silent for idle_close), writes the reading of every window that closed and rewrites
-- those a late sample changed, queues the scoring of rewritten readings that were scored,
-- fires the schedules that run on its closing and lets waiting scoring jobs run. One
-- process at a time per aggregation (the others skip it: `skipped`). All in the caller's
-- transaction: a closer killed midway closed nothing.
CREATE FUNCTION pgscorer.close_windows(closing bigint, batch int)
RETURNS TABLE (skipped boolean, closed int, rewritten int, rescored int, released int, fired int, more boolean)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer, pg_temp AS $$
DECLARE
    a pgscorer.aggregations;
    bounds record;
    clash record;
    schedule pgscorer.schedules;
    queued int;
    expression text;
    listed int;
BEGIN
    skipped := false; closed := 0; rewritten := 0; rescored := 0; released := 0; fired := 0; more := false;
    SELECT * INTO a FROM pgscorer.aggregations WHERE aggregation_id = closing FOR NO KEY UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        skipped := true;
        RETURN NEXT;
        RETURN;
    END IF;

    UPDATE pgscorer.aggregation_devices d SET closed_until = c.until
    FROM (SELECT d2.aggregation_id, d2.device,
                 CASE WHEN d2.heard_at + a.idle_close <= now()
                      THEN date_bin(a.hop, d2.watermark, timestamptz '1970-01-01 00:00:00+00') + a."window"
                      ELSE date_bin(a.hop, d2.watermark - a.lateness, timestamptz '1970-01-01 00:00:00+00') END AS until
          FROM pgscorer.aggregation_devices d2 WHERE d2.aggregation_id = closing) c
    WHERE d.aggregation_id = c.aggregation_id AND d.device = c.device AND c.until > d.closed_until;

    -- The windows to write now, oldest first (rows of this call only: see windows_closing).
    -- The features as one array expression over the window's state, in the listed order
    -- (built from the validated names, so a call computes them without a function call
    -- per window); percentiles read the window's samples.
    SELECT 'ARRAY[' || string_agg(part, ', ' ORDER BY position) || ']::float8[]', count(part) INTO expression, listed
    FROM (SELECT position, CASE feature
        WHEN 'count' THEN 'w.n::float8'
        WHEN 'sum' THEN 'w.sum'
        WHEN 'mean' THEN 'w.sum / w.n'
        WHEN 'min' THEN 'w.min'
        WHEN 'max' THEN 'w.max'
        WHEN 'std' THEN 'CASE WHEN w.n > 1 THEN sqrt(greatest(w.sxx, 0) / (w.n - 1)) ELSE 0 END'
        WHEN 'first' THEN 'w.first'
        WHEN 'last' THEN 'w.last'
        WHEN 'p50' THEN '(SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s.features[1]) FROM pgscorer.samples s'
                        || ' WHERE s.series_id = w.series_id AND s.ts >= w.window_start AND s.ts < w.window_end)'
        WHEN 'p95' THEN '(SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY s.features[1]) FROM pgscorer.samples s'
                        || ' WHERE s.series_id = w.series_id AND s.ts >= w.window_start AND s.ts < w.window_end)'
        END AS part
        FROM unnest(a.features) WITH ORDINALITY AS given(feature, position)) parts;
    -- Unreachable past the validation trigger; dynamic SQL checks all the same.
    IF listed IS DISTINCT FROM cardinality(a.features) THEN
        RAISE EXCEPTION 'aggregation %: unknown feature in %', a.name, a.features;
    END IF;
    EXECUTE format($sql$
        WITH due AS (
            SELECT w.*, se.device, se.sensor FROM pgscorer.windows w
            JOIN pgscorer.series se ON se.series_id = w.series_id
            JOIN pgscorer.aggregation_devices d ON d.aggregation_id = $1 AND d.device = se.device
            WHERE w.aggregation_id = $1 AND (w.closed_at IS NULL OR w.dirty)
              AND (w.dirty OR w.window_end <= d.closed_until)
            ORDER BY w.window_end
            LIMIT $2
            FOR UPDATE OF w
        )
        INSERT INTO pgscorer.windows_closing (aggregation_id, series_id, window_start, window_end, device, sensor, target, features, rewrite)
        SELECT $1, w.series_id, w.window_start, w.window_end, w.device, replace($3, '{sensor}', w.sensor), t.series_id, %s,
               w.closed_at IS NOT NULL
        FROM due w
        LEFT JOIN pgscorer.series t ON t.device = w.device AND t.sensor = replace($3, '{sensor}', w.sensor) AND t.source_series_id = w.series_id
        $sql$, expression) USING closing, batch, a.target;
    GET DIAGNOSTICS closed = ROW_COUNT;
    more := closed = batch;
    SELECT count(*) FILTER (WHERE NOT rewrite) AS closing, count(*) FILTER (WHERE rewrite) AS rewriting,
           min(window_end) AS first, max(window_end) AS last INTO bounds FROM pgscorer.windows_closing WHERE aggregation_id = closing;
    closed := bounds.closing;
    rewritten := bounds.rewriting;
    IF bounds.first IS NULL THEN
        RETURN NEXT;
        RETURN;
    END IF;

    -- The target series: made on first use; a series of that name that is not this
    -- aggregation's is an error an operator must resolve.
    IF EXISTS (SELECT 1 FROM pgscorer.windows_closing c WHERE c.aggregation_id = closing AND c.target IS NULL) THEN
        INSERT INTO pgscorer.series (device, sensor, n_features, aggregation_id, source_series_id)
        SELECT DISTINCT ON (c.device, c.sensor) c.device, c.sensor, cardinality(a.features), closing, c.series_id
        FROM pgscorer.windows_closing c WHERE c.aggregation_id = closing AND c.target IS NULL ORDER BY c.device, c.sensor
        ON CONFLICT (device, sensor) DO NOTHING;
        SELECT c.device, c.sensor, se.n_features INTO clash
        FROM pgscorer.windows_closing c JOIN pgscorer.series se ON se.device = c.device AND se.sensor = c.sensor
        WHERE c.aggregation_id = closing AND c.target IS NULL
          AND (se.source_series_id IS DISTINCT FROM c.series_id OR se.n_features <> cardinality(a.features))
        LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION '%', format('aggregation %s cannot write its windows to %s/%s: that series already exists with %s features and is not this aggregation''s (rename the target or that series)',
                a.name, clash.device, clash.sensor, clash.n_features) USING ERRCODE = 'unique_violation';
        END IF;
        UPDATE pgscorer.windows_closing c SET target = se.series_id FROM pgscorer.series se
        WHERE c.aggregation_id = closing AND c.target IS NULL AND se.device = c.device AND se.sensor = c.sensor;
    END IF;

    PERFORM pgscorer.ensure_partitions(bounds.first, bounds.last);
    INSERT INTO pgscorer.readings (series_id, ts, n_features, features)
    SELECT target, window_end, cardinality(features), features FROM pgscorer.windows_closing WHERE aggregation_id = closing
    ORDER BY target, window_end
    ON CONFLICT (series_id, ts) DO UPDATE SET features = EXCLUDED.features WHERE pgscorer.readings.features <> EXCLUDED.features;

    -- A closed window's state is kept only to recompute it: with late_policy drop it goes.
    -- (No sample can merge into a window as it closes: the samples' trigger and the closer
    -- both take the device's row first, and a sample for a window at or before the
    -- device's closed_until is late.)
    IF a.late_policy = 'drop' THEN
        DELETE FROM pgscorer.windows w USING pgscorer.windows_closing c
        WHERE c.aggregation_id = closing AND w.aggregation_id = closing AND w.series_id = c.series_id AND w.window_start = c.window_start;
    ELSE
        UPDATE pgscorer.windows w SET closed_at = coalesce(w.closed_at, now()), dirty = false
        FROM pgscorer.windows_closing c
        WHERE c.aggregation_id = closing AND w.aggregation_id = closing AND w.series_id = c.series_id AND w.window_start = c.window_start;
    END IF;
    UPDATE pgscorer.aggregations SET windows_closed = windows_closed + bounds.closing WHERE aggregation_id = closing;

    -- A rewritten reading that was scored is scored again by the series' champion (the
    -- new prediction replaces the old one: one per reading and model).
    WITH changed AS (
        SELECT c.target, min(c.window_end) AS first, max(c.window_end) AS last, count(*) AS windows
        FROM pgscorer.windows_closing c
        WHERE c.aggregation_id = closing AND c.rewrite AND EXISTS (SELECT 1 FROM pgscorer.predictions p WHERE p.series_id = c.target AND p.ts = c.window_end)
        GROUP BY c.target
    ), queued AS (
        INSERT INTO pgscorer.jobs (series_id, model_id, window_start, window_end, priority, reason)
        SELECT ch.target, m.model_id, ch.first, ch.last + interval '1 microsecond', -1,
               format('late samples changed %s scored window(s) of aggregation %s, ending %s to %s', ch.windows, a.name,
                      to_char(ch.first AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), to_char(ch.last AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
        FROM changed ch JOIN pgscorer.models m ON m.series_id = ch.target AND m.active
        ORDER BY ch.target
        ON CONFLICT (series_id, window_start, window_end, kind) WHERE state IN ('available', 'running', 'retryable') DO NOTHING
        RETURNING series_id
    ), waiting AS (
        -- The same windows' job is running (scoring what was there before): the windows
        -- stay to be written again once it is done.
        UPDATE pgscorer.windows w SET dirty = true
        FROM changed ch JOIN pgscorer.windows_closing c ON c.aggregation_id = closing AND c.target = ch.target
        WHERE w.aggregation_id = closing AND w.series_id = c.series_id AND w.window_start = c.window_start
          AND NOT EXISTS (SELECT 1 FROM queued q WHERE q.series_id = ch.target)
          AND EXISTS (SELECT 1 FROM pgscorer.jobs j WHERE j.series_id = ch.target AND j.window_start = ch.first
                      AND j.window_end = ch.last + interval '1 microsecond' AND j.kind = 'score' AND j.state = 'running')
    )
    SELECT count(*) INTO rescored FROM queued;

    -- Schedules that fire on this aggregation's closing: the new readings of the series
    -- they select, for their active model.
    IF bounds.closing > 0 THEN
        FOR schedule IN
            SELECT sc.* FROM pgscorer.schedules sc WHERE sc.on_close = a.name AND sc.enabled ORDER BY sc.schedule_id
        LOOP
            INSERT INTO pgscorer.jobs (series_id, model_id, schedule_id, scheduled_for, window_start, window_end, priority, max_attempts)
            SELECT c.target, m.model_id, schedule.schedule_id, now(), min(c.window_end), max(c.window_end) + interval '1 microsecond',
                   schedule.priority, schedule.max_attempts
            FROM pgscorer.windows_closing c
            JOIN pgscorer.models m ON m.series_id = c.target AND m.active
            WHERE c.aggregation_id = closing AND NOT c.rewrite AND c.device LIKE schedule.device_pattern AND c.sensor LIKE schedule.sensor_pattern
              AND NOT EXISTS (SELECT 1 FROM pgscorer.series_failures f WHERE f.series_id = c.target AND f.held_since IS NOT NULL)
            GROUP BY c.target, m.model_id
            ORDER BY c.target
            ON CONFLICT (series_id, window_start, window_end, kind) WHERE state IN ('available', 'running', 'retryable') DO NOTHING;
            GET DIAGNOSTICS queued = ROW_COUNT;
            INSERT INTO pgscorer.schedule_runs (schedule_id, scheduled_for, fired_by, jobs_created)
            VALUES (schedule.schedule_id, now(), 'close:' || a.name, queued)
            ON CONFLICT DO NOTHING;
            fired := fired + queued;
        END LOOP;
    END IF;

    -- Scoring jobs a tick queued before their windows closed may run now.
    UPDATE pgscorer.jobs j SET run_at = now()
    WHERE j.state = 'available' AND j.run_at = 'infinity'
      AND j.series_id IN (SELECT DISTINCT target FROM pgscorer.windows_closing WHERE aggregation_id = closing)
      AND pgscorer.windows_closed(j.series_id, j.window_end);
    GET DIAGNOSTICS released = ROW_COUNT;
    DELETE FROM pgscorer.windows_closing WHERE aggregation_id = closing;
    RETURN NEXT;
END
$$;

-- Scoring jobs waiting for windows (run_at 'infinity') of every aggregation's targets
-- whose devices fell silent: idle close lets them run. Cheap when there are none.
CREATE FUNCTION pgscorer.release_waiting_jobs() RETURNS int
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pgscorer, pg_temp AS $$
    WITH released AS (
        UPDATE pgscorer.jobs j SET run_at = now()
        WHERE j.state = 'available' AND j.run_at = 'infinity' AND pgscorer.windows_closed(j.series_id, j.window_end)
        RETURNING 1
    )
    SELECT count(*)::int FROM released
$$;

-- Partitions: the samples' months beside the readings' and predictions'.
CREATE OR REPLACE FUNCTION pgscorer.ensure_partitions(from_ts timestamptz, to_ts timestamptz) RETURNS integer
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
        FOREACH parent IN ARRAY ARRAY['readings', 'predictions', 'samples'] LOOP
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

-- The months that readings already have get their samples' partitions now.
SELECT pgscorer.ensure_partitions(
    (to_timestamp(right(min(c.relname), 6), 'YYYYMM')::timestamp) AT TIME ZONE 'UTC',
    (to_timestamp(right(max(c.relname), 6), 'YYYYMM')::timestamp) AT TIME ZONE 'UTC')
FROM pg_catalog.pg_inherits i
JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
JOIN pg_catalog.pg_namespace n ON n.oid = p.relnamespace
WHERE n.nspname = 'pgscorer' AND p.relname = 'readings' AND c.relname ~ '^readings_[0-9]{6}$'
HAVING count(*) > 0;

-- Retention of samples: whole months, like readings; the state of windows that ended
-- before the horizon goes with them (and the aggregation remembers how far that went).
CREATE OR REPLACE FUNCTION pgscorer.drop_old_partitions(parent text, older_than interval, dry_run boolean DEFAULT false) RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer, pg_temp AS $$
DECLARE
    part record;
    month_end timestamptz;
BEGIN
    IF parent NOT IN ('readings', 'predictions', 'samples') THEN
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
                IF parent = 'samples' THEN
                    UPDATE pgscorer.aggregations SET state_since = greatest(state_since, month_end);
                    DELETE FROM pgscorer.windows WHERE window_start < month_end;
                END IF;
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

CREATE OR REPLACE FUNCTION pgscorer.settings_validate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    known text[] := ARRAY['retention.jobs', 'retention.job_runs', 'retention.schedule_runs', 'retention.predictions',
                          'retention.readings', 'retention.samples', 'retention.rejected_readings', 'quarantine.after'];
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
    ('retention.samples', '30 days',
     'monthly partitions of raw samples are dropped once wholly older than this (with the state of their windows); NULL keeps them');

INSERT INTO pgscorer.maintenance_locks (name) VALUES ('close_windows') ON CONFLICT DO NOTHING;

REVOKE ALL ON FUNCTION pgscorer.close_windows(bigint, int), pgscorer.release_waiting_jobs(), pgscorer.samples_arrived(),
    pgscorer.aggregations_changed() FROM PUBLIC;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_worker') THEN
        GRANT SELECT ON pgscorer.aggregations, pgscorer.samples, pgscorer.windows, pgscorer.aggregation_devices,
            pgscorer.late_samples TO pgscorer_worker;
        GRANT EXECUTE ON FUNCTION pgscorer.close_windows(bigint, int), pgscorer.release_waiting_jobs() TO pgscorer_worker;
    END IF;
    -- Ingest writes samples (the trigger keeps the windows' state as their owner).
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_ingest') THEN
        GRANT SELECT, INSERT ON pgscorer.samples TO pgscorer_ingest;
        GRANT SELECT ON pgscorer.aggregations TO pgscorer_ingest;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_reader') THEN
        GRANT SELECT ON pgscorer.aggregations, pgscorer.samples, pgscorer.windows, pgscorer.aggregation_devices,
            pgscorer.late_samples TO pgscorer_reader;
    END IF;
END
$$;
