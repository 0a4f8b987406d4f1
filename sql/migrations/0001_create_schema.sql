-- PgScorer's own schema. Everything PgScorer creates lives in it, so one
-- `DROP SCHEMA pgscorer CASCADE` removes PgScorer from a database.
CREATE SCHEMA IF NOT EXISTS pgscorer;
COMMENT ON SCHEMA pgscorer IS 'PgScorer: readings, models, schedules, jobs, predictions and run logs';

-- Keeps updated_at honest for rows that operators edit with plain SQL.
CREATE OR REPLACE FUNCTION pgscorer.set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
