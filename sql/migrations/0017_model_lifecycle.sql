-- Model lifecycle by SQL: a series has at most one champion (models.active) and at most
-- one challenger (models.challenger). While a challenger exists, every scoring job scores
-- its window with both and stores both sets of predictions in its completion
-- transaction; reports and the dashboard show the champion. Every change of champion
-- is a row of pgscorer.deployments. Schedules can train instead of score.

ALTER TABLE pgscorer.models ADD COLUMN challenger boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX models_one_challenger_per_series ON pgscorer.models (series_id) WHERE challenger;

-- One champion and one challenger per series, said in words (the unique indexes are the
-- guarantee; this trigger names the rows).
CREATE FUNCTION pgscorer.models_validate_roles() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    other bigint;
BEGIN
    IF NEW.active AND NEW.challenger THEN
        RAISE EXCEPTION '%', format('model %s: a model is the champion (active) or the challenger of its series, not both', NEW.model_id)
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.active THEN
        SELECT model_id INTO other FROM pgscorer.models WHERE series_id = NEW.series_id AND active AND model_id <> NEW.model_id;
        IF FOUND THEN
            RAISE EXCEPTION '%', format('series %s already has a champion (model %s): set active = false on it first, in the same transaction, or use pgscorer.promote_challenger',
                                         NEW.series_id, other) USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    IF NEW.challenger THEN
        SELECT model_id INTO other FROM pgscorer.models WHERE series_id = NEW.series_id AND challenger AND model_id <> NEW.model_id;
        IF FOUND THEN
            RAISE EXCEPTION '%', format('series %s already has a challenger (model %s): set challenger = false on it first',
                                         NEW.series_id, other) USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER models_validate_roles BEFORE INSERT OR UPDATE OF active, challenger ON pgscorer.models
    FOR EACH ROW EXECUTE FUNCTION pgscorer.models_validate_roles();

-- Every change of champion: the model that became it, the one before, what did it
-- (activate: import, train or `models activate`; promote; rollback), when, by whom, why.
CREATE TABLE pgscorer.deployments (
    deployment_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    series_id         bigint NOT NULL REFERENCES pgscorer.series ON DELETE CASCADE,
    model_id          bigint REFERENCES pgscorer.models ON DELETE SET NULL,
    previous_model_id bigint REFERENCES pgscorer.models ON DELETE SET NULL,
    action            text NOT NULL CHECK (action IN ('activate', 'promote', 'rollback')),
    deployed_at       timestamptz NOT NULL DEFAULT now(),
    deployed_by       text NOT NULL,
    reason            text
);
CREATE INDEX deployments_series ON pgscorer.deployments (series_id, deployment_id);

-- Records a new champion, by whatever means (SQL included). pgscorer.promote_challenger and
-- pgscorer.rollback_champion name their action and reason in transaction-local settings.
-- Scoring jobs still queued for the series move to the new champion, so that no window
-- goes without its prediction; jobs already running finish with the model they claimed
-- (the new champion shadow-scored them while it was the challenger).
CREATE FUNCTION pgscorer.models_record_deployment() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer AS $$
BEGIN
    UPDATE pgscorer.jobs SET model_id = NEW.model_id
    WHERE series_id = NEW.series_id AND kind = 'score' AND state IN ('available', 'retryable') AND model_id <> NEW.model_id;
    INSERT INTO pgscorer.deployments (series_id, model_id, previous_model_id, action, deployed_by, reason)
    VALUES (NEW.series_id, NEW.model_id,
            (SELECT d.model_id FROM pgscorer.deployments d
             WHERE d.series_id = NEW.series_id AND d.model_id IS DISTINCT FROM NEW.model_id
             ORDER BY d.deployment_id DESC LIMIT 1),
            coalesce(nullif(current_setting('pgscorer.deployment_action', true), ''), 'activate'),
            coalesce(nullif(current_setting('pgscorer.deployed_by', true), ''), session_user),
            nullif(current_setting('pgscorer.deployment_reason', true), ''));
    RETURN NULL;
END
$$;
CREATE TRIGGER models_record_activation AFTER INSERT ON pgscorer.models
    FOR EACH ROW WHEN (NEW.active) EXECUTE FUNCTION pgscorer.models_record_deployment();
CREATE TRIGGER models_record_deployment AFTER UPDATE OF active ON pgscorer.models
    FOR EACH ROW WHEN (NEW.active AND NOT OLD.active) EXECUTE FUNCTION pgscorer.models_record_deployment();

-- The champions before this migration, as their first deployment.
INSERT INTO pgscorer.deployments (series_id, model_id, action, deployed_at, deployed_by, reason)
SELECT series_id, model_id, 'activate', created_at, session_user, 'champion before model lifecycle' FROM pgscorer.models WHERE active;

-- Makes series `target`'s challenger its champion; the old champion is kept as a version.
-- A challenger whose health check failed is refused unless `force`; with `expected`, one
-- that is not that model (replaced since it was compared) is refused. Returns the model.
CREATE FUNCTION pgscorer.promote_challenger(target bigint, reason text DEFAULT NULL, force boolean DEFAULT false,
                                            expected bigint DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    candidate pgscorer.models;
    name text;
BEGIN
    SELECT device || '/' || sensor INTO name FROM pgscorer.series WHERE series_id = target;
    IF NOT FOUND THEN
        RAISE EXCEPTION '%', format('no series %s', target) USING ERRCODE = 'no_data_found';
    END IF;
    SELECT * INTO candidate FROM pgscorer.models WHERE series_id = target AND challenger FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION '%', format('series %s has no challenger to promote', name) USING ERRCODE = 'check_violation';
    END IF;
    IF expected IS NOT NULL AND candidate.model_id <> expected THEN
        RAISE EXCEPTION '%', format('series %s: the challenger is now model %s, not model %s as compared; compare again',
                                     name, candidate.model_id, expected) USING ERRCODE = 'check_violation';
    END IF;
    IF candidate.health = 'fail' AND NOT force THEN
        RAISE EXCEPTION '%', format('series %s: challenger model %s failed its health check (%s); force it to promote anyway',
                                     name, candidate.model_id, candidate.health_reasons) USING ERRCODE = 'check_violation';
    END IF;
    PERFORM set_config('pgscorer.deployment_action', 'promote', true);
    PERFORM set_config('pgscorer.deployment_reason', coalesce(reason, ''), true);
    UPDATE pgscorer.models SET active = false WHERE series_id = target AND active;
    UPDATE pgscorer.models SET challenger = false, active = true WHERE model_id = candidate.model_id;
    PERFORM set_config('pgscorer.deployment_action', '', true);
    PERFORM set_config('pgscorer.deployment_reason', '', true);
    RETURN candidate.model_id;
END
$$;

-- Returns series `target` to the champion before its current one: the previous model of
-- the deployment that made the current one champion (rollbacks themselves skipped, so a
-- second rollback goes further back instead of undoing the first). Returns that model.
CREATE FUNCTION pgscorer.rollback_champion(target bigint, reason text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    current_champion bigint;
    previous bigint;
    name text;
BEGIN
    SELECT device || '/' || sensor INTO name FROM pgscorer.series WHERE series_id = target;
    IF NOT FOUND THEN
        RAISE EXCEPTION '%', format('no series %s', target) USING ERRCODE = 'no_data_found';
    END IF;
    SELECT model_id INTO current_champion FROM pgscorer.models WHERE series_id = target AND active FOR UPDATE;
    SELECT d.previous_model_id INTO previous FROM pgscorer.deployments d
    WHERE d.series_id = target AND d.model_id IS NOT DISTINCT FROM current_champion AND d.action <> 'rollback'
    ORDER BY d.deployment_id DESC LIMIT 1;
    IF previous IS NULL OR NOT EXISTS (SELECT 1 FROM pgscorer.models WHERE model_id = previous) THEN
        RAISE EXCEPTION '%', format('series %s has no earlier champion to return to', name) USING ERRCODE = 'check_violation';
    END IF;
    PERFORM set_config('pgscorer.deployment_action', 'rollback', true);
    PERFORM set_config('pgscorer.deployment_reason', coalesce(reason, ''), true);
    UPDATE pgscorer.models SET active = false WHERE series_id = target AND active;
    UPDATE pgscorer.models SET challenger = false, active = true WHERE model_id = previous;
    PERFORM set_config('pgscorer.deployment_action', '', true);
    PERFORM set_config('pgscorer.deployment_reason', '', true);
    RETURN previous;
END
$$;

-- Champion against challenger per series over the shadow period (the readings both
-- scored): readings, label agreement, each anomaly rate, correlation of the scores.
CREATE VIEW pgscorer.model_comparison AS
SELECT s.series_id, s.device, s.sensor,
       c.model_id AS champion_model_id, c.version AS champion_version,
       x.model_id AS challenger_model_id, x.version AS challenger_version, x.health AS challenger_health,
       count(pc.ts) AS readings,
       avg((pc.is_anomaly = px.is_anomaly)::int)::float8 AS agreement,
       avg(pc.is_anomaly::int)::float8 AS champion_rate,
       avg(px.is_anomaly::int) FILTER (WHERE pc.ts IS NOT NULL)::float8 AS challenger_rate,
       corr(pc.score, px.score) AS score_correlation,
       min(pc.ts) AS shadow_from, max(pc.ts) AS shadow_until
FROM pgscorer.series s
JOIN pgscorer.models x ON x.series_id = s.series_id AND x.challenger
LEFT JOIN pgscorer.models c ON c.series_id = s.series_id AND c.active
LEFT JOIN pgscorer.predictions px ON px.series_id = s.series_id AND px.model_id = x.model_id
LEFT JOIN pgscorer.predictions pc ON pc.series_id = s.series_id AND pc.model_id = c.model_id AND pc.ts = px.ts
GROUP BY s.series_id, s.device, s.sensor, c.model_id, c.version, x.model_id, x.version, x.health;

-- Schedules that train: kind 'train', with training parameters as validated JSON.
ALTER TABLE pgscorer.schedules
    ADD COLUMN kind text NOT NULL DEFAULT 'score' CHECK (kind IN ('score', 'train')),
    ADD COLUMN train_params jsonb;

-- The training parameters a schedule or a training job may carry, checked in words:
-- kernel, nu, gamma, scaler, degree, coef0, min_readings. Returns NULL when fine, else
-- what is wrong.
CREATE FUNCTION pgscorer.train_params_error(params jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    key text;
    known text[] := ARRAY['kernel', 'nu', 'gamma', 'scaler', 'degree', 'coef0', 'min_readings'];
BEGIN
    IF params IS NULL OR jsonb_typeof(params) <> 'object' THEN
        RETURN 'train_params must be a JSON object such as {"nu": 0.05, "scaler": "standard"}';
    END IF;
    FOR key IN SELECT jsonb_object_keys(params) LOOP
        IF NOT key = ANY (known) THEN
            RETURN format('train_params: unknown key %L (the keys are %s)', key, array_to_string(known, ', '));
        END IF;
    END LOOP;
    IF params ? 'kernel' AND NOT coalesce(params ->> 'kernel' IN ('rbf', 'linear', 'poly', 'sigmoid'), false) THEN
        RETURN format('train_params: kernel %s is not rbf, linear, poly or sigmoid', params -> 'kernel');
    END IF;
    IF params ? 'nu' AND NOT (jsonb_typeof(params -> 'nu') = 'number' AND (params ->> 'nu')::float8 > 0 AND (params ->> 'nu')::float8 <= 1) THEN
        RETURN format('train_params: nu must be a number in (0, 1], got %s', params -> 'nu');
    END IF;
    IF params ? 'gamma' AND NOT ((jsonb_typeof(params -> 'gamma') = 'number' AND (params ->> 'gamma')::float8 > 0)
                                 OR params ->> 'gamma' IN ('scale', 'auto')) THEN
        RETURN format('train_params: gamma must be a positive number, "scale" or "auto", got %s', params -> 'gamma');
    END IF;
    IF params ? 'scaler' AND NOT coalesce(params ->> 'scaler' IN ('none', 'standard', 'minmax'), false) THEN
        RETURN format('train_params: scaler %s is not none, standard or minmax', params -> 'scaler');
    END IF;
    IF params ? 'degree' AND NOT (jsonb_typeof(params -> 'degree') = 'number' AND (params ->> 'degree')::float8 IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10)) THEN
        RETURN format('train_params: degree must be a whole number from 1 to 10, got %s', params -> 'degree');
    END IF;
    IF params ? 'coef0' AND jsonb_typeof(params -> 'coef0') <> 'number' THEN
        RETURN format('train_params: coef0 must be a number, got %s', params -> 'coef0');
    END IF;
    IF params ? 'min_readings' AND NOT (jsonb_typeof(params -> 'min_readings') = 'number'
                                        AND (params ->> 'min_readings')::float8 BETWEEN 2 AND 10000000
                                        AND (params ->> 'min_readings')::float8 = trunc((params ->> 'min_readings')::float8)) THEN
        RETURN format('train_params: min_readings must be a whole number from 2 to 10000000, got %s', params -> 'min_readings');
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION pgscorer.schedules_validate_training() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    problem text;
BEGIN
    IF NEW.kind = 'train' THEN
        NEW.train_params := coalesce(NEW.train_params, '{}');
        problem := pgscorer.train_params_error(NEW.train_params);
        IF problem IS NOT NULL THEN
            RAISE EXCEPTION '%', format('schedule %s: %s', NEW.name, problem) USING ERRCODE = 'check_violation';
        END IF;
    ELSIF NEW.train_params IS NOT NULL THEN
        RAISE EXCEPTION '%', format('schedule %s scores: train_params belong to a schedule of kind train', NEW.name)
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER schedules_validate_training BEFORE INSERT OR UPDATE ON pgscorer.schedules
    FOR EACH ROW EXECUTE FUNCTION pgscorer.schedules_validate_training();

-- Training jobs: kind 'train', with the schedule's parameters; a series may have no
-- model yet. The same (series, window) can be queued once to score and once to train.
ALTER TABLE pgscorer.jobs
    ADD COLUMN kind text NOT NULL DEFAULT 'score' CHECK (kind IN ('score', 'train')),
    ADD COLUMN train_params jsonb;
ALTER TABLE pgscorer.jobs ALTER COLUMN model_id DROP NOT NULL;
ALTER TABLE pgscorer.jobs ADD CONSTRAINT jobs_scoring_has_model CHECK (kind = 'train' OR model_id IS NOT NULL);
ALTER TABLE pgscorer.jobs ADD CONSTRAINT jobs_training_params_valid CHECK (kind = 'score' OR pgscorer.train_params_error(train_params) IS NULL);
DROP INDEX pgscorer.jobs_one_pending_per_window;
CREATE UNIQUE INDEX jobs_one_pending_per_window ON pgscorer.jobs (series_id, window_start, window_end, kind)
    WHERE state IN ('available', 'running', 'retryable');

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_worker') THEN
        -- Training jobs store their model version in the completion transaction.
        -- (a new challenger ends the old one's role; a first champion replaces none).
        GRANT INSERT, UPDATE (challenger) ON pgscorer.models TO pgscorer_worker;
        -- The queue gauges a worker exports on /metrics (worker --metrics-listen).
        GRANT SELECT ON pgscorer.queue_depth, pgscorer.worker_health, pgscorer.schedules, pgscorer.schedule_runs TO pgscorer_worker;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_reader') THEN
        GRANT SELECT ON pgscorer.deployments, pgscorer.model_comparison TO pgscorer_reader;
    END IF;
END
$$;

-- Listings show each version's role.
CREATE OR REPLACE VIEW pgscorer.model_versions AS
SELECT m.model_id, s.device, s.sensor, m.series_id, m.version, m.active, m.kernel, m.n_features, m.n_support,
       m.source, m.params, m.checksum, length(m.payload) AS payload_bytes, m.training_rows, m.fit_seconds,
       m.trained_at, m.created_at, m.health, m.health_reasons, m.health_checked_at, m.challenger
FROM pgscorer.models m JOIN pgscorer.series s USING (series_id);

-- The jobs that need a person (failed, cancelled), newest first, without scanning the
-- completed ones: small, and touched only when a job ends badly.
CREATE INDEX jobs_finished_badly ON pgscorer.jobs (job_id) WHERE state IN ('failed', 'cancelled');
