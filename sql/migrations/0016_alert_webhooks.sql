-- Alert webhooks: a rule may name a URL; every opened and resolved alert of it is then
-- POSTed there as JSON. Deliveries are rows written in the transaction that opens or
-- resolves the alert (an outbox: none is lost, none is sent for a change that rolled
-- back), sent by workers' webhook senders, retried with backoff, never blocking scoring.
ALTER TABLE pgscorer.alert_rules ADD COLUMN webhook_url text;

CREATE FUNCTION pgscorer.alert_rules_validate_webhook() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.webhook_url IS NOT NULL AND NEW.webhook_url !~ '^https?://[^[:space:]/]+' THEN
        RAISE EXCEPTION '%', format('alert rule %s: webhook %L is not an http:// or https:// URL', NEW.name, NEW.webhook_url)
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER alert_rules_validate_webhook BEFORE INSERT OR UPDATE ON pgscorer.alert_rules
    FOR EACH ROW EXECUTE FUNCTION pgscorer.alert_rules_validate_webhook();

CREATE TABLE pgscorer.alert_deliveries (
    delivery_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    alert_id        bigint NOT NULL REFERENCES pgscorer.alerts ON DELETE CASCADE,
    event           text NOT NULL CHECK (event IN ('opened', 'resolved')),
    url             text NOT NULL,
    payload         jsonb NOT NULL,
    attempts        int NOT NULL DEFAULT 0,
    -- While a sender holds a delivery, this is its lease: another takes it after.
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    -- Set when the attempts ran out: the delivery is given up (last_error says why).
    failed_at       timestamptz,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_deliveries_due ON pgscorer.alert_deliveries (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX alert_deliveries_alert ON pgscorer.alert_deliveries (alert_id);

-- NOTIFY pgscorer_alerts with the alert as JSON, and queue its webhook delivery.
CREATE OR REPLACE FUNCTION pgscorer.announce_alert(alert bigint, event text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pgscorer AS $$
DECLARE
    body jsonb;
    webhook text;
BEGIN
    SELECT jsonb_build_object('event', event, 'alert_id', a.alert_id, 'rule', r.name, 'kind', r.kind, 'device', s.device,
                              'sensor', s.sensor, 'opened_at', a.opened_at, 'resolved_at', a.resolved_at, 'evidence', a.evidence),
           r.webhook_url
    INTO body, webhook
    FROM pgscorer.alerts a JOIN pgscorer.alert_rules r USING (rule_id) JOIN pgscorer.series s USING (series_id)
    WHERE a.alert_id = alert;
    PERFORM pg_notify('pgscorer_alerts', body::text);
    IF webhook IS NOT NULL THEN
        INSERT INTO pgscorer.alert_deliveries (alert_id, event, url, payload) VALUES (alert, event, webhook, body);
        PERFORM pg_notify('pgscorer_alert_deliveries', '');
    END IF;
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_worker') THEN
        GRANT SELECT, UPDATE ON pgscorer.alert_deliveries TO pgscorer_worker;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_reader') THEN
        GRANT SELECT ON pgscorer.alert_deliveries TO pgscorer_reader;
        -- A webhook URL often carries a secret token: readers see every column but it.
        REVOKE SELECT ON pgscorer.alert_rules FROM pgscorer_reader;
        GRANT SELECT (rule_id, name, kind, device_pattern, sensor_pattern, for_duration, enabled, created_at)
            ON pgscorer.alert_rules TO pgscorer_reader;
    END IF;
END
$$;
