-- Every model carries a health verdict from its check (ModelHealth): ok, warn or fail,
-- with the reasons, visible by SQL. A `fail` model is stored but not activated by
-- import or training unless forced.
ALTER TABLE pgscorer.models
    ADD COLUMN health text CHECK (health IN ('ok', 'warn', 'fail')),
    ADD COLUMN health_reasons jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN health_checked_at timestamptz;

CREATE OR REPLACE VIEW pgscorer.model_versions AS
SELECT m.model_id, s.device, s.sensor, m.series_id, m.version, m.active, m.kernel, m.n_features, m.n_support,
       m.source, m.params, m.checksum, length(m.payload) AS payload_bytes, m.training_rows, m.fit_seconds,
       m.trained_at, m.created_at, m.health, m.health_reasons, m.health_checked_at
FROM pgscorer.models m JOIN pgscorer.series s USING (series_id);

-- Models that cannot be trusted, for a report or an alert.
CREATE VIEW pgscorer.unhealthy_models AS
SELECT model_id, device, sensor, version, active, health, health_reasons, health_checked_at
FROM pgscorer.model_versions
WHERE health IN ('warn', 'fail');

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_reader') THEN
        GRANT SELECT ON pgscorer.unhealthy_models, pgscorer.model_versions TO pgscorer_reader;
    END IF;
END
$$;
