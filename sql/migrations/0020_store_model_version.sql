-- Storing a new model version in one statement: every way a version comes in (import,
-- `pgscorer train`, training jobs, an operator's SQL) gets the same role decision, and a
-- fleet's retraining makes one round trip per model instead of five (lock, champion
-- lookup, retire the old champion or challenger, insert, inside BEGIN/COMMIT).
--
-- The version becomes `wanted_role` ('champion', 'challenger' or 'stored'), except that a
-- challenger of a series without a champion becomes the champion, and a champion whose
-- health check failed ('fail') is only stored unless `forced`. Versions of a series are
-- numbered under an advisory lock per series, so concurrent stores never collide.
CREATE FUNCTION pgscorer.store_model_version(
    target bigint, model_kernel text, features smallint, support_vectors int, model_params jsonb, model_payload bytea,
    model_source text, rows_trained int, seconds_fitting float8, wanted_role text, forced boolean, verdict text,
    reasons jsonb, statistics jsonb,
    OUT model_id bigint, OUT version int, OUT role text)
LANGUAGE plpgsql SET search_path = pg_catalog, pgscorer AS $$
#variable_conflict use_column
DECLARE
    has_champion boolean;
BEGIN
    IF wanted_role IS NULL OR wanted_role NOT IN ('champion', 'challenger', 'stored') THEN
        RAISE EXCEPTION '%', format('a model version is stored as champion, challenger or stored, not %L', wanted_role)
            USING ERRCODE = 'check_violation';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('pgscorer.series_models:' || target, 0));
    has_champion := EXISTS (SELECT FROM pgscorer.models m WHERE m.series_id = target AND m.active);
    role := wanted_role;
    IF role = 'challenger' AND NOT has_champion THEN
        role := 'champion';
    END IF;
    IF role = 'champion' AND verdict = 'fail' AND NOT coalesce(forced, false) THEN
        role := 'stored';
    END IF;
    IF role = 'champion' AND has_champion THEN
        UPDATE pgscorer.models m SET active = false WHERE m.series_id = target AND m.active;
    ELSIF role = 'challenger' THEN
        UPDATE pgscorer.models m SET challenger = false WHERE m.series_id = target AND m.challenger;
    END IF;
    INSERT INTO pgscorer.models AS n
        (series_id, version, kernel, n_features, n_support, params, payload, source, training_rows, fit_seconds,
         trained_at, active, health, health_reasons, health_checked_at, training_stats, challenger)
    SELECT target, coalesce(max(m.version), 0) + 1, model_kernel, features, support_vectors, model_params, model_payload,
           model_source, rows_trained, seconds_fitting, now(), role = 'champion', verdict, reasons, now(), statistics,
           role = 'challenger'
    FROM pgscorer.models m WHERE m.series_id = target
    RETURNING n.model_id, n.version INTO model_id, version;
END
$$;
