import Foundation
import HummingbirdTesting
import Migrations
import NIOCore
import PgClient
import TestSupport
import Testing

import PgScorer

/// PgScorer on a real Citus cluster: a coordinator and two worker nodes started by
/// scripts/test (scripts/citus-cluster). Each test has a database of its own on all three.
@Suite("Citus: a coordinator and two worker nodes", .serialized)
struct CitusTests {
    /// A migrated database on the Citus cluster.
    static func withFixture<T>(
        isolation: isolated (any Actor)? = #isolation, _ body: (ScorerFixture) async throws -> T
    ) async throws -> T {
        try await CitusTestCluster.with { database in
            let connection = try await database.connect()
            try await Migrator().migrate(connection)
            return try await body(ScorerFixture(database: database, connection: connection))
        }
    }

    /// `series` series (pump-N/temp) with a model and one reading a minute from `start`,
    /// and one job per series and hour of them: returns the number of jobs.
    @discardableResult
    static func loadFleet(_ fixture: ScorerFixture, series: Int, hours: Int, featureCount: Int = 2, supportVectors: Int = 24) async throws -> Int {
        let start = PostgresTimestamp.utc("2026-11-20T00:00:00Z")
        for device in 0..<series {
            _ = try await ModelStore(connection: fixture.connection).add(
                try ScorerFixture.model(featureCount: featureCount, supportVectors: supportVectors, seed: UInt64(device + 1)),
                device: "pump-\(device)", sensor: "temp", source: "json", force: true)
            try await fixture.loadReadings(
                device: "pump-\(device)", sensor: "temp", start: start, count: hours * 60, featureCount: featureCount, seed: UInt64(device + 7))
        }
        for hour in 0..<hours {
            let from = PostgresTimestamp(microsecondsSince2000: start.microsecondsSince2000 + Int64(hour) * 3_600_000_000)
            try await fixture.enqueue(from, PostgresTimestamp(microsecondsSince2000: from.microsecondsSince2000 + 3_600_000_000))
        }
        return try await fixture.count("SELECT count(*) FROM pgscorer.jobs")
    }

    /// Every reading has exactly one prediction (every test's jobs cover all readings).
    static func expectEveryReadingPredictedOnce(_ fixture: ScorerFixture, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let readings = try await fixture.count("SELECT count(*) FROM pgscorer.readings")
        #expect(readings > 0, sourceLocation: sourceLocation)
        let unpredicted = try await fixture.count(
            """
            SELECT count(*) FROM pgscorer.readings r
            WHERE NOT EXISTS (SELECT 1 FROM pgscorer.predictions p WHERE p.series_id = r.series_id AND p.ts = r.ts)
            """)
        #expect(unpredicted == 0, "readings without a prediction", sourceLocation: sourceLocation)
        let duplicated = try await fixture.count(
            "SELECT count(*) FROM (SELECT 1 FROM pgscorer.predictions GROUP BY series_id, ts HAVING count(*) > 1) d")
        #expect(duplicated == 0, "readings predicted twice", sourceLocation: sourceLocation)
        #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions") == readings, sourceLocation: sourceLocation)
    }

    /// Rows of a distributed table on each worker node (port → rows), counted on the shards themselves.
    static func rowsPerNode(_ fixture: ScorerFixture, _ table: String) async throws -> [Int: Int] {
        let rows = try await fixture.connection.query(
            """
            SELECT nodeport, sum(result::int8)::int8 FROM run_command_on_placements($1::regclass, 'SELECT count(*) FROM %s')
            GROUP BY nodeport
            """, table)
        var counts: [Int: Int] = [:]
        for row in rows { counts[try row.decode(0)] = try row.decode(1) }
        return counts
    }

    @Test("migrate lays readings and predictions out by series on both worker nodes; two workers score every reading once; the reader reports through the coordinator")
    func exactlyOnce() async throws {
        try await Self.withFixture { fixture in
            // The layout: the data distributed and co-located, the control plane on the coordinator.
            let placed = try await fixture.connection.query(
                """
                SELECT logicalrelid::regclass::text, partmethod::text, colocationid FROM pg_dist_partition
                WHERE logicalrelid IN ('pgscorer.readings'::regclass, 'pgscorer.predictions'::regclass, 'pgscorer.series_directory'::regclass,
                                       'pgscorer.jobs'::regclass, 'pgscorer.job_runs'::regclass, 'pgscorer.series'::regclass,
                                       'pgscorer.models'::regclass)
                ORDER BY 1
                """
            ).map { (try $0.decode(0) as String, try $0.decode(1) as String, try $0.decode(2) as Int) }
            try #require(placed.map(\.0) == ["pgscorer.predictions", "pgscorer.readings", "pgscorer.series_directory"])
            #expect(placed[0].1 == "h" && placed[1].1 == "h" && placed[0].2 == placed[1].2, "co-located hash distribution")
            #expect(placed[2].1 == "n", "the directory is a reference table")
            let again = try await PgScorerProcess.run(["migrate"], database: fixture.database)
            #expect(again.status == 0, "\(again.output)")
            #expect(again.output.contains("schema is up to date"))
            #expect(again.output.contains("pgscorer.predictions, pgscorer.readings distributed by series_id in 32 shards over 2 worker node(s)"))

            // Two ingests at once as the least-privileged ingest login, each making new
            // series, some the same, and the month's partitions (made as the owner, on their
            // own, before the readings go in): every reading stored once, each series once in
            // the directory.
            let ingest = try await SecurityTests.login(fixture, role: "pgscorer_ingest")
            let files = try (0..<2).map { file in
                try temporaryFile(
                    "readings-\(file).csv",
                    "device,sensor,ts,a,b\n" + (0..<4).flatMap { device in
                        (0..<30).map { minute in
                            "tank-\(device + 2 * file),level,2026-11-20T05:\(String(format: "%02d", minute)):00Z,\(minute),\(device + 2 * file)"
                        }
                    }.joined(separator: "\n"))
            }
            let loads = try files.map { try PgScorerProcess(["ingest", $0], database: ingest) }
            for load in loads {
                let (status, output) = try await load.finish()
                #expect(status == 0, "\(output)")
            }
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 6 * 30)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.series_directory") == 6)
            // The careful way (standard input) cannot make a month first: it loads nothing
            // and says what to do.
            let ingestConnection = try await ingest.connect()
            let march = (0..<3).map { minute in
                ParsedReading(
                    device: "tank-0", sensor: "level", ts: .utc("2025-03-01T00:0\(minute):00Z"), features: [1, 2], line: minute + 2)
            }
            await #expect {
                try await ReadingStore(connection: ingestConnection).load(replayable: false, makeSource: { ArrayReadingSource(march) })
            } throws: { error in
                "\(error)".contains("nothing was loaded: on Citus, this login cannot store readings in a month")
            }
            await ingestConnection.close()
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 6 * 30, "nothing of it stored")
            // The readings' trigger refuses on the worker nodes what it refuses on one server.
            for (sql, message) in [
                ("INSERT INTO pgscorer.readings (series_id, ts, n_features, features) VALUES (999999, '2026-11-20T06:00:00Z', 1, '{1}')",
                 "readings refer to series 999999, which does not exist"),
                ("INSERT INTO pgscorer.readings (series_id, ts, n_features, features) SELECT series_id, '2026-11-20T06:00:00Z', 3, '{1,2,3}' FROM pgscorer.series LIMIT 1",
                 "have 3 features, but the series has 2"),
            ] {
                do {
                    try await fixture.connection.execute(PostgresQuery(SQLText(unsafeSQL: sql)))
                    Issue.record("not refused: \(sql)")
                } catch let error as PostgresError {
                    // (An INSERT … SELECT travels as a COPY, whose worker errors Citus reports as XX000.)
                    #expect(error.raisedSQLState == SQLState.foreignKeyViolation && error.message.contains(message), "\(error)")
                }
            }
            try await fixture.connection.execute("DELETE FROM pgscorer.readings")

            let jobs = try await Self.loadFleet(fixture, series: 8, hours: 4)
            let workers = try (0..<2).map { _ in
                try PgScorerProcess(["worker", "--exit-when-idle", "--no-scheduler", "--concurrency", "2", "--batch", "2"], database: fixture.database)
            }
            for worker in workers {
                let (status, output) = try await worker.finish()
                #expect(status == 0, "worker output: \(output)")
            }
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed'") == jobs)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.job_runs WHERE outcome = 'completed'") == jobs)
            try await Self.expectEveryReadingPredictedOnce(fixture)

            // Physically on both worker nodes, and nothing on the coordinator.
            let readings = try await Self.rowsPerNode(fixture, "pgscorer.readings")
            let predictions = try await Self.rowsPerNode(fixture, "pgscorer.predictions")
            let workerPorts = Set([try CitusTestCluster.port("worker1"), try CitusTestCluster.port("worker2")])
            #expect(Set(readings.keys) == workerPorts && Set(predictions.keys) == workerPorts)
            #expect(readings.values.allSatisfy { $0 > 0 } && predictions.values.allSatisfy { $0 > 0 }, "\(readings) \(predictions)")
            #expect(readings.values.reduce(0, +) == 8 * 240 && predictions == readings)
            let shardNodes = try await fixture.count(
                "SELECT count(DISTINCT nodeport) FROM citus_shards WHERE table_name = 'pgscorer.predictions'::regclass")
            #expect(shardNodes == 2)

            // The reader role: status, report and export through the coordinator.
            let reader = try await SecurityTests.login(fixture, role: "pgscorer_reader")
            let status = try await PgScorerProcess.run(["status"], database: reader)
            #expect(status.status == 0 && status.output.contains("completed \(jobs)"), "\(status.output)")
            let report = try await PgScorerProcess.run(
                ["report", "--since", "2026-11-20T00:00:00Z", "--until", "2026-11-21T00:00:00Z", "--format", "csv"], database: reader)
            #expect(report.status == 0, "\(report.output)")
            #expect(report.output.contains("pump-7,temp,240,"), "\(report.output)")
            let export = try await PgScorerProcess.run(
                ["export", "predictions", "--since", "2026-11-20T00:00:00Z", "--until", "2026-11-21T00:00:00Z"], database: reader)
            #expect(export.status == 0, "\(export.output)")
            #expect(export.output.split(separator: "\n").filter { $0.hasPrefix("pump-") }.count == 8 * 240, "one line per prediction")

            // Raw samples stay on one server for now: refused in words, nothing stored.
            let aggregate = try await PgScorerProcess.run(
                ["aggregate", "add", "m5", "--window", "5m", "--features", "mean", "--sensor", "raw", "--target", "raw_5m"],
                database: fixture.database)
            #expect(aggregate.status != 0 && aggregate.output.contains("not available on a Citus cluster yet"), "\(aggregate.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.aggregations") == 0)
        }
    }

    @Test("operating the cluster: health and its alerts' conditions, a training schedule, the dashboard through a reader login, retention dropping a month on every node")
    func operating() async throws {
        try await Self.withFixture { fixture in
            // Two hours up to now for four series, scored; and an old month for another.
            let now: PostgresTimestamp = try await fixture.connection.query("SELECT date_trunc('minute', now())").single().decode(0)
            let start = PostgresTimestamp(microsecondsSince2000: now.microsecondsSince2000 - 120 * 60_000_000)
            for device in 0..<4 {
                try await fixture.addModel(device: "pump-\(device)", sensor: "temp", featureCount: 2, seed: UInt64(device + 1))
                try await fixture.loadReadings(device: "pump-\(device)", sensor: "temp", start: start, count: 120, featureCount: 2)
            }
            try await fixture.loadReadings(device: "old-pump", sensor: "temp", start: .utc("2026-11-02T00:00:00Z"), count: 60, featureCount: 2)
            try await fixture.enqueue(start, PostgresTimestamp(microsecondsSince2000: now.microsecondsSince2000 + 60_000_000))
            let scored = try await PgScorerProcess.run(["worker", "--exit-when-idle", "--no-scheduler"], database: fixture.database)
            #expect(scored.status == 0, "\(scored.output)")
            try await fixture.connection.execute(
                "INSERT INTO pgscorer.schedules (name, every, \"window\") VALUES ('hourly', '1 hour', '1 hour')")

            // Health reads the distributed readings and predictions per series: every series
            // judged, its newest reading, and its window's and baseline's predictions counted
            // as the predictions table has them.
            let health = try await PgScorerProcess.run(["health"], database: fixture.database)
            #expect(health.status == 0, "\(health.output)")
            #expect(health.output.split(separator: "\n").filter { $0.hasPrefix("pump-") }.count == 4, "\(health.output)")
            let newest = PostgresTimestamp(microsecondsSince2000: start.microsecondsSince2000 + 119 * 60_000_000)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.series_health WHERE newest_reading = $1", newest) == 4)
            let counted = try await fixture.connection.query(
                """
                SELECT (SELECT sum(recent_scored)::int8 FROM pgscorer.series_health),
                       (SELECT count(*) FROM pgscorer.predictions WHERE ts >= now() - interval '1 hour'),
                       (SELECT sum(baseline_rate) FROM pgscorer.series_health),
                       (SELECT sum(rate) FROM (SELECT avg(is_anomaly::int)::float8 AS rate FROM pgscorer.predictions
                                               WHERE ts < now() - interval '1 hour' GROUP BY series_id) r)
                """
            ).single()
            #expect(try counted.decode(0) as Int == (try counted.decode(1) as Int))
            #expect(abs((try counted.decode(2) as Double) - (try counted.decode(3) as Double)) < 1e-9)
            try await fixture.connection.execute("INSERT INTO pgscorer.alert_rules (name, kind) VALUES ('any-problem', 'stale')")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.alert_conditions()") == 0, "fresh series are not stale")

            // A training schedule: its tick finds the series with readings in its window on
            // the worker nodes, and a worker trains each a challenger.
            let retrain = try await PgScorerProcess.run(
                ["schedule", "add", "retrain", "--every", "1s", "--window", "3h", "--train", "--nu", "0.2"], database: fixture.database)
            #expect(retrain.status == 0, "\(retrain.output)")
            let trainer = try PgScorerProcess(["worker", "--poll", "200ms"], database: fixture.database)
            let deadline = ContinuousClock.now + .seconds(60)
            while try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE challenger") < 4 {
                try #require(ContinuousClock.now < deadline, "no challengers trained")
                try await Task.sleep(for: .milliseconds(100))
            }
            trainer.signal(SIGTERM)
            let trained = try await trainer.finish(timeout: .seconds(60))
            #expect(trained.status == 0, "\(trained.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE kind = 'train' AND state = 'failed'") == 0)
            try await fixture.connection.execute("UPDATE pgscorer.schedules SET enabled = false")

            // The dashboard: refused in words without a reader login; with one, the pages that
            // read the worker nodes answer.
            let refused = try await PgScorerProcess.run(["serve", "--listen", "127.0.0.1:0"], database: fixture.database)
            #expect(refused.status != 0 && refused.output.contains("needs --reader-url"), "\(refused.output)")
            let reader = try await SecurityTests.login(fixture, role: "pgscorer_reader")
            let serve = try PgScorerProcess(
                ["serve", "--listen", "127.0.0.1:0", "--reader-url", reader.url], database: fixture.database)
            let port = try await DashboardTests.waitForPort(serve, pattern: /dashboard at http:\/\/127\.0\.0\.1:(\d+)\//)
            let client = TestClient(host: "127.0.0.1", port: port)
            client.connect()
            for path in ["/", "/series?device=pump-1&sensor=temp", "/health", "/models", "/jobs", "/schedules", "/ingest"] {
                let page = try await client.get(path)
                let body = String(buffer: page.body ?? ByteBuffer())
                #expect(page.head.status == .ok, "\(path): \(body.prefix(600))")
            }
            try await client.shutdown()
            serve.signal(SIGTERM)
            _ = try await serve.finish(timeout: .seconds(30))

            // Retention drops November's partitions, and their shards on both worker nodes.
            let shards = try await fixture.count(
                "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid::text IN ('pgscorer.readings_202611', 'pgscorer.predictions_202611')")
            #expect(shards == 64)
            let pruned = try await PgScorerProcess.run(["prune", "--readings", "1d", "--predictions", "1d"], database: fixture.database)
            #expect(pruned.status == 0, "\(pruned.output)")
            #expect(try await fixture.count(
                "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid::text IN ('pgscorer.readings_202611', 'pgscorer.predictions_202611')") == 0)
            let left = try await fixture.connection.query(
                "SELECT result FROM run_command_on_workers($$SELECT count(*) FROM pg_class WHERE relname LIKE '%\\_202611\\_%'$$)"
            ).map { try $0.decode(0) as String }
            #expect(left == ["0", "0"], "shard tables of November left on the worker nodes")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 4 * 120, "December's readings stay")

            // A database whose layout is missing (Citus added after it was migrated) is
            // named as such, and migrate lays it out again.
            try await fixture.connection.execute("DROP TABLE pgscorer.series_directory CASCADE")
            let unplaced = try await PgScorerProcess.run(["status"], database: fixture.database)
            #expect(unplaced.status != 0 && unplaced.output.contains("not laid out for Citus yet: run `pgscorer migrate`"), "\(unplaced.output)")
            let migrated = try await PgScorerProcess.run(["migrate"], database: fixture.database)
            #expect(migrated.status == 0, "\(migrated.output)")
            #expect(try await PgScorerProcess.run(["status"], database: fixture.database).status == 0)
            try await fixture.loadReadings(device: "pump-9", sensor: "temp", start: start, count: 10, featureCount: 2)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.series_directory") == 6)
        }
    }

    @Test("a database used on one server, then made a Citus coordinator: migrate distributes its rows and leaves no copy behind")
    func distributedAfterUse() async throws {
        try await CitusTestCluster.with(coordinator: false) { database in
            let connection = try await database.connect()
            try await Migrator().migrate(connection)
            let fixture = ScorerFixture(database: database, connection: connection)
            let jobs = try await Self.loadFleet(fixture, series: 4, hours: 2)
            let scored = try await PgScorerProcess.run(["worker", "--exit-when-idle", "--no-scheduler"], database: database)
            #expect(scored.status == 0, "\(scored.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed'") == jobs)

            try await CitusTestCluster.makeCoordinator(database)
            let status = try await PgScorerProcess.run(["status"], database: database)
            #expect(status.status != 0 && status.output.contains("not laid out for Citus yet"), "\(status.output)")
            let migrated = try await PgScorerProcess.run(["migrate"], database: database)
            #expect(migrated.status == 0 && migrated.output.contains("distributed by series_id"), "\(migrated.output)")
            let again = try await PgScorerProcess.run(["migrate"], database: database)
            #expect(again.status == 0 && again.output.contains("schema is up to date"), "\(again.output)")

            let check = ScorerFixture(database: database, connection: try await database.connect())
            #expect(try await Self.rowsPerNode(check, "pgscorer.readings").values.reduce(0, +) == 4 * 120)
            #expect(try await Self.rowsPerNode(check, "pgscorer.predictions").values.reduce(0, +) == 4 * 120)
            try await Self.expectEveryReadingPredictedOnce(check)
            #expect(try await check.count("SELECT count(*) FROM pgscorer.series_directory") == 4)
            let leftBehind = try await check.count(
                "SELECT coalesce(sum(pg_relation_size(c.oid)), 0)::int8 FROM pg_class c WHERE c.relname IN ('readings_202611', 'predictions_202611')")
            #expect(leftBehind == 0, "the coordinator keeps no copy of the distributed rows")
        }
    }

    @Test("kill -9 of a worker process holding leases: its jobs come back after the lease, every reading is predicted once")
    func killedWorker() async throws {
        try await Self.withFixture { fixture in
            let jobs = try await Self.loadFleet(fixture, series: 4, hours: 24, featureCount: 4, supportVectors: 200)
            let arguments = ["worker", "--no-scheduler", "--concurrency", "1", "--batch", "2", "--lease", "2s", "--poll", "200ms"]
            let victim = try PgScorerProcess(arguments, database: fixture.database)
            let survivor = try PgScorerProcess(arguments, database: fixture.database)
            let owner = "%:\(victim.process.processIdentifier):%"
            let deadline = ContinuousClock.now + .seconds(60)
            while try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'running' AND lease_owner LIKE $1", owner) == 0 {
                try #require(ContinuousClock.now < deadline, "the worker never held a lease")
                try await Task.sleep(for: .milliseconds(1))
            }
            victim.signal(SIGKILL)
            _ = try await victim.finish(timeout: .seconds(10))
            let drain = try await PgScorerProcess.run(
                ["worker", "--no-scheduler", "--exit-when-idle", "--lease", "2s", "--poll", "200ms"], database: fixture.database)
            #expect(drain.status == 0, "\(drain.output)")
            survivor.signal(SIGTERM)
            _ = try await survivor.finish(timeout: .seconds(30))
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed'") == jobs)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.job_runs WHERE outcome = 'completed'") == jobs)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.job_runs WHERE outcome = 'abandoned'") >= 1)
            try await Self.expectEveryReadingPredictedOnce(fixture)
        }
    }

    @Test("a Citus worker node restarted while workers score: the attempts it broke are retried, nothing is lost or written twice")
    func workerNodeRestart() async throws {
        try await Self.withFixture { fixture in
            let jobs = try await Self.loadFleet(fixture, series: 4, hours: 24, featureCount: 4, supportVectors: 200)
            let workers = try (0..<2).map { _ in
                try PgScorerProcess(
                    ["worker", "--no-scheduler", "--concurrency", "1", "--batch", "2", "--lease", "5s", "--poll", "200ms", "--retry-base", "1s"],
                    database: fixture.database)
            }
            var deadline = ContinuousClock.now + .seconds(60)
            while try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed'") < 10 {
                try #require(ContinuousClock.now < deadline, "the workers completed nothing")
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed'") < jobs, "work still in flight")
            try await onOwnThread { try CitusTestCluster.restart("worker1") }
            // This session's own connection to that node died with it: check from a new one.
            await fixture.connection.close()
            let fixture = ScorerFixture(database: fixture.database, connection: try await fixture.database.connect())
            deadline = ContinuousClock.now + .seconds(120)
            while try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed'") < jobs {
                let failed = try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'failed'")
                try #require(failed == 0, "a job failed for good")
                try #require(ContinuousClock.now < deadline, "the workers did not finish after the node restart")
                try await Task.sleep(for: .milliseconds(100))
            }
            for worker in workers {
                worker.signal(SIGTERM)
                let (status, output) = try await worker.finish(timeout: .seconds(60))
                #expect(status == 0, "\(output)")
            }
            // A commit whose second phase the restart cut off is finished by Citus's recovery.
            try await fixture.connection.execute("SELECT recover_prepared_transactions()")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.job_runs WHERE outcome = 'completed'") == jobs)
            try await Self.expectEveryReadingPredictedOnce(fixture)
        }
    }

    @Test("two schedulers on the cluster fire each tick once")
    func ticksOnce() async throws {
        try await Self.withFixture { fixture in
            for device in 0..<4 {
                try await fixture.addModel(device: "pump-\(device)", sensor: "temp", featureCount: 2)
            }
            try await fixture.connection.execute("INSERT INTO pgscorer.schedules (name, every, \"window\") VALUES ('tick', '1 second', '1 minute')")
            let workers = try (0..<2).map { _ in try PgScorerProcess(["worker", "--concurrency", "1", "--poll", "200ms"], database: fixture.database) }
            let deadline = ContinuousClock.now + .seconds(60)
            while try await fixture.count("SELECT count(*) FROM pgscorer.schedule_runs") < 4 {
                try #require(ContinuousClock.now < deadline, "no ticks fired")
                try await Task.sleep(for: .milliseconds(100))
            }
            for worker in workers {
                worker.signal(SIGTERM)
                let (status, output) = try await worker.finish(timeout: .seconds(60))
                #expect(status == 0, "\(output)")
            }
            let ticks = try await fixture.count("SELECT count(*) FROM pgscorer.schedule_runs")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE schedule_id IS NOT NULL") == 4 * ticks)
            #expect(try await fixture.count(
                "SELECT count(*) FROM (SELECT 1 FROM pgscorer.jobs WHERE schedule_id IS NOT NULL GROUP BY scheduled_for, series_id HAVING count(*) > 1) d") == 0)
        }
    }

    @Test("migrate --distributed on a server without Citus loaded says so and changes nothing")
    func distributedWithoutCitus() async throws {
        try await TestDatabase.with { database in
            let result = try await PgScorerProcess.run(["migrate", "--distributed"], database: database)
            #expect(result.status != 0)
            // Citus is installed here (scripts/test built it) but not preloaded by this server.
            #expect(result.output.contains("--distributed: this server has Citus installed but cannot create its extension"), "\(result.output)")
            #expect(!result.output.contains("SQLSTATE"), "\(result.output)")
            let connection = try await database.connect()
            let tables: Bool = try await connection.query("SELECT to_regclass('pgscorer.readings') IS NULL").single().decode(0)
            #expect(tables, "nothing migrated")
            await connection.close()
        }
    }
}
