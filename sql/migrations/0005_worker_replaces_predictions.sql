-- A completion replaces the predictions of its window (DELETE, then COPY) instead of
-- upserting them row by row, so workers may delete predictions.
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_worker') THEN
        GRANT DELETE ON pgscorer.predictions TO pgscorer_worker;
    END IF;
END
$$;
