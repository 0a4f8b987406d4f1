-- When a schedule was created or last re-enabled: without catch-up, no tick before it
-- fires (a new schedule's first tick is the first at or after its creation; a
-- re-enabled one fires nothing of its disabled period).
ALTER TABLE pgscorer.schedules ADD COLUMN enabled_at timestamptz;
UPDATE pgscorer.schedules SET enabled_at = created_at;
ALTER TABLE pgscorer.schedules ALTER COLUMN enabled_at SET NOT NULL, ALTER COLUMN enabled_at SET DEFAULT now();

-- Cron errors in the user's words: a sixth field is seconds, which cron does not have.
-- A step on a single value (5/15) means from that value to the end of the range
-- (5-59/15), as in cronie; CronExpression reads it the same way.
CREATE OR REPLACE FUNCTION pgscorer.cron_error(cron text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    fields text[] := regexp_split_to_array(btrim(cron), '\s+');
    names  text[] := ARRAY['minute', 'hour', 'day of month', 'month', 'day of week'];
    lows   int[]  := ARRAY[0, 0, 1, 1, 0];
    highs  int[]  := ARRAY[59, 23, 31, 12, 7];
BEGIN
    IF array_length(fields, 1) = 6 THEN
        RETURN format('cron %L has 6 fields: seconds are not supported; use 5 (minute hour day-of-month month day-of-week)', cron);
    END IF;
    IF array_length(fields, 1) IS DISTINCT FROM 5 THEN
        RETURN format('cron %L must have 5 fields (minute hour day-of-month month day-of-week), it has %s',
                      cron, coalesce(array_length(fields, 1), 0));
    END IF;
    FOR i IN 1..5 LOOP
        IF NOT pgscorer.cron_field_is_valid(fields[i], lows[i], highs[i]) THEN
            RETURN format('cron %L: invalid %s field %L (allowed: *, %s-%s, ranges a-b, steps */n or a/n, lists a,b)',
                          cron, names[i], fields[i], lows[i], highs[i]);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

-- Validation as before (0002), with the name checked first in words, and enabled_at
-- kept by the database: the creation time on insert, the time of re-enabling on
-- update, never taken from the client.
CREATE OR REPLACE FUNCTION pgscorer.schedules_validate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    reason text;
BEGIN
    IF NEW.name IS NULL OR NEW.name !~ '^[A-Za-z0-9_.:-]{1,100}$' THEN
        RAISE EXCEPTION '%', format('schedule name %L is not allowed: use 1 to 100 letters, digits and _ . : -', NEW.name)
            USING ERRCODE = 'check_violation';
    END IF;
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
$$;
