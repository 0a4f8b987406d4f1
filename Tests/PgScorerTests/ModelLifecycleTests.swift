import Foundation
import Hummingbird
import HummingbirdTesting
import Kernels
import Logging
import PgClient
import PgScorer
import PgScorerWeb
import TestSupport
import Testing

/// Champion and challenger against a real PostgreSQL and real workers: shadow scoring
/// in one completion, comparison figures checked against a computation here, promote
/// with and without conditions, the health gate, rollback, the database refusing two
/// champions, training schedules (once per tick, a retried job storing one version).
@Suite("Model lifecycle")
struct ModelLifecycleTests {
    static let start = PostgresTimestamp.utc("2026-11-24T00:00:00Z")
    static let end = PostgresTimestamp.utc("2026-11-25T00:00:00Z")

    /// pump-1/temp with a champion (v1), a challenger (v2) and 120 readings, scored by a worker.
    static func shadowScored(_ fixture: ScorerFixture) async throws -> (champion: Int64, challenger: Int64) {
        let champion = try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2, seed: 1)
        let challenger = try await ModelStore(connection: fixture.connection).add(
            try ScorerFixture.model(featureCount: 2, seed: 5), device: "pump-1", sensor: "temp", source: "json", role: .challenger)
        #expect(champion.role == .champion && challenger.role == .challenger)
        try await fixture.loadReadings(device: "pump-1", sensor: "temp", start: start, count: 120, featureCount: 2)
        try await fixture.enqueue(start, end)
        let worker = try await PgScorerProcess.run(["worker", "--exit-when-idle", "--no-scheduler"], database: fixture.database)
        #expect(worker.status == 0, "\(worker.output)")
        return (champion.modelID, challenger.modelID)
    }

    @Test("a challenger is shadow-scored in the same completion; the comparison matches a computation here")
    func shadowScoring() async throws {
        try await ScorerFixture.with { fixture in
            let (champion, challenger) = try await Self.shadowScored(fixture)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions WHERE model_id = $1", champion) == 120)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions WHERE model_id = $1", challenger) == 120)
            // Both sets came from the one job, in its one completion; the run log counts the champion's.
            #expect(try await fixture.count("SELECT count(DISTINCT (job_id, scored_at)) FROM pgscorer.predictions") == 1)
            let championAnomalies = try await fixture.count("SELECT count(*) FROM pgscorer.predictions WHERE model_id = $1 AND is_anomaly", champion)
            #expect(try await fixture.count("SELECT anomalies FROM pgscorer.job_runs") == championAnomalies)

            var a: [Double] = [], b: [Double] = []
            var agree = 0, flaggedA = 0, flaggedB = 0
            for row in try await fixture.connection.query(
                """
                SELECT c.score AS a, x.score AS b, c.is_anomaly AS fa, x.is_anomaly AS fb
                FROM pgscorer.predictions c JOIN pgscorer.predictions x USING (series_id, ts)
                WHERE c.model_id = $1 AND x.model_id = $2
                """, champion, challenger)
            {
                a.append(try row.decode("a"))
                b.append(try row.decode("b"))
                let fa: Bool = try row.decode("fa"), fb: Bool = try row.decode("fb")
                agree += fa == fb ? 1 : 0
                flaggedA += fa ? 1 : 0
                flaggedB += fb ? 1 : 0
            }
            let n = Double(a.count)
            let meanA = a.reduce(0, +) / n, meanB = b.reduce(0, +) / n
            let cov = zip(a, b).reduce(0) { $0 + ($1.0 - meanA) * ($1.1 - meanB) }
            let correlation = cov / (sqrt(a.reduce(0) { $0 + ($1 - meanA) * ($1 - meanA) }) * sqrt(b.reduce(0) { $0 + ($1 - meanB) * ($1 - meanB) }))
            let comparison = try #require(try await ModelLifecycle(connection: fixture.connection).compare(.all).first)
            #expect(comparison.readings == 120 && comparison.championModelID == champion && comparison.challengerModelID == challenger)
            #expect(abs((comparison.agreement ?? -1) - Double(agree) / n) < 1e-12)
            #expect(abs((comparison.championRate ?? -1) - Double(flaggedA) / n) < 1e-12)
            #expect(abs((comparison.challengerRate ?? -1) - Double(flaggedB) / n) < 1e-12)
            #expect(abs((comparison.scoreCorrelation ?? -2) - correlation) < 1e-9, "\(comparison.scoreCorrelation ?? .nan) vs \(correlation)")
            let cli = try await PgScorerProcess.run(["models", "compare", "--format", "csv"], database: fixture.database)
            #expect(cli.output.contains("pump-1,temp,1,2,"), "\(cli.output)")
            let row = try #require(cli.output.split(separator: "\n").first { $0.hasPrefix("pump-1,") }).split(separator: ",", omittingEmptySubsequences: false)
            #expect(abs((Double(row[6]) ?? -1) - Double(agree) / n) < 1e-12, "agreement as a fraction in CSV: \(row)")
            let table = try await PgScorerProcess.run(["models", "compare"], database: fixture.database)
            #expect(table.output.contains(String(format: "%.2f%%", 100 * Double(agree) / n)), "a percentage for people: \(table.output)")
            // The dashboard's models page shows the same comparison.
            var configuration = DashboardServer.Configuration(databaseURL: fixture.database.url)
            configuration.port = 0
            let server = DashboardServer(configuration: configuration, logger: Logger(label: "test"))
            try await server.makeApplication().test(.live) { client in
                let page = try await client.execute(uri: "/models", method: .get) { String(buffer: $0.body) }
                #expect(page.contains("id=\"comparisons\"") && page.contains("<td class=\"num\">120</td>"), "\(page.prefix(4000))")
            }
            await server.shutdown()
        }
    }

    @Test("promote refuses what misses its conditions or failed its check, then promotes; rollback returns; all recorded")
    func promoteAndRollback() async throws {
        try await ScorerFixture.with { fixture in
            let (champion, challenger) = try await Self.shadowScored(fixture)
            // The gate, whatever the synthetic model's own verdict: this challenger failed its check.
            try await fixture.connection.execute("UPDATE pgscorer.models SET health = 'fail', health_reasons = '[\"flags every probe\"]' WHERE model_id = $1", challenger)
            let health = 1
            let strict = try await PgScorerProcess.run(
                ["models", "promote", "--min-agreement", "1", "--max-rate-change", "0", "--force", "--yes"], database: fixture.database)
            let agreement = try #require(try await ModelLifecycle(connection: fixture.connection).compare(.all).first?.agreement)
            if agreement < 1 {
                #expect(strict.status == 1 && strict.output.contains("left pump-1/temp: agreement"), "\(strict.output)")
                #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE model_id = $1 AND active", champion) == 1)
            }
            #expect(health == 1)
            let gated = try await PgScorerProcess.run(["models", "promote", "--device", "pump-1"], database: fixture.database)
            #expect(gated.status == 1 && gated.output.contains("left pump-1/temp: its health check failed"), "\(gated.output)")
            // The whole fleet without --yes, at no terminal, and any --dry-run: shown, not done.
            let asked = try await PgScorerProcess.run(["models", "promote", "--force", "--min-agreement", "0"], database: fixture.database)
            #expect(asked.status == 0 && asked.output.contains("would promote 1 series: pump-1/temp"), "\(asked.output)")
            #expect(asked.output.contains("nothing was promoted: a fleet-wide promotion needs --yes"), "\(asked.output)")
            let dry = try await PgScorerProcess.run(["models", "promote", "--device", "pump-1", "--force", "--min-agreement", "0", "--dry-run"], database: fixture.database)
            #expect(dry.status == 0 && dry.output.contains("would promote 1 series: pump-1/temp"), "\(dry.output)")
            let guarded = try await PgScorerProcess.run(["models", "promote", "--device", "pump-1", "--force", "--min-readings", "100000"], database: fixture.database)
            #expect(guarded.status == 1 && guarded.output.contains("(--min-readings 100000)"), "\(guarded.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE model_id = $1 AND challenger", challenger) == 1, "still the challenger")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.deployments WHERE action = 'promote'") == 0, "a dry run records nothing")
            let help = try await PgScorerProcess.run(["models", "promote", "--help"], database: fixture.database)
            #expect(help.output.contains("(default: 0.95)") && help.output.contains("(default: 100)") && help.output.contains("--dry-run"), "\(help.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE model_id = $1 AND challenger", challenger) == 1)
            // A job still queued when the champion changes moves to the new one.
            let queued = try await fixture.enqueue(.utc("2026-11-23T00:00:00Z"), .utc("2026-11-23T01:00:00Z"))
            let promoted = try await PgScorerProcess.run(
                ["models", "promote", "--force", "--min-agreement", "0", "--yes", "--reason", "retrained on November"], database: fixture.database)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE job_id = $1 AND model_id = $2", queued[0], challenger) == 1)
            #expect(promoted.status == 0 && promoted.output.contains("promoted 1 series: pump-1/temp"), "\(promoted.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE model_id = $1 AND active AND NOT challenger", challenger) == 1)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE model_id = $1 AND NOT active", champion) == 1)
            let record = try await fixture.connection.query(
                "SELECT action, previous_model_id, reason FROM pgscorer.deployments WHERE model_id = $1 ORDER BY deployment_id DESC LIMIT 1",
                challenger
            ).single()
            #expect(try record.decode("action") as String == "promote" && record.decode("previous_model_id") as Int64? == champion)
            #expect(try record.decode("reason") as String? == "retrained on November")
            // The next scoring uses the new champion; nothing is shadow-scored any more.
            try await fixture.enqueue(.utc("2026-11-24T00:00:00Z"), .utc("2026-11-24T01:00:00Z"))
            _ = try await PgScorerProcess.run(["worker", "--exit-when-idle", "--no-scheduler"], database: fixture.database)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE model_id = $1 AND state = 'completed'", challenger) == 2,
                    "the job queued before the promotion and the one after")

            let dryBack = try await PgScorerProcess.run(["models", "rollback", "--device", "pump-1", "--dry-run"], database: fixture.database)
            #expect(dryBack.status == 0 && dryBack.output.contains("would roll back 1 series"), "\(dryBack.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE model_id = $1 AND active", challenger) == 1, "a dry run changes nothing")
            let back = try await PgScorerProcess.run(["models", "rollback", "--device", "pump-1", "--reason", "too many flags"], database: fixture.database)
            #expect(back.status == 0 && back.output.contains("rolled back 1 series"), "\(back.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE model_id = $1 AND active", champion) == 1)
            // A second rollback goes further back, not forth again: v1 replaced no one.
            let again = try await PgScorerProcess.run(["models", "rollback", "--device", "pump-1"], database: fixture.database)
            #expect(again.status == 1 && again.output.contains("series pump-1/temp has no earlier champion to return to"), "\(again.output)")
            let history = try await PgScorerProcess.run(["models", "history", "--format", "csv"], database: fixture.database)
            let actions = history.output.split(separator: "\n").compactMap { line in ["rollback", "promote", "activate"].first { line.contains(",\($0),") } }
            #expect(actions == ["rollback", "promote", "activate"], "\(history.output)")
            // Promote and rollback by the CLI record one identity: the database role and the account it ran for.
            let byCLI: [String] = try await fixture.connection.query(
                "SELECT DISTINCT deployed_by FROM pgscorer.deployments WHERE action IN ('promote', 'rollback')").map { try $0.decode(0) }
            #expect(byCLI == ["\(try await fixture.connection.query("SELECT session_user::text").single().decode(0) as String) (\(ProcessInfo.processInfo.userName))"], "\(byCLI)")

            try await fixture.addModel(device: "pump-2", sensor: "temp", featureCount: 2)
            let nothing = try await PgScorerProcess.run(["models", "rollback", "--device", "pump-2"], database: fixture.database)
            #expect(nothing.status == 1 && nothing.output.contains("series pump-2/temp has no earlier champion to return to"), "\(nothing.output)")
            #expect(!nothing.output.contains("SQLSTATE"))
        }
    }

    @Test("the database refuses two champions, two challengers, and a model that is both; SQL promotion works")
    func databaseRefuses() async throws {
        try await ScorerFixture.with { fixture in
            let v1 = try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
            let v2 = try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2, seed: 2)  // the new champion
            let v3 = try await ModelStore(connection: fixture.connection).add(
                try ScorerFixture.model(featureCount: 2, seed: 3), device: "pump-1", sensor: "temp", source: "json", role: .stored)
            func refused(_ sql: SQLText, _ message: String) async throws {
                do {
                    try await fixture.connection.execute(sql)
                    Issue.record("\(sql) was accepted")
                } catch let error as PostgresError {
                    #expect(error.message.contains(message), "\(error.message)")
                }
            }
            try await refused(SQLText(unsafeSQL: "UPDATE pgscorer.models SET active = true WHERE model_id = \(v1.modelID)"), "already has a champion (model \(v2.modelID))")
            try await refused(SQLText(unsafeSQL: "UPDATE pgscorer.models SET challenger = true WHERE model_id = \(v2.modelID)"), "is the champion (active) or the challenger")
            try await fixture.connection.execute(SQLText(unsafeSQL: "UPDATE pgscorer.models SET challenger = true WHERE model_id = \(v3.modelID)"))
            try await refused(SQLText(unsafeSQL: "UPDATE pgscorer.models SET challenger = true WHERE model_id = \(v1.modelID)"), "already has a challenger (model \(v3.modelID))")
            // An operator's SQL does what the CLI does, and is recorded.
            try await fixture.connection.execute(
                SQLText(unsafeSQL: "SELECT pgscorer.promote_challenger(\(v3.seriesID), 'by hand', true)"))
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE model_id = $1 AND active", v3.modelID) == 1)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.deployments WHERE model_id = $1 AND action = 'promote' AND reason = 'by hand'", v3.modelID) == 1)
            // activate_model: the path of models activate and the dashboard, by SQL too.
            try await fixture.connection.execute("UPDATE pgscorer.models SET health = 'fail', health_reasons = '[\"flags every probe\"]' WHERE model_id = $1", v1.modelID)
            try await refused(SQLText(unsafeSQL: "SELECT pgscorer.activate_model(\(v1.modelID))"), "model \(v1.modelID) failed its health check ([\"flags every probe\"])")
            try await refused(SQLText(unsafeSQL: "SELECT pgscorer.activate_model(999999)"), "no model 999999")
            try await fixture.connection.execute(SQLText(unsafeSQL: "SELECT pgscorer.activate_model(\(v1.modelID), force => true)"))
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE series_id = $1 AND active", v1.seriesID) == 1)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE model_id = $1 AND active", v1.modelID) == 1)
            let cli = try await PgScorerProcess.run(["models", "activate", "\(v2.modelID)"], database: fixture.database)
            #expect(cli.status == 0, "\(cli.output)")
            try await fixture.connection.execute("UPDATE pgscorer.models SET health = 'fail' WHERE model_id = $1", v3.modelID)
            let gated = try await PgScorerProcess.run(["models", "activate", "\(v3.modelID)"], database: fixture.database)
            #expect(gated.status == 1 && gated.output.contains("failed its health check") && gated.output.contains("--force activates it anyway"), "\(gated.output)")
            #expect(!gated.output.contains("23514") && !gated.output.contains("PL/pgSQL"), "\(gated.output)")
        }
    }

    @Test("store_model_version by SQL decides roles as the CLI does and refuses an unknown role in words")
    func storeByHand() async throws {
        try await ScorerFixture.with { fixture in
            let v1 = try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
            let fresh = try await fixture.connection.query(
                "INSERT INTO pgscorer.series (device, sensor, n_features) VALUES ('pump-2', 'temp', 2) RETURNING series_id"
            ).single().decode(0) as Int64
            // A copy of v1 stored into series $1 as role $2 with health $3, forced when $4.
            func store(_ series: Int64, _ role: String, health: String = "ok", force: Bool = false) async throws -> String {
                try await fixture.connection.query(
                    """
                    SELECT (pgscorer.store_model_version($1, kernel, n_features, n_support, params, payload, 'json', NULL, NULL,
                                                         $2, $4, $3, '[]', NULL)).role
                    FROM pgscorer.models WHERE model_id = $5
                    """, series, role, health, force, v1.modelID
                ).single().decode(0)
            }
            #expect(try await store(fresh, "challenger") == "champion", "a series without a champion gets one")
            #expect(try await store(v1.seriesID, "challenger") == "challenger")
            #expect(try await store(v1.seriesID, "champion", health: "fail") == "stored", "a failing champion is only stored")
            #expect(try await store(v1.seriesID, "champion", health: "fail", force: true) == "champion")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE series_id = $1", v1.seriesID) == 4)
            #expect(try await fixture.count(
                "SELECT count(*) FROM pgscorer.models WHERE series_id = $1 AND active AND version = 4", v1.seriesID) == 1, "v1 stepped down")
            #expect(try await fixture.count(
                "SELECT count(*) FROM pgscorer.models WHERE series_id = $1 AND challenger AND version = 2", v1.seriesID) == 1)
            do {
                _ = try await store(v1.seriesID, "backup")
                Issue.record("an unknown role was accepted")
            } catch let error as PostgresError {
                #expect(error.message.contains("stored as champion, challenger or stored, not 'backup'"), "\(error.message)")
            }
        }
    }

    @Test("a training schedule fires once per tick; its jobs store a challenger (or a first champion); a retried job stores one version")
    func trainingTicks() async throws {
        try await ScorerFixture.with { fixture in
            let now = Int64(Date().timeIntervalSince1970)
            let start = PostgresTimestamp(unixMicroseconds: (now - 3 * 3600) * 1_000_000)
            try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
            try await fixture.loadReadings(device: "pump-1", sensor: "temp", start: start, count: 150, featureCount: 2)
            try await fixture.loadReadings(device: "pump-2", sensor: "temp", start: start, count: 150, featureCount: 2, seed: 9)
            // Too few readings to train: that job fails, saying so (and holds nothing).
            try await fixture.loadReadings(device: "pump-3", sensor: "temp", start: start, count: 5, featureCount: 2, seed: 4)
            let bad = try await PgScorerProcess.run(
                ["schedule", "add", "weekly", "--every", "1h", "--window", "6h", "--train", "--nu", "1.5"], database: fixture.database)
            #expect(bad.status == 64 && bad.output.contains("nu must be in (0, 1]"), "\(bad.output)")
            do {
                try await fixture.connection.execute(
                    "INSERT INTO pgscorer.schedules (name, every, \"window\", kind, train_params) VALUES ('sql', '1 hour', '6 hours', 'train', '{\"nu\": \"lots\"}')")
                Issue.record("bad train_params accepted")
            } catch let error as PostgresError {
                #expect(error.message.contains("schedule sql: train_params: nu must be a number in (0, 1], got \"lots\""), "\(error.message)")
            }
            let add = try await PgScorerProcess.run(
                ["schedule", "add", "retrain", "--every", "1h", "--window", "6h", "--train", "--nu", "0.05", "--scaler", "standard"],
                database: fixture.database)
            #expect(add.status == 0, "\(add.output)")
            // The same schedule as if made two hours ago, so that its latest hourly tick is due now.
            try await fixture.connection.execute(
                """
                WITH old AS (DELETE FROM pgscorer.schedules WHERE name = 'retrain' RETURNING *)
                INSERT INTO pgscorer.schedules (name, every, "window", kind, train_params, created_at)
                SELECT name, every, "window", kind, train_params, now() - interval '2 hours' FROM old
                """)
            let scheduler = Scheduler(connection: fixture.connection, workerID: "test", logger: Logger(label: "test"))
            let other = Scheduler(connection: try await fixture.database.connect(), workerID: "other", logger: Logger(label: "test"))
            #expect(try await scheduler.fireDueTicks().map(\.jobsCreated) == [3])
            #expect(try await other.fireDueTicks().isEmpty, "the tick is taken once")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE kind = 'train' AND train_params ->> 'nu' = '0.05'") == 3)

            // A worker claims them and dies: the lease expires, another worker trains.
            let queue = try await fixture.queue("dead-worker")
            let claimed = try await queue.claim(limit: 10, lease: .seconds(60))
            #expect(claimed.count == 3 && claimed.allSatisfy(\.isTraining))
            try await fixture.connection.execute("UPDATE pgscorer.jobs SET lease_until = now() - interval '1 second' WHERE lease_owner = 'dead-worker'")
            let worker = try await PgScorerProcess.run(["worker", "--exit-when-idle", "--no-scheduler"], database: fixture.database)
            #expect(worker.status == 0, "\(worker.output)")
            // The first claimant comes back late: the fence refuses it, no second version.
            let failed = try await fixture.connection.query(
                "SELECT j.state::text AS state, j.last_error FROM pgscorer.jobs j JOIN pgscorer.series s USING (series_id) WHERE s.device = 'pump-3'"
            ).single()
            #expect(try failed.decode("state") as String == "failed")
            #expect(try (failed.decode("last_error") as String?)?.contains("only 5 reading(s) in the window, fewer than min_readings 10") == true)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.series_failures") == 0, "a failed retrain holds no series")
            let late = try await TrainingJobRunner().run(claimed[0], queue: queue)
            guard case .lost = late else { Issue.record("a late attempt stored a model: \(late)"); return }
            let roles = try await fixture.connection.query(
                """
                SELECT s.device, count(*) AS versions, bool_or(m.challenger) AS challenger, bool_or(m.active) AS champion,
                       max(m.training_rows) AS rows, max(m.params ->> 'nu') AS nu
                FROM pgscorer.models m JOIN pgscorer.series s USING (series_id) GROUP BY s.device ORDER BY s.device
                """)
            #expect(roles.count == 2)
            // pump-1 had a champion: the new version is its challenger; pump-2 had none.
            #expect(try roles[0].decode("versions") as Int == 2 && roles[0].decode("challenger") as Bool)
            #expect(try roles[1].decode("versions") as Int == 1 && !(roles[1].decode("challenger") as Bool))
            let inWindow = try await fixture.count(
                """
                SELECT count(*) FROM pgscorer.readings r JOIN pgscorer.jobs j USING (series_id)
                WHERE j.kind = 'train' AND r.ts >= j.window_start AND r.ts < j.window_end
                  AND j.series_id = (SELECT series_id FROM pgscorer.series WHERE device = 'pump-1')
                """)
            #expect(try roles[0].decode("rows") as Int == inWindow && inWindow >= 90 && roles[0].decode("nu") as String == "0.05")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.job_runs WHERE outcome = 'abandoned'") == 3)
        }
    }

    @Test("train --challenger stores challengers; the first version of a series becomes its champion")
    func trainChallenger() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.loadReadings(device: "pump-1", sensor: "temp", start: Self.start, count: 100, featureCount: 2)
            let first = try await PgScorerProcess.run(["train", "--challenger", "--nu", "0.1", "--force"], database: fixture.database)
            #expect(first.status == 0, "\(first.output)")
            let second = try await PgScorerProcess.run(["train", "--challenger", "--nu", "0.2"], database: fixture.database)
            #expect(second.status == 0, "\(second.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE version = 1 AND active") == 1)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE version = 2 AND challenger") == 1)
            let list = try await PgScorerProcess.run(["models", "list", "--format", "csv"], database: fixture.database)
            #expect(list.output.contains(",challenger,"), "\(list.output)")
        }
    }
}
