-- Least-privilege roles (NOLOGIN group roles; grant them to login users):
--   pgscorer_worker  claim/complete jobs, read readings and models, write predictions and job_runs
--   pgscorer_ingest  write readings (and create series)
--   pgscorer_reader  read predictions, job_runs and the report views
-- Roles are cluster-wide; they are created when the migrating user may create roles
-- (else a notice says so and only the grants for existing roles are made).

-- Partitions are created by workers and ingest, who own no tables: run as the owner.
ALTER FUNCTION pgscorer.ensure_partitions(timestamptz, timestamptz) SECURITY DEFINER;
ALTER FUNCTION pgscorer.ensure_partitions(timestamptz, timestamptz) SET search_path = pg_catalog, pgscorer;
REVOKE EXECUTE ON FUNCTION pgscorer.ensure_partitions(timestamptz, timestamptz) FROM PUBLIC;

DO $$
DECLARE
    role_name text;
BEGIN
    FOREACH role_name IN ARRAY ARRAY['pgscorer_worker', 'pgscorer_ingest', 'pgscorer_reader'] LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = role_name) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', role_name);
            EXCEPTION
                WHEN duplicate_object OR unique_violation THEN NULL;  -- created concurrently
                WHEN insufficient_privilege THEN
                    RAISE NOTICE 'cannot create role % (no CREATEROLE); create it and re-grant as in 0004_roles.sql', role_name;
            END;
        END IF;
    END LOOP;

    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_worker') THEN
        GRANT USAGE ON SCHEMA pgscorer TO pgscorer_worker;
        GRANT SELECT ON pgscorer.schema_migrations, pgscorer.series, pgscorer.readings, pgscorer.models,
                        pgscorer.schedules TO pgscorer_worker;
        GRANT SELECT, INSERT, UPDATE ON pgscorer.jobs, pgscorer.schedule_runs TO pgscorer_worker;
        GRANT SELECT (job_id, attempt), INSERT ON pgscorer.job_runs TO pgscorer_worker;  -- ON CONFLICT reads the key
        GRANT SELECT, INSERT, UPDATE ON pgscorer.predictions TO pgscorer_worker;  -- the upsert reads EXCLUDED columns
        GRANT SELECT, INSERT, UPDATE, DELETE ON pgscorer.workers TO pgscorer_worker;
        GRANT EXECUTE ON FUNCTION pgscorer.ensure_partitions(timestamptz, timestamptz) TO pgscorer_worker;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_ingest') THEN
        GRANT USAGE ON SCHEMA pgscorer TO pgscorer_ingest;
        GRANT SELECT ON pgscorer.schema_migrations TO pgscorer_ingest;
        GRANT SELECT, INSERT ON pgscorer.series TO pgscorer_ingest;
        GRANT SELECT (series_id, ts), INSERT ON pgscorer.readings TO pgscorer_ingest;
        GRANT EXECUTE ON FUNCTION pgscorer.ensure_partitions(timestamptz, timestamptz) TO pgscorer_ingest;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_reader') THEN
        GRANT USAGE ON SCHEMA pgscorer TO pgscorer_reader;
        GRANT SELECT ON pgscorer.schema_migrations, pgscorer.predictions, pgscorer.job_runs,
                        pgscorer.queue_depth, pgscorer.worker_health, pgscorer.schedule_status, pgscorer.anomaly_rate_daily,
                        pgscorer.latest_predictions, pgscorer.schedule_run_stats, pgscorer.recent_failures
            TO pgscorer_reader;
    END IF;
END
$$;
