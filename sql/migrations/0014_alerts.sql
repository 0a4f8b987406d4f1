-- Alert rules as rows (like schedules: edited with SQL or `pgscorer alerts rule`,
-- validated by the database), and the alerts they open and resolve: one open alert per
-- rule × series (no storms), announced by NOTIFY pgscorer_alerts.
CREATE TABLE pgscorer.alert_rules (
    rule_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL UNIQUE,
    kind           text NOT NULL,
    device_pattern text NOT NULL DEFAULT '%',
    sensor_pattern text NOT NULL DEFAULT '%',
    for_duration   interval NOT NULL DEFAULT '0',
    enabled        boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION pgscorer.alert_rules_validate() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    kinds text[] := ARRAY['rate_spike', 'stale', 'score_shift', 'drift', 'model_fail', 'held'];
BEGIN
    IF NEW.name IS NULL OR NEW.name !~ '^[A-Za-z0-9_.:-]{1,100}$' THEN
        RAISE EXCEPTION '%', format('alert rule name %L is not allowed: use 1 to 100 letters, digits and _ . : -', NEW.name)
            USING ERRCODE = 'check_violation';
    END IF;
    IF NOT NEW.kind = ANY (kinds) THEN
        RAISE EXCEPTION '%', format('alert rule %s: unknown kind %L (the kinds are %s)', NEW.name, NEW.kind, array_to_string(kinds, ', '))
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.for_duration < interval '0' OR NEW.for_duration > interval '30 days' THEN
        RAISE EXCEPTION '%', format('alert rule %s: for_duration must be between 0 and 30 days, got %s', NEW.name, NEW.for_duration)
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER alert_rules_validate BEFORE INSERT OR UPDATE ON pgscorer.alert_rules
    FOR EACH ROW EXECUTE FUNCTION pgscorer.alert_rules_validate();

CREATE TABLE pgscorer.alerts (
    alert_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rule_id         bigint NOT NULL REFERENCES pgscorer.alert_rules ON DELETE CASCADE,
    series_id       bigint NOT NULL REFERENCES pgscorer.series ON DELETE CASCADE,
    opened_at       timestamptz NOT NULL DEFAULT now(),
    resolved_at     timestamptz,
    acknowledged_at timestamptz,
    acknowledged_by text,
    evidence        jsonb NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX alerts_one_open ON pgscorer.alerts (rule_id, series_id) WHERE resolved_at IS NULL;

-- Since when each rule's condition has held for each series (for for_duration).
CREATE TABLE pgscorer.alert_pending (
    rule_id   bigint NOT NULL REFERENCES pgscorer.alert_rules ON DELETE CASCADE,
    series_id bigint NOT NULL REFERENCES pgscorer.series ON DELETE CASCADE,
    since     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (rule_id, series_id)
);

-- The series each enabled rule's condition holds for now, with the evidence.
CREATE FUNCTION pgscorer.alert_conditions() RETURNS TABLE (rule_id bigint, series_id bigint, evidence jsonb)
LANGUAGE sql STABLE AS $$
    SELECT r.rule_id, h.series_id,
           jsonb_build_object('health', h.health, 'recent_rate', h.recent_rate, 'baseline_rate', h.baseline_rate,
                              'recent_median_score', h.recent_median_score, 'newest_reading', h.newest_reading)
    FROM pgscorer.alert_rules r JOIN pgscorer.series_health h ON h.device LIKE r.device_pattern AND h.sensor LIKE r.sensor_pattern
    WHERE r.enabled AND r.kind = ANY (h.problems)
      AND EXISTS (SELECT 1 FROM pgscorer.alert_rules x WHERE x.enabled AND x.kind IN ('rate_spike', 'stale', 'score_shift', 'drift'))
    UNION ALL
    SELECT r.rule_id, m.series_id, jsonb_build_object('model_id', m.model_id, 'reasons', m.health_reasons)
    FROM pgscorer.alert_rules r
    JOIN pgscorer.model_versions m ON m.active AND m.health = 'fail' AND m.device LIKE r.device_pattern AND m.sensor LIKE r.sensor_pattern
    WHERE r.enabled AND r.kind = 'model_fail'
    UNION ALL
    SELECT r.rule_id, h.series_id, jsonb_build_object('consecutive', h.consecutive, 'last_error', h.last_error, 'held_since', h.held_since)
    FROM pgscorer.alert_rules r JOIN pgscorer.held_series h ON h.device LIKE r.device_pattern AND h.sensor LIKE r.sensor_pattern
    WHERE r.enabled AND r.kind = 'held'
$$;

-- One evaluation: opens the alerts whose condition has held for the rule's
-- for_duration (one open per rule × series), resolves those whose condition cleared,
-- and announces each change with NOTIFY pgscorer_alerts.
-- Returns how many alerts it opened and resolved. Safe to run from many processes: while
-- one evaluates (a transaction-level advisory lock), the others return 0, 0 at once instead
-- of queueing to compute the same series health again. The conditions live in a variable,
-- not a temp table: a SECURITY DEFINER function must not use tables a caller can create.
CREATE FUNCTION pgscorer.evaluate_alerts() RETURNS TABLE (opened int, resolved int)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer AS $$
DECLARE
    change record;
    conditions jsonb;
BEGIN
    opened := 0;
    resolved := 0;
    IF NOT EXISTS (SELECT 1 FROM pgscorer.alert_rules WHERE enabled) AND NOT EXISTS (SELECT 1 FROM pgscorer.alerts WHERE resolved_at IS NULL) THEN
        RETURN NEXT;
        RETURN;
    END IF;
    IF NOT pg_try_advisory_xact_lock(hashtext('pgscorer.evaluate_alerts')) THEN
        RETURN NEXT;
        RETURN;
    END IF;
    conditions := coalesce((SELECT jsonb_agg(c) FROM pgscorer.alert_conditions() c), '[]');
    DELETE FROM pgscorer.alert_pending p WHERE NOT EXISTS (
        SELECT 1 FROM jsonb_to_recordset(conditions) AS n(rule_id bigint, series_id bigint)
        WHERE n.rule_id = p.rule_id AND n.series_id = p.series_id);
    INSERT INTO pgscorer.alert_pending (rule_id, series_id)
    SELECT rule_id, series_id FROM jsonb_to_recordset(conditions) AS n(rule_id bigint, series_id bigint)
    ON CONFLICT DO NOTHING;
    FOR change IN
        INSERT INTO pgscorer.alerts (rule_id, series_id, evidence)
        SELECT n.rule_id, n.series_id, n.evidence
        FROM jsonb_to_recordset(conditions) AS n(rule_id bigint, series_id bigint, evidence jsonb)
        JOIN pgscorer.alert_pending p USING (rule_id, series_id)
        JOIN pgscorer.alert_rules r USING (rule_id)
        WHERE p.since <= now() - r.for_duration
        ON CONFLICT (rule_id, series_id) WHERE resolved_at IS NULL DO NOTHING
        RETURNING alert_id, 'opened' AS event
    LOOP
        opened := opened + 1;
        PERFORM pgscorer.announce_alert(change.alert_id, change.event);
    END LOOP;
    FOR change IN
        UPDATE pgscorer.alerts a SET resolved_at = now()
        WHERE a.resolved_at IS NULL AND NOT EXISTS (
            SELECT 1 FROM jsonb_to_recordset(conditions) AS n(rule_id bigint, series_id bigint)
            WHERE n.rule_id = a.rule_id AND n.series_id = a.series_id)
        RETURNING a.alert_id, 'resolved' AS event
    LOOP
        resolved := resolved + 1;
        PERFORM pgscorer.announce_alert(change.alert_id, change.event);
    END LOOP;
    RETURN NEXT;
END
$$;

-- NOTIFY pgscorer_alerts with the alert as JSON.
CREATE FUNCTION pgscorer.announce_alert(alert bigint, event text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer AS $$
DECLARE
    body jsonb;
BEGIN
    SELECT jsonb_build_object('event', event, 'alert_id', a.alert_id, 'rule', r.name, 'kind', r.kind, 'device', s.device,
                              'sensor', s.sensor, 'opened_at', a.opened_at, 'resolved_at', a.resolved_at, 'evidence', a.evidence)
    INTO body
    FROM pgscorer.alerts a JOIN pgscorer.alert_rules r USING (rule_id) JOIN pgscorer.series s USING (series_id)
    WHERE a.alert_id = alert;
    PERFORM pg_notify('pgscorer_alerts', body::text);
END
$$;

REVOKE EXECUTE ON FUNCTION pgscorer.evaluate_alerts(), pgscorer.announce_alert(bigint, text) FROM PUBLIC;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_worker') THEN
        GRANT EXECUTE ON FUNCTION pgscorer.evaluate_alerts() TO pgscorer_worker;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_reader') THEN
        GRANT SELECT ON pgscorer.alert_rules, pgscorer.alerts, pgscorer.alert_pending TO pgscorer_reader;
    END IF;
END
$$;
