-- A reading's series must exist with the reading's feature count. The foreign key
-- checked that row by row (about 4 µs a row: most of a bulk load's time); a statement
-- trigger checks a whole COPY or INSERT at once against pgscorer.series, with the same
-- guarantee and a message that names the series.
ALTER TABLE pgscorer.readings DROP CONSTRAINT readings_series_id_n_features_fkey;

CREATE FUNCTION pgscorer.readings_check_series() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer AS $$
DECLARE
    bad record;
BEGIN
    -- As the foreign key did: the series stay until this transaction ends.
    PERFORM 1 FROM pgscorer.series WHERE series_id IN (SELECT DISTINCT series_id FROM new_readings) FOR KEY SHARE;
    SELECT n.series_id, n.n_features, s.n_features AS series_features INTO bad
    FROM new_readings n LEFT JOIN pgscorer.series s ON s.series_id = n.series_id
    WHERE s.series_id IS NULL OR s.n_features <> n.n_features
    LIMIT 1;
    IF FOUND THEN
        IF bad.series_features IS NULL THEN
            RAISE EXCEPTION 'readings refer to series %, which does not exist', bad.series_id
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        RAISE EXCEPTION 'readings of series % have % features, but the series has %', bad.series_id, bad.n_features, bad.series_features
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER readings_series_inserted AFTER INSERT ON pgscorer.readings
    REFERENCING NEW TABLE AS new_readings FOR EACH STATEMENT EXECUTE FUNCTION pgscorer.readings_check_series();
CREATE TRIGGER readings_series_updated AFTER UPDATE ON pgscorer.readings
    REFERENCING NEW TABLE AS new_readings FOR EACH STATEMENT EXECUTE FUNCTION pgscorer.readings_check_series();

-- A series with readings keeps its id and feature count, and is not deleted while they exist.
CREATE FUNCTION pgscorer.series_keep_readings() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (TG_OP = 'DELETE' OR NEW.series_id <> OLD.series_id OR NEW.n_features <> OLD.n_features)
       AND EXISTS (SELECT 1 FROM pgscorer.readings WHERE series_id = OLD.series_id) THEN
        RAISE EXCEPTION 'series %/% has readings: delete them first', OLD.device, OLD.sensor
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER series_keep_readings BEFORE DELETE OR UPDATE OF series_id, n_features ON pgscorer.series
    FOR EACH ROW EXECUTE FUNCTION pgscorer.series_keep_readings();

-- Loading compares a file's values with the stored ones (a conflicting value is never
-- dropped silently) and, with --on-conflict replace, updates them.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_ingest') THEN
        GRANT SELECT, UPDATE (features) ON pgscorer.readings TO pgscorer_ingest;
        -- Finding or creating a series returns its row even when a concurrent load made it.
        GRANT UPDATE (device) ON pgscorer.series TO pgscorer_ingest;
    END IF;
END
$$;
