-- Every champion change through SQL: the CLI (`models activate`), the dashboard and an
-- operator's SQL take this one path, beside promote_challenger and rollback_champion.
-- It checks the model's health inside the transaction that activates it, so no check
-- runs on a row another session changes meanwhile.

-- Makes model `target` its series' champion (the champion it replaces is kept as a
-- version; a challenger so activated is no longer one). A model whose health check
-- failed is refused unless `force`. Returns the model.
CREATE FUNCTION pgscorer.activate_model(target bigint, force boolean DEFAULT false) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pgscorer, pg_temp AS $$
DECLARE
    candidate pgscorer.models;
BEGIN
    SELECT * INTO candidate FROM pgscorer.models m WHERE m.model_id = target FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '%', format('no model %s', target) USING ERRCODE = 'no_data_found';
    END IF;
    IF candidate.health = 'fail' AND NOT coalesce(force, false) THEN
        RAISE EXCEPTION '%', format('model %s failed its health check (%s)', target, candidate.health_reasons)
            USING ERRCODE = 'check_violation', HINT = 'force activates it anyway';
    END IF;
    IF NOT candidate.active THEN
        UPDATE pgscorer.models m SET active = false WHERE m.series_id = candidate.series_id AND m.active;
        UPDATE pgscorer.models m SET active = true, challenger = false WHERE m.model_id = target;
    END IF;
    RETURN target;
END
$$;
