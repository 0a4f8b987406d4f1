import PgClient

/// Alert rules and their alerts: rows an operator edits with SQL or `pgscorer alerts`,
/// validated by the database. One open alert per rule × series; each change is
/// announced by `NOTIFY pgscorer_alerts` (the evaluation is `pgscorer.evaluate_alerts()`).
package struct AlertRules: Sendable {
    package let connection: PostgresConnection

    package init(connection: PostgresConnection) { self.connection = connection }

    /// What a rule watches for.
    package enum Kind: String, Sendable, CaseIterable {
        case rateSpike = "rate_spike", stale, scoreShift = "score_shift", drift, modelFail = "model_fail", held
    }

    package struct Rule: Sendable, Encodable {
        package let name: String
        package let kind: String
        package let devicePattern: String
        package let sensorPattern: String
        package let forSeconds: Double
        package let enabled: Bool
        package let openAlerts: Int
        /// The webhook's scheme and host (`https://hooks.example.com/…`): its path and query
        /// may hold a secret, which stays in `alert_rules.webhook_url`.
        package let webhook: String?
    }

    package struct Alert: Sendable, Encodable {
        package let alertID: Int64
        package let rule: String
        package let kind: String
        package let device: String
        package let sensor: String
        package let openedAt: PostgresTimestamp
        package let resolvedAt: PostgresTimestamp?
        package let acknowledgedAt: PostgresTimestamp?
        /// What the condition looked like when the alert opened, as JSON.
        package let evidence: String
    }

    /// Adds a rule; a name that exists or breaks the rule is refused in words.
    package func add(name: String, kind: Kind, selector: SeriesSelector, for duration: Duration, webhook: String? = nil) async throws {
        do {
            try await connection.execute(
                AlertQueries.insertRule.bind(
                    name, kind.rawValue, selector.devicePattern, selector.sensorPattern, DurationText.interval(duration), webhook))
        } catch let error as PostgresError where error.sqlState == SQLState.uniqueViolation {
            throw PgScorerError(.invalidInput, "an alert rule named \(name) already exists (pgscorer alerts rule list shows it)")
        } catch let error as PostgresError where error.sqlState == SQLState.checkViolation {
            throw PgScorerError(.invalidInput, error.message)
        }
    }

    package func rules() async throws -> [Rule] {
        try await connection.query(PostgresQuery(AlertQueries.rules)).map {
            Rule(
                name: try $0.decode("name"), kind: try $0.decode("kind"), devicePattern: try $0.decode("device_pattern"),
                sensorPattern: try $0.decode("sensor_pattern"), forSeconds: try $0.decode("for_seconds"), enabled: try $0.decode("enabled"),
                openAlerts: try $0.decode("open_alerts"), webhook: try $0.decode("webhook"))
        }
    }

    package func remove(_ name: String) async throws {
        guard try await connection.execute(AlertQueries.deleteRule.bind(name)) == 1 else {
            throw PgScorerError(.notFound, "no alert rule named \(name)")
        }
    }

    /// What one evaluation did.
    package struct Evaluation: Sendable {
        package var opened: Int
        package var resolved: Int
        /// Another process was evaluating, so this one did nothing.
        package var skipped: Bool
        /// When an evaluation (by any process) last ran to its end; nil if none ever did.
        package var lastEvaluatedAt: PostgresTimestamp?

        package var counts: (opened: Int, resolved: Int) { (opened, resolved) }
    }

    /// Evaluates every rule now (unless another process is at it).
    package func evaluate() async throws -> Evaluation {
        let row = try await connection.query(PostgresQuery(AlertQueries.evaluate)).single()
        return Evaluation(
            opened: try row.decode("opened"), resolved: try row.decode("resolved"), skipped: try row.decode("skipped"),
            lastEvaluatedAt: try row.decode("last_evaluated_at"))
    }

    package func alerts(openOnly: Bool, limit: Int = 100) async throws -> [Alert] {
        try await connection.query(AlertQueries.alerts.bind(openOnly, Int32(limit))).map {
            Alert(
                alertID: try $0.decode("alert_id"), rule: try $0.decode("rule"), kind: try $0.decode("kind"), device: try $0.decode("device"),
                sensor: try $0.decode("sensor"), openedAt: try $0.decode("opened_at"), resolvedAt: try $0.decode("resolved_at"),
                acknowledgedAt: try $0.decode("acknowledged_at"), evidence: try $0.decode("evidence"))
        }
    }

    package func acknowledge(_ alertID: Int64, by who: String) async throws {
        guard try await connection.execute(AlertQueries.acknowledge.bind(alertID, who)) == 1 else {
            throw PgScorerError(.notFound, "no unacknowledged alert \(alertID)")
        }
    }
}
