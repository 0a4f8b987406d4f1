import Foundation
import PgClient
import TestSupport
import Testing

import PgScorer

@Suite("Least-privilege roles")
struct SecurityTests {
    /// A login user in `role`, and the test database as that user.
    static func login(_ fixture: ScorerFixture, role: String) async throws -> TestDatabase {
        let user = "\(role)_\(fixture.database.name.suffix(12))"
        try await fixture.connection.execute(PostgresQuery(SQLText(unsafeSQL: "CREATE ROLE \(user) LOGIN IN ROLE \(role)")))
        return TestDatabase(url: fixture.database.url + " user=\(user)", name: fixture.database.name)
    }

    /// Runs `sql` as `database`'s user and returns the SQLSTATE it fails with (nil if it succeeds).
    static func failure(_ database: TestDatabase, _ sql: String) async throws -> String? {
        let connection = try await database.connect()
        var sqlState: String?
        do {
            try await connection.executeScript(SQLText(unsafeSQL: sql))
        } catch let error as PostgresError {
            sqlState = error.sqlState
        }
        await connection.close()
        return sqlState
    }

    @Test("ingest, worker and reader roles do their work and are refused outside their grants")
    func roles() async throws {
        try await ScorerFixture.with { fixture in
            let ingest = try await Self.login(fixture, role: "pgscorer_ingest")
            let worker = try await Self.login(fixture, role: "pgscorer_worker")
            let reader = try await Self.login(fixture, role: "pgscorer_reader")

            let file = try temporaryFile(
                "readings.csv", "device,sensor,ts,a,b\n" + (0..<30).map { "pump-1,temp,2026-11-24T00:\(String(format: "%02d", $0)):00Z,\($0),1" }.joined(separator: "\n"))
            let loaded = try await PgScorerProcess.run(["ingest", file], database: ingest)
            #expect(loaded.status == 0, "\(loaded.output)")
            try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
            try await fixture.enqueue(.utc("2026-11-24T00:00:00Z"), .utc("2026-11-24T01:00:00Z"))
            let scored = try await PgScorerProcess.run(["worker", "--exit-when-idle", "--retry-base", "100ms"], database: worker)
            #expect(scored.status == 0, "\(scored.output)")
            let errors: String = try await fixture.connection.query("SELECT coalesce(string_agg(last_error, '; '), '') FROM pgscorer.jobs").single().decode(0)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions") == 30, "job errors: \(errors)")

            let denied = "42501"
            // The reader does reader things: every report, status, export and the README's queries.
            for sql in [
                "SELECT count(*) FROM pgscorer.anomaly_rate_daily", "SELECT count(*) FROM pgscorer.predictions",
                "SELECT * FROM pgscorer.series_anomaly_summary(NULL, NULL)", "SELECT * FROM pgscorer.settings",
                """
                SELECT s.sensor, p.ts, p.score, r.features FROM pgscorer.predictions p
                JOIN pgscorer.series s USING (series_id) JOIN pgscorer.readings r USING (series_id, ts)
                WHERE s.device = 'pump-7' AND p.is_anomaly ORDER BY p.ts DESC
                """,
            ] {
                #expect(try await Self.failure(reader, sql) == nil, "reader: \(sql)")
            }
            // A webhook URL's path may hold a secret: a reader lists rules but never sees it.
            try await fixture.connection.execute(
                "INSERT INTO pgscorer.alert_rules (name, kind, webhook_url) VALUES ('silent', 'stale', 'https://hooks.example.com/services/T0/s3cret')")
            let rules = try await PgScorerProcess.run(["alerts", "rule", "list"], database: reader)
            #expect(rules.status == 0 && rules.output.contains("https://hooks.example.com/…"), "reader: \(rules.output)")
            #expect(!rules.output.contains("s3cret"))
            for sql in ["SELECT webhook_url FROM pgscorer.alert_rules", "SELECT url FROM pgscorer.alert_deliveries"] {
                #expect(try await Self.failure(reader, sql) == denied, "reader: \(sql)")
            }
            #expect(try await Self.failure(reader, "SELECT attempts, delivered_at, last_error FROM pgscorer.alert_deliveries") == nil)
            for arguments in [["status"], ["report"], ["export", "predictions", "--since", "2026-11-24"], ["models", "list"], ["schedule", "list"]] {
                let result = try await PgScorerProcess.run(arguments, database: reader)
                #expect(result.status == 0, "reader: pgscorer \(arguments): \(result.output)")
            }
            for sql in [
                "INSERT INTO pgscorer.predictions VALUES (1, now(), 1, 0, false, 1)", "UPDATE pgscorer.jobs SET priority = 1",
                "DELETE FROM pgscorer.readings", "UPDATE pgscorer.settings SET value = '1 day' WHERE key = 'retention.jobs'",
                "SELECT pgscorer.prune('jobs', '1 day', 10)", "UPDATE pgscorer.schedules SET enabled = false",
            ] {
                #expect(try await Self.failure(reader, sql) == denied, "reader: \(sql)")
            }
            for sql in [
                "INSERT INTO pgscorer.readings VALUES (1, now(), 2, '{1,2}')", "DELETE FROM pgscorer.jobs", "UPDATE pgscorer.models SET active = false",
                "TRUNCATE pgscorer.predictions", "DROP TABLE pgscorer.jobs", "UPDATE pgscorer.schedules SET enabled = false",
            ] {
                #expect(try await Self.failure(worker, sql) == denied, "worker: \(sql)")
            }
            for sql in [
                "SELECT * FROM pgscorer.predictions", "UPDATE pgscorer.jobs SET priority = 1", "SELECT payload FROM pgscorer.models",
                "DELETE FROM pgscorer.readings",
            ] {
                #expect(try await Self.failure(ingest, sql) == denied, "ingest: \(sql)")
            }
        }
    }
}
