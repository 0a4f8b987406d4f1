import PgClient

/// Every statement of the model lifecycle: comparing challengers with champions
/// (`pgscorer.model_comparison`), promoting and rolling back (`pgscorer.promote_challenger`,
/// `pgscorer.rollback_champion`), and the record of champions (`pgscorer.deployments`).
package enum DeploymentQueries {
    /// Champion against challenger for the series matching device LIKE $1 and sensor
    /// LIKE $2, by name (see `ModelComparison`).
    package static let comparison = PreparedQuery(
        name: "deployments.comparison",
        """
        SELECT series_id, device, sensor, champion_model_id, champion_version, challenger_model_id, challenger_version,
               challenger_health, readings, agreement, champion_rate, challenger_rate, score_correlation, shadow_from, shadow_until
        FROM pgscorer.model_comparison
        WHERE device LIKE $1 AND sensor LIKE $2
        ORDER BY device, sensor
        """)

    /// The same for the series $1 (an array of ids): a page of the dashboard.
    package static let comparisonOf = PreparedQuery(
        name: "deployments.comparison_of",
        """
        SELECT series_id, device, sensor, champion_model_id, champion_version, challenger_model_id, challenger_version,
               challenger_health, readings, agreement, champion_rate, challenger_rate, score_correlation, shadow_from, shadow_until
        FROM pgscorer.model_comparison
        WHERE series_id = ANY($1)
        ORDER BY device, sensor
        """)

    /// Promotes series $1's challenger — model $4, as compared — with reason $2 ($3: even
    /// one that failed its health check): the new champion's model_id. Who did it is the
    /// session's `pgscorer.deployed_by` (`identifySession`), as for every change of champion.
    package static let promote = PreparedQuery(
        name: "deployments.promote", "SELECT pgscorer.promote_challenger($1, $2, $3, $4) AS model_id")

    /// Returns series $1 to its previous champion with reason $2: that model_id.
    package static let rollback = PreparedQuery(
        name: "deployments.rollback", "SELECT pgscorer.rollback_champion($1, $2) AS model_id")

    /// Names who makes this session's changes of champion, for `deployments.deployed_by`:
    /// the database role and, where known, the account $1 it runs for (`postgres (root)`).
    package static let identifySession = PreparedQuery(
        name: "deployments.identify_session", "SELECT set_config('pgscorer.deployed_by', session_user || ' (' || $1 || ')', false)")

    /// Series matching device LIKE $1 and sensor LIKE $2 that have a champion: series_id,
    /// device, sensor.
    package static let championedSeries = PreparedQuery(
        name: "deployments.championed_series",
        """
        SELECT s.series_id, s.device, s.sensor FROM pgscorer.series s
        WHERE s.device LIKE $1 AND s.sensor LIKE $2 AND EXISTS (SELECT 1 FROM pgscorer.models m WHERE m.series_id = s.series_id AND m.active)
        ORDER BY s.device, s.sensor
        """)

    /// The latest $3 changes of champion of the series matching device LIKE $1 and sensor
    /// LIKE $2, newest first, with the versions.
    package static let history = PreparedQuery(
        name: "deployments.history",
        """
        SELECT d.deployment_id, s.device, s.sensor, d.action, d.model_id, m.version, d.previous_model_id, p.version AS previous_version,
               d.deployed_at, d.deployed_by, d.reason
        FROM pgscorer.deployments d
        JOIN pgscorer.series s USING (series_id)
        LEFT JOIN pgscorer.models m ON m.model_id = d.model_id
        LEFT JOIN pgscorer.models p ON p.model_id = d.previous_model_id
        WHERE s.device LIKE $1 AND s.sensor LIKE $2
        ORDER BY d.deployment_id DESC LIMIT $3
        """)
}
