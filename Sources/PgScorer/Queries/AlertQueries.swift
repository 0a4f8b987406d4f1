import PgClient

/// Every statement against `pgscorer.alert_rules` and `pgscorer.alerts`.
package enum AlertQueries {
    /// Adds rule $1 of kind $2 for devices LIKE $3 and sensors LIKE $4, firing after $5
    /// of its condition, POSTing its alerts to webhook $6 (NULL: none). The table's
    /// triggers validate the row.
    package static let insertRule = PreparedQuery(
        name: "alerts.insert_rule",
        """
        INSERT INTO pgscorer.alert_rules (name, kind, device_pattern, sensor_pattern, for_duration, webhook_url)
        VALUES ($1, $2, $3, $4, $5, $6)
        """)

    /// Every rule: name, kind, device_pattern, sensor_pattern, for_seconds, enabled,
    /// webhook (scheme and host only), open_alerts.
    package static let rules: SQLText = """
        SELECT name, kind, device_pattern, sensor_pattern, extract(epoch FROM for_duration)::float8 AS for_seconds, enabled,
               webhook, open_alerts
        FROM pgscorer.alert_rule_list ORDER BY name
        """

    /// Removes rule $1 with its alerts; the row count is 0 if there is none.
    package static let deleteRule = PreparedQuery(name: "alerts.delete_rule", "DELETE FROM pgscorer.alert_rules WHERE name = $1")

    /// One evaluation of every rule: opened, resolved, skipped (another process was
    /// evaluating), last_evaluated_at (when an evaluation last ran to its end, by anyone).
    package static let evaluate: SQLText = "SELECT opened, resolved, skipped, last_evaluated_at FROM pgscorer.evaluate_alerts()"

    /// Alerts, only open ones when $1, newest first, at most $2: alert_id, rule, kind,
    /// device, sensor, opened_at, resolved_at, acknowledged_at, evidence.
    package static let alerts = PreparedQuery(
        name: "alerts.list",
        """
        SELECT a.alert_id, r.name AS rule, r.kind, s.device, s.sensor, a.opened_at, a.resolved_at, a.acknowledged_at,
               a.evidence::text AS evidence
        FROM pgscorer.alerts a JOIN pgscorer.alert_rules r USING (rule_id) JOIN pgscorer.series s USING (series_id)
        WHERE a.resolved_at IS NULL OR NOT $1
        ORDER BY a.opened_at DESC, a.alert_id DESC LIMIT $2
        """)

    /// Acknowledges alert $1 by $2; the row count is 0 if there is none.
    package static let acknowledge = PreparedQuery(
        name: "alerts.acknowledge",
        "UPDATE pgscorer.alerts SET acknowledged_at = now(), acknowledged_by = $2 WHERE alert_id = $1 AND acknowledged_at IS NULL")

    /// Takes up to $1 due webhook deliveries for sending: each gets one more attempt and
    /// a lease of $2 seconds (another sender takes it after). Returns delivery_id, url,
    /// payload, attempts.
    package static let takeDeliveries = PreparedQuery(
        name: "alerts.take_deliveries",
        """
        UPDATE pgscorer.alert_deliveries d
        SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
        FROM (
            SELECT delivery_id FROM pgscorer.alert_deliveries
            WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
            ORDER BY next_attempt_at LIMIT $1
            FOR UPDATE SKIP LOCKED
        ) due
        WHERE d.delivery_id = due.delivery_id
        RETURNING d.delivery_id, d.url, d.payload::text AS payload, d.attempts
        """)

    /// Delivery $1 was accepted by its webhook.
    package static let delivered = PreparedQuery(
        name: "alerts.delivered",
        "UPDATE pgscorer.alert_deliveries SET delivered_at = now(), last_error = NULL WHERE delivery_id = $1")

    /// Delivery $1 failed with $2: tried again after $3 seconds, or given up when $4.
    package static let deliveryFailed = PreparedQuery(
        name: "alerts.delivery_failed",
        """
        UPDATE pgscorer.alert_deliveries
        SET last_error = $2, next_attempt_at = now() + make_interval(secs => $3), failed_at = CASE WHEN $4 THEN now() END
        WHERE delivery_id = $1
        """)

    /// Seconds until the earliest pending delivery is due (NULL: none pending).
    package static let nextDelivery: SQLText = """
        SELECT extract(epoch FROM min(next_attempt_at) - now())::float8 AS seconds
        FROM pgscorer.alert_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL
        """
}
