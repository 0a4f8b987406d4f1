-- Series health kept current: `pgscorer.series_health` is a view that reads up to a week
-- of predictions per series, too heavy for every `status` or dashboard page on a large
-- fleet. Workers refresh this table from it every few minutes (`SeriesHealthKeeper`,
-- one process at a time); `status` counts from it and the dashboard lists from it.
CREATE TABLE pgscorer.series_health_current (
    series_id             bigint PRIMARY KEY REFERENCES pgscorer.series ON DELETE CASCADE,
    health                text NOT NULL,
    problems              text[] NOT NULL,
    newest_reading        timestamptz,
    recent_scored         bigint NOT NULL,
    recent_rate           float8,
    baseline_rate         float8,
    recent_median_score   float8,
    baseline_median_score float8,
    checked_at            timestamptz NOT NULL DEFAULT now()
);

-- Recomputes every series' health (series without an active model drop out). While one
-- process refreshes, another returns -1 at once. Returns the series checked.
CREATE FUNCTION pgscorer.refresh_series_health() RETURNS int
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer AS $$
DECLARE
    checked int;
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtext('pgscorer.refresh_series_health')) THEN
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

REVOKE EXECUTE ON FUNCTION pgscorer.refresh_series_health() FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_worker') THEN
        GRANT EXECUTE ON FUNCTION pgscorer.refresh_series_health() TO pgscorer_worker;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_reader') THEN
        GRANT SELECT ON pgscorer.series_health_current TO pgscorer_reader;
    END IF;
END
$$;
