import Foundation
import Kernels
import PgClient
import TestSupport
import Testing

import PgScorer

@Suite("Worker processes end to end")
struct WorkerTests {
    @Test("readings + models + a schedule → two workers score every reading in the window exactly once, as the kernels do")
    func scheduleToPredictions() async throws {
        try await ScorerFixture.with { fixture in
            let sensors = ["temp", "pressure"]
            let now: PostgresTimestamp = try await fixture.connection.query("SELECT date_trunc('minute', now())").single().decode(0)
            let start = PostgresTimestamp(microsecondsSince2000: now.microsecondsSince2000 - 45 * 60_000_000)
            for device in 0..<3 {
                for (index, sensor) in sensors.enumerated() {
                    try await fixture.addModel(device: "dev-\(device)", sensor: sensor, featureCount: 2, seed: UInt64(device * 10 + index))
                    try await fixture.loadReadings(
                        device: "dev-\(device)", sensor: sensor, start: start, count: 50, step: 60, featureCount: 2,
                        seed: UInt64(100 + device * 10 + index))
                }
            }
            try await fixture.connection.execute(
                "INSERT INTO pgscorer.schedules (name, every, \"window\", created_at) VALUES ('half-hourly', '1 minute', '30 minutes', now() - interval '1 hour')")

            let workers = try (0..<2).map { _ in
                try PgScorerProcess(["worker", "--exit-when-idle", "--concurrency", "2", "--batch", "2"], database: fixture.database)
            }
            for worker in workers {
                let (status, output) = try await worker.finish()
                #expect(status == 0, "worker output: \(output)")
            }

            let tick = try await fixture.connection.query("SELECT scheduled_for FROM pgscorer.schedule_runs").single()
            let tickEnd: PostgresTimestamp = try tick.decode(0)
            let tickStart = PostgresTimestamp(microsecondsSince2000: tickEnd.microsecondsSince2000 - 30 * 60_000_000)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed'") == 6)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state <> 'completed'") == 0)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.job_runs WHERE outcome = 'completed'") == 6)

            // Every reading in the window has exactly one prediction, equal to the kernels' score.
            let rows = try await fixture.connection.query(
                """
                SELECT r.series_id, r.ts, r.features, m.payload, p.score, p.is_anomaly,
                       (SELECT count(*) FROM pgscorer.predictions q WHERE q.series_id = r.series_id AND q.ts = r.ts)
                FROM pgscorer.readings r
                JOIN pgscorer.models m ON m.series_id = r.series_id AND m.active
                LEFT JOIN pgscorer.predictions p ON p.series_id = r.series_id AND p.ts = r.ts AND p.model_id = m.model_id
                ORDER BY r.series_id, r.ts
                """)
            var inWindow = 0
            for row in rows {
                let ts: PostgresTimestamp = try row.decode(1)
                let predictions: Int = try row.decode(6)
                guard ts >= tickStart && ts < tickEnd else {
                    #expect(predictions == 0, "reading at \(ts) is outside the window")
                    continue
                }
                inWindow += 1
                #expect(predictions == 1)
                let model = try OneClassSVM(encoded: (try row.decode(3) as PostgresBytes).bytes)
                let expected = try OneClassSVMScorer(model).decisionFunction(sample: try row.decode(2))
                let score: Double? = try row.decode(4)
                #expect(score == expected)
                #expect(try row.decode(5) as Bool? == (expected <= 0))
            }
            #expect(inWindow == 6 * 30)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.workers") == 0, "workers deregister")
        }
    }

    @Test("a job whose model payload is corrupt fails alone with a precise error; the others complete")
    func corruptModelFailsOneJob() async throws {
        try await ScorerFixture.with { fixture in
            let start = PostgresTimestamp.utc("2026-11-24T00:00:00Z")
            let end = PostgresTimestamp.utc("2026-11-24T01:00:00Z")
            for device in 0..<3 {
                try await fixture.addModel(device: "dev-\(device)", sensor: "temp", featureCount: 2)
                try await fixture.loadReadings(device: "dev-\(device)", sensor: "temp", start: start, count: 60, featureCount: 2)
            }
            // Flip one byte of dev-1's payload, straight in SQL.
            try await fixture.connection.execute(
                """
                UPDATE pgscorer.models SET payload = set_byte(payload, 60, get_byte(payload, 60) # 255)
                WHERE series_id = (SELECT series_id FROM pgscorer.series WHERE device = 'dev-1')
                """)
            try await fixture.enqueue(start, end)
            let (status, output) = try await PgScorerProcess.run(
                ["worker", "--exit-when-idle", "--no-scheduler", "--concurrency", "1"], database: fixture.database)
            #expect(status == 0, "\(output)")
            let failed = try await fixture.connection.query(
                "SELECT s.device, j.last_error, j.attempt FROM pgscorer.jobs j JOIN pgscorer.series s USING (series_id) WHERE j.state = 'failed'")
            #expect(failed.count == 1)
            let row = try #require(failed.first)
            #expect(try row.decode(0) as String == "dev-1")
            #expect((try row.decode(1) as String).contains("checksum mismatch"))
            #expect(try row.decode(2) as Int == 1, "a corrupt model is not retried")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed'") == 2)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions") == 120)
        }
    }

    @Test("--max-jobs: the process claims exactly that many jobs across its slots, finishes them and exits 0")
    func maxJobs() async throws {
        try await ScorerFixture.with { fixture in
            let start = PostgresTimestamp.utc("2026-11-20T00:00:00Z")
            for device in 0..<3 {
                try await fixture.addModel(device: "dev-\(device)", sensor: "temp", featureCount: 2)
                try await fixture.loadReadings(device: "dev-\(device)", sensor: "temp", start: start, count: 40, featureCount: 2)
            }
            for hour in 0..<4 {  // 3 series × 4 windows = 12 jobs
                let from = PostgresTimestamp(microsecondsSince2000: start.microsecondsSince2000 + Int64(hour) * 600_000_000)
                _ = try await fixture.enqueue(from, PostgresTimestamp(microsecondsSince2000: from.microsecondsSince2000 + 600_000_000))
            }
            let (status, output) = try await PgScorerProcess.run(
                ["worker", "--no-scheduler", "--max-jobs", "7", "--concurrency", "3", "--batch", "2"], database: fixture.database)
            #expect(status == 0, "\(output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed'") == 7)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'available' AND attempt = 0") == 5)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.job_runs") == 7)
        }
    }

    @Test("--batch auto claims small jobs by the hundred after a first claim of 32; --batch N never claims more than N")
    func claimSizes() async throws {
        for (batch, expected) in [("auto", [32, 268]), ("40", [40, 40, 40, 40, 40, 40, 40, 20])] {
            try await ScorerFixture.with { fixture in
                let start = PostgresTimestamp.utc("2026-11-20T00:00:00Z")
                try await fixture.addModel(device: "dev-0", sensor: "temp", featureCount: 2)
                try await fixture.loadReadings(device: "dev-0", sensor: "temp", start: start, count: 300, featureCount: 2)
                // 300 jobs of one reading each: one per minute.
                try await fixture.connection.execute(
                    """
                    INSERT INTO pgscorer.jobs (series_id, model_id, window_start, window_end)
                    SELECT m.series_id, m.model_id, $1::timestamptz + i * interval '1 minute', $1::timestamptz + (i + 1) * interval '1 minute'
                    FROM pgscorer.models m, generate_series(0, 299) i
                    """, start)
                let (status, output) = try await PgScorerProcess.run(
                    ["worker", "--exit-when-idle", "--no-scheduler", "--concurrency", "1", "--batch", batch], database: fixture.database)
                #expect(status == 0, "\(output)")
                // A batch completes in one transaction: its jobs share finished_at (the transaction's now()).
                let batches: [Int] = try await fixture.connection.query(
                    "SELECT count(*)::int8 FROM pgscorer.jobs GROUP BY finished_at ORDER BY finished_at").map { try $0.decode(0) }
                #expect(batches == expected, "--batch \(batch)")
                #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions") == 300)
            }
        }
    }

    @Test("a job made urgent behind a slot's claim position is claimed at the next front claim, not after the backlog")
    func urgentJobBehindTheResumePosition() async throws {
        try await ScorerFixture.with { fixture in
            for device in 0..<4 {
                try await fixture.addModel(device: "dev-\(device)", sensor: "temp", featureCount: 2)
            }
            // 6,000 jobs over empty windows: a backlog a single slot needs seconds for.
            try await fixture.connection.execute(
                """
                INSERT INTO pgscorer.jobs (series_id, model_id, window_start, window_end)
                SELECT m.series_id, m.model_id, '2030-01-01'::timestamptz + g * interval '1 minute',
                       '2030-01-01'::timestamptz + (g + 1) * interval '1 minute'
                FROM generate_series(0, 1499) g CROSS JOIN pgscorer.models m ORDER BY g, m.series_id
                """)
            let last: Int64 = try await fixture.connection.query("SELECT max(job_id) FROM pgscorer.jobs").single().decode(0)
            let worker = try PgScorerProcess(
                ["worker", "--no-scheduler", "--exit-when-idle", "--concurrency", "1", "--batch", "1"], database: fixture.database)
            while try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed'") < 50 {
                try await Task.sleep(for: .milliseconds(5))
            }
            // The last job in claim order jumps to the front: the slot's resuming claims are past it.
            try await fixture.connection.execute("UPDATE pgscorer.jobs SET priority = -1 WHERE job_id = $1", last)
            let madeUrgent = ContinuousClock.now
            while try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE job_id = $1 AND state = 'completed'", last) == 0 {
                try await Task.sleep(for: .milliseconds(5))
            }
            let waited = ContinuousClock.now - madeUrgent
            let stillQueued = try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'available'")
            #expect(stillQueued > 0, "the urgent job waited for the whole backlog")
            #expect(waited < .seconds(3), "a front claim happens at least once a second; waited \(waited)")
            let (status, output) = try await worker.finish()
            #expect(status == 0, "\(output)")
        }
    }

    @Test("SIGTERM mid-run: in-flight work finishes or goes back, nothing stays running, exit 0")
    func gracefulShutdown() async throws {
        try await ScorerFixture.with { fixture in
            let start = PostgresTimestamp.utc("2026-11-20T00:00:00Z")
            for device in 0..<4 {
                try await fixture.addModel(device: "dev-\(device)", sensor: "temp", featureCount: 4)
                try await fixture.loadReadings(device: "dev-\(device)", sensor: "temp", start: start, count: 2000, featureCount: 4)
            }
            // Many small jobs: one per series per 10 minutes.
            for slice in 0..<150 {
                let from = PostgresTimestamp(microsecondsSince2000: start.microsecondsSince2000 + Int64(slice) * 600_000_000)
                try await fixture.enqueue(from, PostgresTimestamp(microsecondsSince2000: from.microsecondsSince2000 + 600_000_000))
            }
            let total = try await fixture.count("SELECT count(*) FROM pgscorer.jobs")
            let worker = try PgScorerProcess(
                ["worker", "--no-scheduler", "--concurrency", "1", "--batch", "50", "--grace", "20s"], database: fixture.database)
            // Wait until it is clearly busy, then ask it to stop.
            let deadline = ContinuousClock.now + .seconds(60)
            while try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state <> 'available'") == 0 {
                try #require(ContinuousClock.now < deadline, "the worker never started: \(worker.process.isRunning)")
                try await Task.sleep(for: .milliseconds(5))
            }
            let stopped = ContinuousClock.now
            worker.signal(SIGTERM)
            let (status, output) = try await worker.finish(timeout: .seconds(30))
            #expect(status == 0, "\(output)")
            #expect(ContinuousClock.now - stopped < .seconds(20))
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'running'") == 0)
            let completed = try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed'")
            let released = try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'available' AND attempt = 0")
            #expect(completed + released == total)
            #expect(released > 0, "the run should have been stopped before the end")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.workers") == 0)
        }
    }
}
