-- The dashboard reads as pgscorer_reader (unless it may act): it needs every table of
-- the schema, as a report by SQL does. And retrying or cancelling a job by hand is a
-- function, so that the CLI, the dashboard and an operator's SQL do it one way.

-- The run log keeps the end of the window a completed attempt scored, so that the
-- anomaly rate per device and hour of the readings (the dashboard's heat map) comes
-- from one row per job rather than from every prediction. Older rows have none.
ALTER TABLE pgscorer.job_runs ADD COLUMN window_end timestamptz;

-- Puts failed, cancelled or retryable job `target` back in the queue, due now, with
-- one more attempt if its attempts were used up. Returns the job's new state.
CREATE FUNCTION pgscorer.retry_job(target bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    job pgscorer.jobs;
BEGIN
    SELECT * INTO job FROM pgscorer.jobs WHERE job_id = target FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '%', format('no job %s', target) USING ERRCODE = 'no_data_found';
    END IF;
    IF job.state NOT IN ('failed', 'cancelled', 'retryable') THEN
        RAISE EXCEPTION '%', format('job %s is %s: only a failed, cancelled or retryable job can be retried', target, job.state)
            USING ERRCODE = 'check_violation';
    END IF;
    IF job.attempt >= 100 THEN
        RAISE EXCEPTION '%', format('job %s has used the most attempts a job may have (100)', target) USING ERRCODE = 'check_violation';
    END IF;
    BEGIN
        UPDATE pgscorer.jobs
        SET state = 'available', run_at = now(), finished_at = NULL, lease_owner = NULL, lease_until = NULL,
            max_attempts = greatest(max_attempts, attempt + 1)
        WHERE job_id = target;
    EXCEPTION WHEN unique_violation THEN
        RAISE EXCEPTION '%', format('job %s cannot be retried: another job for the same series and window is queued or running', target)
            USING ERRCODE = 'check_violation';
    END;
    PERFORM pg_notify('pgscorer_jobs', 'retry');
    RETURN 'available';
END
$$;

-- Cancels job `target` if it is queued or running (a running attempt's completion is
-- then refused by the fence, and its worker logs the attempt as lost). Returns the
-- job's new state.
CREATE FUNCTION pgscorer.cancel_job(target bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    current pgscorer.job_state;
BEGIN
    SELECT state INTO current FROM pgscorer.jobs WHERE job_id = target FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '%', format('no job %s', target) USING ERRCODE = 'no_data_found';
    END IF;
    IF current NOT IN ('available', 'retryable', 'running') THEN
        RAISE EXCEPTION '%', format('job %s is %s: only a queued or running job can be cancelled', target, current)
            USING ERRCODE = 'check_violation';
    END IF;
    UPDATE pgscorer.jobs
    SET state = 'cancelled', finished_at = now(), lease_owner = NULL, lease_until = NULL
    WHERE job_id = target;
    RETURN 'cancelled';
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_reader') THEN
        GRANT SELECT ON ALL TABLES IN SCHEMA pgscorer TO pgscorer_reader;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_worker') THEN
        GRANT EXECUTE ON FUNCTION pgscorer.retry_job(bigint), pgscorer.cancel_job(bigint) TO pgscorer_worker;
    END IF;
END
$$;
REVOKE EXECUTE ON FUNCTION pgscorer.retry_job(bigint), pgscorer.cancel_job(bigint) FROM PUBLIC;
