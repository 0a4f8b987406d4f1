import PgClient

/// Every statement against `pgscorer.alert_rules` and `pgscorer.alerts`.
package enum AlertQueries {
    /// Adds rule $1 of kind $2 for devices LIKE $3 and sensors LIKE $4, firing after $5
    /// of its condition. The table's trigger validates the row.
    package static let insertRule = PreparedQuery(
        name: "alerts.insert_rule",
        "INSERT INTO pgscorer.alert_rules (name, kind, device_pattern, sensor_pattern, for_duration) VALUES ($1, $2, $3, $4, $5)")

    /// Every rule: name, kind, device_pattern, sensor_pattern, for_seconds, enabled, open_alerts.
    package static let rules: SQLText = """
        SELECT r.name, r.kind, r.device_pattern, r.sensor_pattern, extract(epoch FROM r.for_duration)::float8 AS for_seconds, r.enabled,
               (SELECT count(*) FROM pgscorer.alerts a WHERE a.rule_id = r.rule_id AND a.resolved_at IS NULL) AS open_alerts
        FROM pgscorer.alert_rules r ORDER BY r.name
        """

    /// Removes rule $1 with its alerts; the row count is 0 if there is none.
    package static let deleteRule = PreparedQuery(name: "alerts.delete_rule", "DELETE FROM pgscorer.alert_rules WHERE name = $1")

    /// One evaluation of every rule: opened, resolved.
    package static let evaluate: SQLText = "SELECT opened, resolved FROM pgscorer.evaluate_alerts()"

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

    /// Open alerts: open.
    package static let openCount: SQLText = "SELECT count(*) AS open FROM pgscorer.alerts WHERE resolved_at IS NULL"
}
