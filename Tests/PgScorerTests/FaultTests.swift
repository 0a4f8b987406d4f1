import Foundation
import Kernels
import Logging
import Migrations
import PgClient
import TestSupport
import Testing

import PgScorer

/// Faults injected into real worker processes against a real PostgreSQL.
@Suite("Faults")
struct FaultTests {
    /// Every reading of every job window has exactly one prediction by the job's model.
    static func expectExactlyOncePredictions(_ fixture: ScorerFixture) async throws {
        let missing = try await fixture.count(
            """
            SELECT count(*) FROM pgscorer.jobs j JOIN pgscorer.readings r
              ON r.series_id = j.series_id AND r.ts >= j.window_start AND r.ts < j.window_end
            WHERE NOT EXISTS (SELECT 1 FROM pgscorer.predictions p WHERE p.series_id = r.series_id AND p.ts = r.ts AND p.model_id = j.model_id)
            """)
        #expect(missing == 0, "readings without a prediction")
        let readings = try await fixture.count("SELECT count(*) FROM pgscorer.readings")
        #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions") == readings, "one prediction per reading")
    }

    /// Every reading in the window of every completed job has exactly one prediction by its model.
    static func expectExactlyOncePredictionsOfCompletedJobs(_ fixture: ScorerFixture) async throws {
        let missing = try await fixture.count(
            """
            SELECT count(*) FROM pgscorer.jobs j JOIN pgscorer.readings r
              ON r.series_id = j.series_id AND r.ts >= j.window_start AND r.ts < j.window_end
            WHERE j.state = 'completed'
              AND NOT EXISTS (SELECT 1 FROM pgscorer.predictions p WHERE p.series_id = r.series_id AND p.ts = r.ts AND p.model_id = j.model_id)
            """)
        #expect(missing == 0, "readings of completed jobs without a prediction")
        #expect(try await fixture.count(
            "SELECT count(*) FROM (SELECT 1 FROM pgscorer.predictions GROUP BY series_id, ts, model_id HAVING count(*) > 1) d") == 0)
    }

    @Test("kill -9 of workers at random points while 3 run: every job completes, every reading is predicted once")
    func killedWorkers() async throws {
        try await ScorerFixture.with { fixture in
            let start = PostgresTimestamp.utc("2026-11-20T00:00:00Z")
            for device in 0..<4 {
                _ = try await ModelStore(connection: fixture.connection).add(
                    try ScorerFixture.model(featureCount: 4, supportVectors: 300), device: "pump-\(device)", sensor: "temp", source: "json", force: true)
                try await fixture.loadReadings(device: "pump-\(device)", sensor: "temp", start: start, count: 6000, featureCount: 4)
            }
            for slice in 0..<200 {
                let from = PostgresTimestamp(microsecondsSince2000: start.microsecondsSince2000 + Int64(slice) * 1_800_000_000)
                try await fixture.enqueue(from, PostgresTimestamp(microsecondsSince2000: from.microsecondsSince2000 + 1_800_000_000))
            }
            let total = try await fixture.count("SELECT count(*) FROM pgscorer.jobs")
            let arguments = ["worker", "--no-scheduler", "--concurrency", "1", "--batch", "3", "--lease", "2s", "--poll", "200ms"]
            var workers = try (0..<3).map { _ in try PgScorerProcess(arguments, database: fixture.database) }
            var kills = 0
            var generator = SystemRandomNumberGenerator()
            killing: while kills < 4 {
                // Kill a worker while it holds leases (its worker id carries its pid), at a random moment.
                let victim = Int.random(in: 0..<workers.count, using: &generator)
                let pid = "%:\(workers[victim].process.processIdentifier):%"
                while try await fixture.count(
                    "SELECT count(*) FROM pgscorer.jobs WHERE state = 'running' AND lease_owner LIKE $1", pid) == 0 {
                    if try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state IN ('available', 'retryable')") == 0 {
                        break killing  // the queue drained first (a fast machine)
                    }
                    try await Task.sleep(for: .milliseconds(1))
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...20, using: &generator)))
                workers[victim].signal(SIGKILL)
                _ = try await workers[victim].finish(timeout: .seconds(10))
                workers[victim] = try PgScorerProcess(arguments, database: fixture.database)
                kills += 1
            }
            // Drain: the survivors and one more worker that exits when nothing is left.
            let drain = try await PgScorerProcess.run(
                ["worker", "--no-scheduler", "--exit-when-idle", "--lease", "2s", "--poll", "200ms"], database: fixture.database)
            #expect(drain.status == 0, "\(drain.output)")
            for worker in workers {
                worker.signal(SIGTERM)
                _ = try await worker.finish(timeout: .seconds(30))
            }
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed'") == total)
            try await Self.expectExactlyOncePredictions(fixture)
            // Each completed attempt is logged once; killed ones that held jobs show as abandoned.
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.job_runs WHERE outcome = 'completed'") == total)
            let abandoned = try await fixture.count("SELECT count(*) FROM pgscorer.job_runs WHERE outcome = 'abandoned'")
            // Every attempt before a job's last was lost: to a kill, or (on a loaded machine) to a lease
            // that ran out while its worker starved, and a job can lose more than one.
            let lostAttempts = try await fixture.count("SELECT coalesce(sum(attempt - 1), 0)::int8 FROM pgscorer.jobs")
            #expect(kills >= 2, "the queue drained before the faults could be injected")
            #expect(abandoned >= kills, "each kill abandoned at least the job in hand")
            let otherOutcomes = try await fixture.connection.query(
                "SELECT outcome::text || ': ' || coalesce(error, '') FROM pgscorer.job_runs WHERE outcome NOT IN ('completed', 'abandoned')"
            ).map { try $0.decode(0) as String }
            #expect(abandoned == lostAttempts, "other outcomes: \(otherOutcomes.prefix(3))")
        }
    }

    @Test("a worker paused past its lease cannot overwrite the attempt that took over")
    func pausedWorkerIsFenced() async throws {
        try await ScorerFixture.with { fixture in
            let start = PostgresTimestamp.utc("2026-11-20T00:00:00Z")
            // One heavy job: many readings against a model with many support vectors.
            _ = try await ModelStore(connection: fixture.connection).add(
                try ScorerFixture.model(featureCount: 16, supportVectors: 400), device: "pump-1", sensor: "temp", source: "json", force: true)
            try await fixture.loadReadings(device: "pump-1", sensor: "temp", start: start, count: 15_000, step: 1, featureCount: 16)
            let jobID = try #require(try await fixture.enqueue(start, .utc("2026-11-21T00:00:00Z")).first)

            let paused = try PgScorerProcess(["worker", "--no-scheduler", "--concurrency", "1", "--lease", "1s"], database: fixture.database)
            let deadline = ContinuousClock.now + .seconds(30)
            while try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'running'") == 0 {
                try #require(ContinuousClock.now < deadline, "the first worker never claimed the job")
                try await Task.sleep(for: .milliseconds(2))
            }
            paused.signal(SIGSTOP)
            try await Task.sleep(for: .milliseconds(1500))
            let successor = try await PgScorerProcess.run(
                ["worker", "--no-scheduler", "--exit-when-idle", "--lease", "30s"], database: fixture.database, timeout: .seconds(120))
            #expect(successor.status == 0, "\(successor.output)")
            let finished: PostgresTimestamp = try await fixture.connection.query(
                "SELECT finished_at FROM pgscorer.jobs WHERE job_id = $1 AND state = 'completed' AND attempt = 2", jobID).single().decode(0)

            paused.signal(SIGCONT)
            // Give the resumed worker time to try to finish its stale attempt.
            let resumed = ContinuousClock.now
            while try await fixture.count(
                "SELECT count(*) FROM pgscorer.job_runs WHERE job_id = $1 AND attempt = 1", jobID) == 0 || ContinuousClock.now - resumed < .seconds(3) {
                try #require(ContinuousClock.now - resumed < .seconds(60))
                try await Task.sleep(for: .milliseconds(100))
            }
            paused.signal(SIGTERM)
            _ = try await paused.finish(timeout: .seconds(60))
            // Nothing written after the successor finished: the stale completion was refused.
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions WHERE scored_at > $1", finished) == 0)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE job_id = $1 AND attempt = 2 AND state = 'completed'", jobID) == 1)
            let outcomes = try await fixture.connection.query(
                "SELECT attempt, outcome::text FROM pgscorer.job_runs WHERE job_id = $1 ORDER BY attempt", jobID)
            #expect(try outcomes.map { "\(try $0.decode(0) as Int):\(try $0.decode(1) as String)" } == ["1:abandoned", "2:completed"])
            try await Self.expectExactlyOncePredictions(fixture)
        }
    }
}

@Suite("Faults: database outages")
struct DatabaseOutageTests {
    @Test("PostgreSQL restarted while workers score and the scheduler ticks: workers reconnect, finish, no tick twice")
    func restart() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-restart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let cluster = EmbeddedCluster(home: home)
        defer {
            _ = try? cluster.stop()
            try? FileManager.default.removeItem(at: home)
        }
        // initdb and pg_ctl wait: on a thread of their own, not the cooperative pool's.
        let url = try await onOwnThread { try cluster.ensureRunning(create: true, logger: .init(label: "test")) }
        let database = TestDatabase(url: url, name: EmbeddedCluster.databaseName)
        let connection = try await database.connect()
        try await Migrator().migrate(connection)
        let fixture = ScorerFixture(database: database, connection: connection)
        let start = PostgresTimestamp.utc("2026-11-20T00:00:00Z")
        for device in 0..<4 {
            _ = try await ModelStore(connection: connection).add(
                try ScorerFixture.model(featureCount: 4, supportVectors: 300), device: "pump-\(device)", sensor: "temp", source: "json", force: true)
            try await fixture.loadReadings(device: "pump-\(device)", sensor: "temp", start: start, count: 6000, featureCount: 4)
        }
        for slice in 0..<150 {
            let from = PostgresTimestamp(microsecondsSince2000: start.microsecondsSince2000 + Int64(slice) * 1_800_000_000)
            try await fixture.enqueue(from, PostgresTimestamp(microsecondsSince2000: from.microsecondsSince2000 + 1_800_000_000))
        }
        try await connection.execute("INSERT INTO pgscorer.schedules (name, every, \"window\") VALUES ('tick', '1 second', '1 minute')")
        let backfill = try await fixture.count("SELECT count(*) FROM pgscorer.jobs")
        let workers = try (0..<2).map { _ in
            try PgScorerProcess(["worker", "--concurrency", "1", "--batch", "2", "--lease", "3s", "--poll", "200ms"], database: database)
        }
        // Restart while work is in flight.
        while try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed'") < 20 {
            try await Task.sleep(for: .milliseconds(10))
        }
        await connection.close()
        #expect(try await onOwnThread { try cluster.stop() })
        try await Task.sleep(for: .milliseconds(500))
        _ = try await onOwnThread { try cluster.ensureRunning(create: false, logger: .init(label: "test")) }
        let after = try await database.connect()
        let check = ScorerFixture(database: database, connection: after)
        let deadline = ContinuousClock.now + .seconds(90)
        while try await check.count("SELECT count(*) FROM pgscorer.jobs WHERE schedule_id IS NULL AND state = 'completed'") < backfill {
            try #require(ContinuousClock.now < deadline, "workers did not finish after the restart")
            try await Task.sleep(for: .milliseconds(100))
        }
        // Ticks keep firing after the restart, each once.
        let ticksBefore = try await check.count("SELECT count(*) FROM pgscorer.schedule_runs")
        try await Task.sleep(for: .seconds(2))
        #expect(try await check.count("SELECT count(*) FROM pgscorer.schedule_runs") > ticksBefore)
        for worker in workers {
            worker.signal(SIGTERM)
            let (status, output) = try await worker.finish(timeout: .seconds(60))
            #expect(status == 0, "\(output)")
        }
        #expect(try await check.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'running'") == 0)
        #expect(try await check.count(
            "SELECT count(*) FROM (SELECT series_id, window_start FROM pgscorer.jobs WHERE schedule_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) d") == 0,
            "a tick's jobs were created twice")
        try await FaultTests.expectExactlyOncePredictionsOfCompletedJobs(check)
        await after.close()
    }

    @Test("a lock timeout fails the attempt, the job retries with backoff, and the worker carries on")
    func lockTimeoutRetries() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
            try await fixture.loadReadings(device: "pump-1", sensor: "temp", start: .utc("2026-11-24T00:00:00Z"), count: 60, featureCount: 2)
            try await fixture.connection.execute(PostgresQuery(SQLText(unsafeSQL: "ALTER DATABASE \(fixture.database.name) SET lock_timeout = '200ms'")))
            // Another session holds the readings table while the job is due.
            let holder = try await fixture.database.connect()
            try await holder.execute("BEGIN")
            try await holder.execute("LOCK TABLE pgscorer.readings IN ACCESS EXCLUSIVE MODE")
            try await fixture.enqueue(.utc("2026-11-24T00:00:00Z"), .utc("2026-11-24T01:00:00Z"))
            let worker = try PgScorerProcess(
                ["worker", "--no-scheduler", "--exit-when-idle", "--retry-base", "500ms", "--poll", "100ms"], database: fixture.database)
            let deadline = ContinuousClock.now + .seconds(30)
            while try await fixture.count("SELECT count(*) FROM pgscorer.job_runs WHERE outcome = 'retry'") == 0 {
                try #require(ContinuousClock.now < deadline, "the attempt never failed")
                try await Task.sleep(for: .milliseconds(20))
            }
            try await holder.execute("COMMIT")
            let (status, output) = try await worker.finish(timeout: .seconds(60))
            #expect(status == 0, "\(output)")
            let error: String = try await fixture.connection.query(
                "SELECT error FROM pgscorer.job_runs WHERE outcome = 'retry' ORDER BY attempt LIMIT 1").single().decode(0)
            #expect(error.contains("55P03") && error.contains("lock timeout"), "\(error)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed' AND attempt >= 2") == 1)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions") == 60)
        }
    }
}

@Suite("Faults: failing writes")
struct FailingWriteTests {
    @Test("a full disk while writing predictions: the attempt retries with backoff, nothing is half-written, the worker survives")
    func diskFull() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
            try await fixture.loadReadings(device: "pump-1", sensor: "temp", start: .utc("2026-11-24T00:00:00Z"), count: 60, featureCount: 2)
            // The first two prediction writes fail as if the disk were full.
            try await fixture.connection.executeScript(
                """
                CREATE SEQUENCE public.write_attempts;  -- sequences survive the rollback
                CREATE FUNCTION public.disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF nextval('public.write_attempts') <= 2 THEN
                        RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full';
                    END IF;
                    RETURN NULL;
                END $$;
                CREATE TRIGGER disk_full AFTER INSERT ON pgscorer.predictions FOR EACH STATEMENT EXECUTE FUNCTION public.disk_full();
                """)
            try await fixture.enqueue(.utc("2026-11-24T00:00:00Z"), .utc("2026-11-24T01:00:00Z"))
            let (status, output) = try await PgScorerProcess.run(
                ["worker", "--no-scheduler", "--exit-when-idle", "--retry-base", "200ms", "--poll", "100ms"], database: fixture.database)
            #expect(status == 0, "\(output)")
            let runs = try await fixture.connection.query("SELECT attempt, outcome::text, coalesce(error, '') FROM pgscorer.job_runs ORDER BY attempt")
            #expect(try runs.map { "\(try $0.decode(0) as Int):\(try $0.decode(1) as String)" } == ["1:retry", "2:retry", "3:completed"])
            #expect((try runs[0].decode(2) as String).contains("53100"))
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions") == 60)
        }
    }
}
