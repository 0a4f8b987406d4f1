import Foundation
import PgClient
import PgScorer
import TestSupport
import Testing

/// Retention against a real PostgreSQL: settings as validated rows, `pgscorer prune`,
/// the maintenance task, and partitions dropped whole.
@Suite("Retention")
struct RetentionTests {
    @Test("settings are rows the database validates, with errors in words", arguments: [
        ("UPDATE pgscorer.settings SET value = 'soon' WHERE key = 'retention.jobs'", "'soon' is not a duration"),
        ("UPDATE pgscorer.settings SET value = '5 seconds' WHERE key = 'retention.jobs'", "too short"),
        ("INSERT INTO pgscorer.settings (key, value, description) VALUES ('retention.everything', '1 day', 'x')", "unknown setting"),
        ("DELETE FROM pgscorer.settings WHERE key = 'retention.jobs'", "set its value to NULL"),
    ])
    func settings(sql: String, message: String) async throws {
        try await ScorerFixture.with { fixture in
            do {
                try await fixture.connection.execute(PostgresQuery(SQLText(unsafeSQL: sql)))
                Issue.record("\(sql) was accepted")
            } catch let error as PostgresError {
                #expect(error.message.contains(message), "\(error.message)")
            }
            try await fixture.connection.execute("UPDATE pgscorer.settings SET value = '14 days' WHERE key = 'retention.jobs'")
            try await fixture.connection.execute("UPDATE pgscorer.settings SET value = NULL WHERE key = 'retention.job_runs'")
        }
    }

    /// A scored fleet whose jobs and runs finished `daysAgo` days ago.
    static func agedFleet(_ fixture: ScorerFixture, daysAgo: Int) async throws {
        try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
        try await fixture.loadReadings(device: "pump-1", sensor: "temp", start: .utc("2026-11-24T00:00:00Z"), count: 30, featureCount: 2)
        for hour in 0..<3 {
            let start = PostgresTimestamp.utc("2026-11-24T00:00:00Z").microsecondsSince2000 + Int64(hour) * 600_000_000
            try await fixture.enqueue(
                PostgresTimestamp(microsecondsSince2000: start), PostgresTimestamp(microsecondsSince2000: start + 600_000_000))
        }
        let worker = try await PgScorerProcess.run(["worker", "--exit-when-idle", "--no-scheduler"], database: fixture.database)
        #expect(worker.status == 0, "\(worker.output)")
        try await fixture.connection.executeScript(SQLText(unsafeSQL: """
            UPDATE pgscorer.jobs SET finished_at = now() - interval '\(daysAgo) days';
            UPDATE pgscorer.job_runs SET finished_at = now() - interval '\(daysAgo) days';
            """))
    }

    @Test("the gateway's dead letters go after retention.rejected_readings (30 days), or --rejected now")
    func rejectedReadings() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.connection.execute(
                """
                INSERT INTO pgscorer.rejected_readings (received_at, source, payload, reason, detail)
                SELECT now() - make_interval(days => d), 'mqtt', 'x', 'malformed', 'not JSON' FROM (VALUES (1), (10), (40), (45)) t(d)
                """)
            let byDefault = try await PgScorerProcess.run(["prune"], database: fixture.database)
            #expect(byDefault.output.contains("removed 2 rejected_readings"), "\(byDefault.output)")
            let now = try await PgScorerProcess.run(["prune", "--rejected", "5d", "--dry-run"], database: fixture.database)
            #expect(now.output.contains("would remove 1 rejected_readings"), "\(now.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.rejected_readings") == 2)
            let tooShort = try await PgScorerProcess.run(["prune", "--rejected", "10s"], database: fixture.database)
            #expect(tooShort.status == 64 && tooShort.output.contains("--rejected 10s would remove what is current"), "\(tooShort.output)")
        }
    }

    @Test("prune --dry-run counts, prune removes finished jobs past their age in batches and never a prediction; runs outlive jobs")
    func prune() async throws {
        try await ScorerFixture.with { fixture in
            try await Self.agedFleet(fixture, daysAgo: 10)
            let predictions = try await fixture.count("SELECT count(*) FROM pgscorer.predictions")
            #expect(predictions == 30)
            let dry = try await PgScorerProcess.run(["prune", "--dry-run"], database: fixture.database)
            #expect(dry.status == 0 && dry.output.contains("would remove 3 jobs") && dry.output.contains("would remove 0 job_runs"), "\(dry.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs") == 3, "a dry run deletes nothing")
            let pruned = try await PgScorerProcess.run(["prune"], database: fixture.database)
            #expect(pruned.status == 0 && pruned.output.contains("removed 3 jobs") && pruned.output.contains("removed 0 job_runs"), "\(pruned.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs") == 0)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.job_runs") == 3, "attempt logs are kept 30 days")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions") == predictions, "pruning jobs never removes predictions")
            let runs = try await PgScorerProcess.run(["prune", "--runs", "7d"], database: fixture.database)
            #expect(runs.output.contains("removed 3 job_runs"), "\(runs.output)")

            // A schedule's newest tick stays, however old: it is how the scheduler knows what fired.
            try await fixture.connection.executeScript("""
                INSERT INTO pgscorer.schedules (name, cron, "window", created_at) VALUES ('monthly', '0 0 1 * *', '1 day', now() - interval '90 days');
                INSERT INTO pgscorer.schedule_runs (schedule_id, scheduled_for, fired_by)
                SELECT schedule_id, now() - interval '1 day' * d, 'test' FROM pgscorer.schedules, (VALUES (40), (70)) AS t(d);
                """)
            let ticks = try await PgScorerProcess.run(["prune", "--runs", "30d"], database: fixture.database)
            #expect(ticks.output.contains("removed 1 schedule_runs"), "\(ticks.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.schedule_runs") == 1)
            for sql in ["SELECT pgscorer.drop_old_partitions('readings', '-100 years')", "SELECT pgscorer.prune('jobs', '-1 day', 10)"] {
                do {
                    _ = try await fixture.connection.query(PostgresQuery(SQLText(unsafeSQL: sql)))
                    Issue.record("\(sql) was accepted")
                } catch let error as PostgresError {
                    #expect(error.message.contains("at least"), "\(error.message)")
                }
            }

            // The maintenance task, in batches of one.
            try await Self.agedFleet(fixture, daysAgo: 10)
            var retention = Retention()
            retention.batchSize = 1
            let outcome = try await retention.run(on: fixture.connection)
            #expect(outcome.rows["jobs"] == 3, "\(outcome)")
            #expect(try await RetentionKeeper(interval: .seconds(60)).runOnce(on: fixture.connection) == 0, "nothing left")
        }
    }

    @Test("readings and predictions retention drops whole months past the horizon, and only those")
    func partitions() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
            try await fixture.loadReadings(device: "pump-1", sensor: "temp", start: .utc("2025-01-10T00:00:00Z"), count: 5, featureCount: 2)
            try await fixture.loadReadings(device: "pump-1", sensor: "temp", start: .utc("2026-11-24T00:00:00Z"), count: 5, featureCount: 2)
            let dry = try await PgScorerProcess.run(["prune", "--readings", "365d", "--dry-run"], database: fixture.database)
            // The samples' month made beside it goes too: retention.samples keeps 30 days.
            #expect(dry.output.contains("would remove 2 partition(s): readings_202501, samples_202501"), "\(dry.output)")
            try await fixture.connection.execute("UPDATE pgscorer.settings SET value = '365 days' WHERE key = 'retention.readings'")
            #expect(try await RetentionKeeper(interval: .seconds(60)).runOnce(on: fixture.connection) == 2)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 5)
            #expect(try await fixture.count("SELECT count(*) FROM pg_class WHERE relname = 'readings_202501'") == 0)
            #expect(try await fixture.count("SELECT count(*) FROM pg_class WHERE relname = 'predictions_202501'") == 1, "predictions are kept until set")
            #expect(try await fixture.count("SELECT count(*) FROM pg_class WHERE relname = 'readings_202611'") == 1)
        }
    }
}
