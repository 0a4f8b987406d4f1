-- Per-feature statistics of a model's training data (mean and standard deviation, as
-- JSON arrays), kept when PgScorer trains it or a scikit-learn StandardScaler states them.
ALTER TABLE pgscorer.models ADD COLUMN training_stats jsonb;

-- Each series' health against its own baseline, for the active model: the latest
-- window (its schedule's window, else 1 hour) against the 7 days before it.
--   stale:       no reading for 3 of its schedule's intervals (every, or window for cron)
--   drift:       a feature's mean in the window lies more than 3 training standard
--                deviations from its training mean (models with training statistics)
--   rate_spike:  the window's anomaly rate ≥ 3 × the baseline's + 5 points (≥ 10 readings each)
--   score_shift: the window's median score moved by more than 2 baseline IQRs (≥ 10 readings each)
-- A series with no schedule is not judged stale; too few readings are not judged at all.
CREATE VIEW pgscorer.series_health AS
WITH active AS (
    SELECT s.series_id, s.device, s.sensor, m.model_id, m.training_stats,
           (SELECT max(r.ts) FROM pgscorer.readings r WHERE r.series_id = s.series_id) AS newest_reading,
           sc.every, sc."window"
    FROM pgscorer.series s
    JOIN pgscorer.models m ON m.series_id = s.series_id AND m.active
    LEFT JOIN LATERAL (
        SELECT x.every, x."window" FROM pgscorer.schedules x
        WHERE x.enabled AND s.device LIKE x.device_pattern AND s.sensor LIKE x.sensor_pattern
        ORDER BY coalesce(x.every, x."window") LIMIT 1
    ) sc ON true
), windows AS (
    SELECT a.*, now() - coalesce(a."window", interval '1 hour') AS window_start FROM active a
), scored AS (
    SELECT w.series_id,
           count(*) FILTER (WHERE p.ts >= w.window_start) AS recent_scored,
           avg(p.is_anomaly::int) FILTER (WHERE p.ts >= w.window_start) AS recent_rate,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY p.score) FILTER (WHERE p.ts >= w.window_start) AS recent_median,
           count(*) FILTER (WHERE p.ts < w.window_start) AS baseline_scored,
           avg(p.is_anomaly::int) FILTER (WHERE p.ts < w.window_start) AS baseline_rate,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY p.score) FILTER (WHERE p.ts < w.window_start) AS baseline_median,
           percentile_cont(0.75) WITHIN GROUP (ORDER BY p.score) FILTER (WHERE p.ts < w.window_start)
             - percentile_cont(0.25) WITHIN GROUP (ORDER BY p.score) FILTER (WHERE p.ts < w.window_start) AS baseline_iqr
    FROM windows w
    JOIN pgscorer.predictions p ON p.series_id = w.series_id AND p.model_id = w.model_id
    WHERE p.ts >= w.window_start - interval '7 days'
    GROUP BY w.series_id
), drifted AS (
    SELECT w.series_id, bool_or(abs(f.mean - (w.training_stats -> 'mean' ->> (f.i::int - 1))::float8)
                                > 3 * greatest((w.training_stats -> 'std' ->> (f.i::int - 1))::float8, 1e-12)) AS drift
    FROM windows w
    CROSS JOIN LATERAL (
        SELECT u.i, avg(u.value) AS mean
        FROM pgscorer.readings r, unnest(r.features) WITH ORDINALITY AS u(value, i)
        WHERE r.series_id = w.series_id AND r.ts >= w.window_start
        GROUP BY u.i
    ) f
    WHERE w.training_stats IS NOT NULL
    GROUP BY w.series_id
), judged AS (
    SELECT w.series_id, w.device, w.sensor, w.model_id, w.newest_reading,
           coalesce(sc.recent_scored, 0) AS recent_scored, sc.recent_rate::float8 AS recent_rate,
           sc.baseline_rate::float8 AS baseline_rate, sc.recent_median, sc.baseline_median,
           array_remove(ARRAY[
               CASE WHEN coalesce(w.every, w."window") IS NOT NULL
                     AND (w.newest_reading IS NULL OR w.newest_reading < now() - 3 * coalesce(w.every, w."window"))
                    THEN 'stale' END,
               CASE WHEN sc.recent_scored >= 10 AND sc.baseline_scored >= 10 AND sc.recent_rate >= 3 * sc.baseline_rate + 0.05
                    THEN 'rate_spike' END,
               CASE WHEN sc.recent_scored >= 10 AND sc.baseline_scored >= 10
                     AND abs(sc.recent_median - sc.baseline_median) > 2 * greatest(sc.baseline_iqr, 1e-9)
                    THEN 'score_shift' END,
               CASE WHEN d.drift THEN 'drift' END
           ], NULL) AS problems
    FROM windows w LEFT JOIN scored sc USING (series_id) LEFT JOIN drifted d USING (series_id)
)
SELECT series_id, device, sensor, model_id, CASE WHEN cardinality(problems) = 0 THEN 'ok' ELSE array_to_string(problems, ',') END AS health,
       problems, newest_reading, recent_scored, recent_rate, baseline_rate, recent_median AS recent_median_score,
       baseline_median AS baseline_median_score
FROM judged;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_reader') THEN
        GRANT SELECT ON pgscorer.series_health TO pgscorer_reader;
    END IF;
END
$$;
