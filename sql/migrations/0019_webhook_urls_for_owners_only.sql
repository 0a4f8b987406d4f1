-- Webhook URLs often carry secret tokens in their path or query. Readers (the dashboard,
-- reports) were kept from `alert_rules.webhook_url` but could still read each delivery's
-- `url`; and `pgscorer alerts rule list` selected the column, so it failed for them.
-- Now a reader sees neither, and every role lists rules through `alert_rule_list`,
-- which shows a webhook as its scheme and host only (as the workers' logs do).
CREATE VIEW pgscorer.alert_rule_list AS
SELECT r.rule_id, r.name, r.kind, r.device_pattern, r.sensor_pattern, r.for_duration, r.enabled, r.created_at,
       -- Scheme and host (and port) only, as `https://hooks.example.com/…`; a URL whose host
       -- this pattern does not allow (credentials of odd shape, no host) shows as (hidden).
       CASE WHEN r.webhook_url IS NOT NULL THEN
           coalesce(substring(r.webhook_url FROM '^(https?)://') || '://'
                    || substring(r.webhook_url FROM '^https?://(?:[^/?#@]*@)?((?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?)(?:[/?#]|$)')
                    || '/…', '(hidden)')
       END AS webhook,
       (SELECT count(*) FROM pgscorer.alerts a WHERE a.rule_id = r.rule_id AND a.resolved_at IS NULL) AS open_alerts
FROM pgscorer.alert_rules r;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_reader') THEN
        GRANT SELECT ON pgscorer.alert_rule_list TO pgscorer_reader;
        REVOKE SELECT ON pgscorer.alert_deliveries FROM pgscorer_reader;
        GRANT SELECT (delivery_id, alert_id, event, payload, attempts, next_attempt_at, delivered_at, failed_at, last_error, created_at)
            ON pgscorer.alert_deliveries TO pgscorer_reader;
    END IF;
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgscorer_worker') THEN
        GRANT SELECT ON pgscorer.alert_rule_list TO pgscorer_worker;
    END IF;
END
$$;
