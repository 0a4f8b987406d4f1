import Foundation
import PgClient
import PgScorer
import TestSupport
import Testing

/// Alert rules as rows against a real PostgreSQL: validation, one open alert per rule ×
/// series, resolution, `for`, and the NOTIFY that announces each change.
@Suite("Alerts")
struct AlertTests {
    @Test("rules are validated in words", arguments: [
        (["alerts", "rule", "add", "bad name!", "--kind", "stale"], "alert rule name 'bad name!' is not allowed"),
        (["alerts", "rule", "add", "twice", "--kind", "stale"], "an alert rule named twice already exists"),
        (["alerts", "rule", "add", "long", "--kind", "stale", "--for", "60d"], "for_duration must be between 0 and 30 days"),
    ] as [([String], String)])
    func validation(arguments: [String], message: String) async throws {
        try await ScorerFixture.with { fixture in
            #expect(try await PgScorerProcess.run(["alerts", "rule", "add", "twice", "--kind", "stale"], database: fixture.database).status == 0)
            let result = try await PgScorerProcess.run(arguments, database: fixture.database)
            #expect(result.status == 1 && result.output.contains(message) && !result.output.contains("SQLSTATE"), "\(result.output)")
            let kind = try await PgScorerProcess.run(["alerts", "rule", "add", "k", "--kind", "sunspots"], database: fixture.database)
            #expect(kind.status == 64, "an unknown kind is a usage error: \(kind.output)")
        }
    }

    @Test("one open alert per rule and series however often rules are evaluated; it resolves when the condition clears; NOTIFY announces both")
    func lifecycle() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
            try await fixture.addModel(device: "pump-2", sensor: "temp", featureCount: 2)
            try await fixture.connection.execute(
                """
                INSERT INTO pgscorer.series_failures (series_id, consecutive, last_error, last_job_id, held_since)
                SELECT series_id, 3, 'payload does not decode', 1, now() FROM pgscorer.series WHERE device = 'pump-1'
                """)
            #expect(try await PgScorerProcess.run(["alerts", "rule", "add", "held-pumps", "--kind", "held", "--device", "pump-*"], database: fixture.database).status == 0)
            #expect(try await PgScorerProcess.run(["alerts", "rule", "add", "slow", "--kind", "held", "--for", "1h"], database: fixture.database).status == 0)

            let listener = try await fixture.database.connect()
            try await listener.listen("pgscorer_alerts")
            let rules = AlertRules(connection: fixture.connection)
            // While another process evaluates, an evaluation returns at once instead of queueing to redo it.
            let other = try await fixture.database.connect()
            try await other.transaction { tx in
                try await tx.execute("SELECT 1 FROM pgscorer.maintenance_locks WHERE name = 'evaluate_alerts' FOR UPDATE")
                let skipped = try await rules.evaluate()
                #expect(skipped.skipped && skipped.counts == (0, 0) && skipped.lastEvaluatedAt == nil)
            }
            #expect(try await rules.evaluate().counts == (1, 0))
            #expect(try await rules.evaluate().counts == (0, 0), "no storm: the open alert is not opened again")
            let opened = try #require(try await listener.nextNotification(timeout: .seconds(5)))
            #expect(opened.payload.contains("\"event\": \"opened\"") && opened.payload.contains("pump-1"), "\(opened.payload)")
            let open = try await rules.alerts(openOnly: true)
            #expect(open.count == 1 && open[0].rule == "held-pumps" && open[0].evidence.contains("payload does not decode"))
            #expect(try await PgScorerProcess.run(["alerts", "ack", "\(open[0].alertID)"], database: fixture.database).status == 0)
            let status = try await PgScorerProcess.run(["status"], database: fixture.database)
            #expect(status.output.contains("open alerts: 1"), "\(status.output)")

            // Released: the alert resolves, and says so.
            _ = try await PgScorerProcess.run(["series", "resume", "--all"], database: fixture.database)
            let cleared = try await PgScorerProcess.run(["alerts", "evaluate"], database: fixture.database)
            #expect(cleared.output.contains("opened 0 alert(s), resolved 1"), "\(cleared.output)")
            let resolved = try #require(try await listener.nextNotification(timeout: .seconds(5)))
            #expect(resolved.payload.contains("\"event\": \"resolved\""), "\(resolved.payload)")
            #expect(try await rules.alerts(openOnly: true).isEmpty)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.alert_pending") == 0)
            await listener.close()
        }
    }
}
