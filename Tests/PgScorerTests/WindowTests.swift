import Foundation
import Logging
import PgClient
import PgScorer
import TestSupport
import Testing

/// Windows from raw samples against a real PostgreSQL: the readings the aggregations make
/// equal a full recompute in SQL, event time per device, idle close, late samples dropped
/// or recomputed and re-scored, closers killed midway, scoring that waits for windows.
@Suite("Windows from raw samples")
struct WindowTests {
    static let base = PostgresTimestamp.utc("2026-11-30T10:00:00Z")

    static func at(seconds: Double) -> PostgresTimestamp {
        PostgresTimestamp(unixMicroseconds: base.unixMicroseconds + Int64(seconds * 1_000_000))
    }

    static func sample(_ device: String, _ sensor: String, _ seconds: Double, _ value: Double) -> ParsedReading {
        ParsedReading(device: device, sensor: sensor, ts: at(seconds: seconds), features: [value], line: 0)
    }

    static func add(
        _ fixture: ScorerFixture, _ name: String, window: Duration = .seconds(300), hop: Duration? = nil, features: [String],
        sensor: String = "temp", target: String = "{sensor}_5m", lateness: Duration = .seconds(30), late: String = "drop",
        idleClose: Duration = .seconds(600)
    ) async throws {
        var aggregation = AggregationStore.NewAggregation(name: name, window: window, features: features, target: target)
        aggregation.hop = hop
        aggregation.sensorPattern = sensor
        aggregation.lateness = lateness
        aggregation.latePolicy = late
        aggregation.idleClose = idleClose
        _ = try await AggregationStore(connection: fixture.connection).add(aggregation)
    }

    /// Lets every device's last windows close: idle close after a second.
    static func closeEverything(_ fixture: ScorerFixture) async throws -> WindowCloser.Outcome {
        try await fixture.connection.execute("UPDATE pgscorer.aggregations SET idle_close = '1 second'")
        try await Task.sleep(for: .milliseconds(1100))
        return try await WindowCloser().closeDue(on: fixture.connection)
    }

    /// The readings of target `sensor` against SQL's own aggregates over all the samples
    /// of the source (windows of `window` every `hop` seconds): the mismatches, in words.
    static func mismatches(
        _ fixture: ScorerFixture, target: String, source: String, window: Int, hop: Int, features: [String]
    ) async throws -> [String] {
        let expressions = features.map { feature in
            switch feature {
            case "count": "count(*)::float8"
            case "sum": "sum(v)"
            case "mean": "avg(v)"
            case "min": "min(v)"
            case "max": "max(v)"
            case "std": "coalesce(stddev_samp(v), 0)"
            case "first": "(array_agg(v ORDER BY ts))[1]"
            case "last": "(array_agg(v ORDER BY ts DESC))[1]"
            case "p50": "percentile_cont(0.5) WITHIN GROUP (ORDER BY v)"
            default: "percentile_cont(0.95) WITHIN GROUP (ORDER BY v)"
            }
        }.joined(separator: ", ")
        let sql = SQLText(unsafeSQL: """
            WITH raw AS (
                SELECT se.device, s.ts, s.features[1] AS v, date_bin(make_interval(secs => \(hop)), s.ts, 'epoch') - k * make_interval(secs => \(hop)) AS start
                FROM pgscorer.samples s JOIN pgscorer.series se USING (series_id)
                CROSS JOIN generate_series(0, \(window / hop - 1)) k
                WHERE se.sensor = '\(source)'
            ), reference AS (
                SELECT device, start + make_interval(secs => \(window)) AS ts, ARRAY[\(expressions)] AS features FROM raw GROUP BY device, start
            )
            SELECT coalesce(f.device, r.device) AS device, coalesce(f.ts, r.ts) AS ts, f.features AS expected, r.features AS got
            FROM reference f
            FULL JOIN (SELECT se.device, r.ts, r.features FROM pgscorer.readings r JOIN pgscorer.series se USING (series_id)
                       WHERE se.sensor = '\(target)') r ON r.device = f.device AND r.ts = f.ts
            ORDER BY 1, 2
            """)
        var problems: [String] = []
        for row in try await fixture.connection.query(PostgresQuery(sql)) {
            let device: String = try row.decode("device")
            let ts: PostgresTimestamp = try row.decode("ts")
            let expected: [Double]? = try row.decode("expected")
            let got: [Double]? = try row.decode("got")
            guard let expected, let got else {
                problems.append("\(device) \(ts): expected \(expected.map { "\($0)" } ?? "no reading"), got \(got.map { "\($0)" } ?? "no reading")")
                continue
            }
            for (index, (e, g)) in zip(expected, got).enumerated() where abs(e - g) > 1e-12 * max(1, abs(e)) {
                problems.append("\(device) \(ts) \(features[index]): expected \(e), got \(g)")
            }
        }
        return problems
    }

    @Test("readings equal a full recompute in SQL, tumbling and hopping, for shuffled, duplicated and late samples closed between batches")
    func equivalence() async throws {
        try await ScorerFixture.with { fixture in
            let all = ["count", "sum", "mean", "min", "max", "std", "first", "last", "p50", "p95"]
            try await Self.add(fixture, "tumbling", features: all, lateness: .zero, late: "recompute")
            try await Self.add(
                fixture, "hopping", hop: .seconds(60), features: ["mean", "std", "count"], sensor: "hum", target: "{sensor}_5m_1m",
                lateness: .zero, late: "recompute")
            var generator = SeededGenerator(seed: 11)
            var samples: [ParsedReading] = []
            for device in ["pump-1", "pump-2", "pump-3", "pump-4"] {
                var seconds = 0.0
                while seconds < 3600 {
                    // Irregular, sub-second times; values far from zero with a small spread
                    // (where a sum-of-squares variance would cancel).
                    for sensor in ["temp", "hum"] {
                        samples.append(Self.sample(device, sensor, seconds, 1_000 + Double.random(in: -0.5...0.5, using: &generator)))
                    }
                    seconds += Double.random(in: 0.2...15, using: &generator)
                }
            }
            samples.shuffle(using: &generator)
            // Ten batches, windows closed after each: most windows see late samples.
            let batches = stride(from: 0, to: samples.count, by: samples.count / 10 + 1).map { Array(samples[$0..<min($0 + samples.count / 10 + 1, samples.count)]) }
            for (index, batch) in batches.enumerated() {
                // Each batch again with a few of the previous one: redeliveries are no-ops.
                let repeated = index > 0 ? Array(batches[index - 1].prefix(20)) : []
                let summary = try await ReadingStore(connection: fixture.connection).load(batch + repeated)
                #expect(summary.inserted == batch.count && summary.alreadyStored == repeated.count, "\(summary)")
                _ = try await WindowCloser().closeDue(on: fixture.connection)
            }
            _ = try await Self.closeEverything(fixture)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.samples") == samples.count)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.rejected_readings") == 0, "recompute drops nothing")
            #expect(try await fixture.count("SELECT sum(recomputed)::int FROM pgscorer.late_samples") > 100, "most arrived after their window closed")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.windows WHERE closed_at IS NULL OR dirty") == 0)
            let tumbling = try await Self.mismatches(fixture, target: "temp_5m", source: "temp", window: 300, hop: 300, features: all)
            #expect(tumbling.isEmpty, "\(tumbling.prefix(10))")
            let hopping = try await Self.mismatches(fixture, target: "hum_5m_1m", source: "hum", window: 300, hop: 60, features: ["mean", "std", "count"])
            #expect(hopping.isEmpty, "\(hopping.prefix(10))")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings r JOIN pgscorer.series s USING (series_id) WHERE s.sensor = 'temp_5m'") == 4 * 12)
            // Samples written with plain SQL are merged the same way.
            try await fixture.connection.execute(
                """
                INSERT INTO pgscorer.samples (series_id, ts, n_features, features)
                SELECT series_id, '2026-11-30 11:00:01+00', 1, '{5}' FROM pgscorer.series WHERE device = 'pump-1' AND sensor = 'temp'
                """)
            _ = try await Self.closeEverything(fixture)
            let afterSQL = try await Self.mismatches(fixture, target: "temp_5m", source: "temp", window: 300, hop: 300, features: all)
            #expect(afterSQL.isEmpty, "\(afterSQL.prefix(10))")
        }
    }

    @Test("each device has its own event time: a slow device does not hold back another, and a silent one is closed after idle-close")
    func watermarks() async throws {
        try await ScorerFixture.with { fixture in
            try await Self.add(fixture, "t5", features: ["mean", "count"])
            // fast sends through 10:20, slow stops at 10:05.
            let fast = stride(from: 0.0, through: 1200, by: 10).map { Self.sample("fast", "temp", $0, $0) }
            let slow = stride(from: 0.0, through: 300, by: 10).map { Self.sample("slow", "temp", $0, $0) }
            _ = try await ReadingStore(connection: fixture.connection).load(fast + slow)
            let outcome = try await WindowCloser().closeDue(on: fixture.connection)
            func ends(_ device: String) async throws -> [String] {
                try await fixture.connection.query(
                    "SELECT to_char(r.ts AT TIME ZONE 'UTC', 'HH24:MI') AS t FROM pgscorer.readings r JOIN pgscorer.series s USING (series_id) WHERE s.device = $1 ORDER BY r.ts",
                    device
                ).map { try $0.decode("t") }
            }
            // fast: watermark 10:20, lateness 30 s → windows ending up to 10:15 closed.
            #expect(try await ends("fast") == ["10:05", "10:10", "10:15"])
            // slow: watermark 10:05, so only the window ending 10:00... none ends by 09:59:30 → none yet.
            #expect(try await ends("slow") == [])
            #expect(outcome.closed == 3)
            // Silent for idle-close: its last windows close too (and fast's last one).
            _ = try await Self.closeEverything(fixture)
            #expect(try await ends("slow") == ["10:05", "10:10"])
            #expect(try await ends("fast") == ["10:05", "10:10", "10:15", "10:20", "10:25"])
            let counts: [Double] = try await fixture.connection.query(
                "SELECT r.features[2] AS n FROM pgscorer.readings r JOIN pgscorer.series s USING (series_id) WHERE s.device = 'slow' ORDER BY r.ts"
            ).map { try $0.decode("n") }
            #expect(counts == [30, 1])
        }
    }

    @Test("drop: a sample for a closed window is a dead letter with reason late, counted per series, and the reading stays")
    func drop() async throws {
        try await ScorerFixture.with { fixture in
            try await Self.add(fixture, "t5", features: ["mean", "count"], lateness: .zero)
            _ = try await ReadingStore(connection: fixture.connection).load(stride(from: 0.0, through: 900, by: 10).map { Self.sample("pump-1", "temp", $0, 1) })
            #expect(try await WindowCloser().closeDue(on: fixture.connection).closed == 3)
            let late = try await ReadingStore(connection: fixture.connection).load([Self.sample("pump-1", "temp", 65, 100), Self.sample("pump-1", "temp", 905, 2)])
            #expect(late.inserted == 2)
            let dead = try await fixture.connection.query("SELECT reason, detail, payload, ts FROM pgscorer.rejected_readings").single()
            #expect(try dead.decode("reason") as String == "late")
            let detail: String = try dead.decode("detail")
            #expect(detail == "aggregation t5 had closed the window of pump-1/temp that ends 2026-11-30T10:05:00Z", "\(detail)")
            #expect(try dead.decode("payload") as String == #"{"ts" : "2026-11-30T10:01:05.000000Z", "value" : 100}"#)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.samples WHERE features = '{100}'") == 0, "a dropped sample is not kept")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings WHERE features[2] = 30") == 3, "closed readings unchanged")
            let status = try await StatusReport.load(from: fixture.connection)
            #expect(status.lateSeries.first.map { "\($0.device)/\($0.sensor) \($0.dropped) \($0.recomputed)" } == "pump-1/temp 1 0")
            #expect(status.aggregations.first?.lateDropped == 1)
            let printed = try await PgScorerProcess.run(["status"], database: fixture.database)
            #expect(printed.output.contains("late: pump-1/temp (t5): dropped 1, recomputed 0"), "\(printed.output)")
            // Every window closed: their state is gone (drop keeps none), yet what they were
            // made with stays fixed.
            _ = try await Self.closeEverything(fixture)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.windows") == 0)
            for change in ["features = '{mean}'", "late_policy = 'recompute'"] {
                do {
                    try await fixture.connection.execute(PostgresQuery(SQLText(unsafeSQL: "UPDATE pgscorer.aggregations SET \(change)")))
                    Issue.record("\(change) was taken after windows closed")
                } catch let error as PostgresError {
                    #expect(error.sqlState == SQLState.checkViolation, "\(change): \(error)")
                }
            }
        }
    }

    @Test("recompute: a late sample rewrites its window's reading and re-scores it; one prediction per reading and model, the job says why")
    func recompute() async throws {
        try await ScorerFixture.with { fixture in
            try await Self.add(fixture, "t5", features: ["mean", "max"], lateness: .zero, late: "recompute")
            _ = try await ReadingStore(connection: fixture.connection).load(stride(from: 0.0, through: 900, by: 10).map { Self.sample("pump-1", "temp", $0, 1) })
            _ = try await WindowCloser().closeDue(on: fixture.connection)
            let model = try await fixture.addModel(device: "pump-1", sensor: "temp_5m", featureCount: 2)
            try await fixture.enqueue(Self.base, Self.at(seconds: 3600))
            let first = try await PgScorerProcess.run(["worker", "--exit-when-idle"], database: fixture.database)
            #expect(first.status == 0, "\(first.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions") == 3)
            // A late sample for the first window.
            _ = try await ReadingStore(connection: fixture.connection).load([Self.sample("pump-1", "temp", 65, 100)])
            let outcome = try await WindowCloser().closeDue(on: fixture.connection)
            #expect(outcome.rewritten == 1 && outcome.rescored == 1, "\(outcome)")
            let rewritten: [Double] = try await fixture.connection.query(
                "SELECT features FROM pgscorer.readings WHERE ts = '2026-11-30 10:05:00+00'").single().decode("features")
            #expect(rewritten == [(30 + 100) / 31.0, 100])
            let job = try await fixture.connection.query("SELECT job_id, reason, window_start, window_end FROM pgscorer.jobs WHERE reason IS NOT NULL").single()
            #expect((try job.decode("reason") as String).contains("late samples changed 1 scored window(s) of aggregation t5"))
            let second = try await PgScorerProcess.run(["worker", "--exit-when-idle"], database: fixture.database)
            #expect(second.status == 0, "\(second.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions") == 3, "still one per reading and model")
            #expect(try await fixture.count(
                "SELECT count(*) FROM pgscorer.predictions WHERE ts = '2026-11-30 10:05:00+00' AND model_id = $1 AND job_id = $2",
                model.modelID, try job.decode("job_id") as Int64) == 1, "the prediction follows the rewritten reading")
            #expect(try await fixture.count("SELECT sum(recomputed)::int FROM pgscorer.late_samples") == 1)
        }
    }

    @Test("a closer killed in the middle of closing closed nothing; the next one closes every window once")
    func killedCloser() async throws {
        try await ScorerFixture.with { fixture in
            try await Self.add(fixture, "t5", features: ["mean", "std", "count", "p95"], lateness: .zero)
            var samples: [ParsedReading] = []
            let devices = 200
            for device in 0..<devices {
                for second in stride(from: 0.0, to: 6 * 3600, by: 60) { samples.append(Self.sample("pump-\(device)", "temp", second + 1, Double(device) + second / 1000)) }
            }
            _ = try await ReadingStore(connection: fixture.connection).load(samples)
            let closer = try await fixture.database.connect()
            let pid: Int32 = try await closer.query("SELECT pg_backend_pid() AS pid").single().decode("pid")
            // Small batches: the kill lands in one of several transactions.
            var small = WindowCloser()
            small.batchSize = 1000
            let closing = Task { try await small.closeDue(on: closer) }
            try await Waiting.until("close_windows to run") {
                try await fixture.count("SELECT count(*) FROM pg_stat_activity WHERE pid = $1 AND query LIKE '%close_windows%' AND state = 'active'", pid) == 1
            }
            try await fixture.connection.execute("SELECT pg_terminate_backend($1)", pid)
            #expect(await closing.result.isFailure, "the killed closer's batch failed")
            let closedBefore = try await fixture.count("SELECT windows_closed::int FROM pgscorer.aggregations")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == closedBefore, "what is closed has its reading, nothing more")
            // Two closers at once finish the job: each aggregation is closed by one at a time.
            let other = try await fixture.database.connect()
            async let a = WindowCloser().closeDue(on: other)
            async let b = WindowCloser().closeDue(on: fixture.connection)
            let (first, second) = try await (a, b)
            _ = try await Self.closeEverything(fixture)
            #expect(first.closed + second.closed == devices * 71 - closedBefore)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.windows WHERE closed_at IS NULL") == 0)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == devices * 72, "every window once")
            let problems = try await Self.mismatches(fixture, target: "temp_5m", source: "temp", window: 300, hop: 300, features: ["mean", "std", "count", "p95"])
            #expect(problems.isEmpty, "\(problems.prefix(5))")
        }
    }

    @Test("a tick waits for its windows to close before scoring them; an on-close schedule fires as they close")
    func scoringWaits() async throws {
        try await ScorerFixture.with { fixture in
            try await Self.add(fixture, "t1", window: .seconds(60), features: ["mean", "count"], target: "{sensor}_1m", lateness: .zero)
            let now: PostgresTimestamp = try await fixture.connection.query("SELECT now() AS now").single().decode("now")
            func samples(from: Int64, to: Int64) -> [ParsedReading] {
                stride(from: from, through: to, by: 5).map {
                    ParsedReading(device: "pump-1", sensor: "temp", ts: PostgresTimestamp(unixMicroseconds: now.unixMicroseconds + $0 * 1_000_000), features: [1], line: 0)
                }
            }
            _ = try await ReadingStore(connection: fixture.connection).load(samples(from: -600, to: -180))
            _ = try await WindowCloser().closeDue(on: fixture.connection)
            try await fixture.addModel(device: "pump-1", sensor: "temp_1m", featureCount: 2)
            var schedule = ScheduleStore.NewSchedule(name: "each-second", every: .seconds(1), window: .seconds(3600))
            schedule.sensorPattern = "temp_1m"
            try await ScheduleStore(connection: fixture.connection).add(schedule)
            var onClose = ScheduleStore.NewSchedule(name: "as-closed", window: .seconds(3600))
            onClose.onClose = "t1"
            try await ScheduleStore(connection: fixture.connection).add(onClose)
            try await Task.sleep(for: .milliseconds(1100))  // its first tick is the next second
            let fired = try await Scheduler(connection: fixture.connection, workerID: "test", logger: Logger(label: "test")).fireDueTicks()
            #expect(fired.map(\.jobsCreated) == [1], "the on-close schedule is not fired by the clock")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE run_at = 'infinity' AND reason = 'waits for its windows to close'") == 1)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE run_at <= now()") == 0, "nothing to claim yet")
            // The device catches up: its windows close, the waiting job may run, and the
            // on-close schedule queues the new readings' scoring.
            _ = try await ReadingStore(connection: fixture.connection).load(samples(from: -175, to: 60))
            let outcome = try await WindowCloser().closeDue(on: fixture.connection)
            #expect(outcome.released == 1 && outcome.fired == 1, "\(outcome)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE run_at = 'infinity'") == 0)
            #expect(try await fixture.count("SELECT jobs_created FROM pgscorer.schedule_runs r JOIN pgscorer.schedules s USING (schedule_id) WHERE s.name = 'as-closed' AND r.fired_by = 'close:t1'") == 1)
            let worker = try await PgScorerProcess.run(["worker", "--exit-when-idle"], database: fixture.database)
            #expect(worker.status == 0, "\(worker.output)")
            #expect(try await fixture.count(
                "SELECT count(*) FROM pgscorer.readings r WHERE NOT EXISTS (SELECT 1 FROM pgscorer.predictions p WHERE p.series_id = r.series_id AND p.ts = r.ts)") == 0)
            let refused = try await PgScorerProcess.run(["schedule", "add", "x", "--on-close", "nosuch"], database: fixture.database)
            #expect(refused.status == 1 && refused.output.contains("no aggregation named nosuch"), "\(refused.output)")
        }
    }

    @Test("the gateway's writer stores samples for series an aggregation reads, with the same duplicate and conflict rules")
    func gatewaySamples() async throws {
        try await ScorerFixture.with { fixture in
            var writer = TelemetryWriter(connection: fixture.connection, logger: Logger(label: "test"))
            func item(_ seconds: Double, _ value: Double) -> TelemetryBatchItem {
                TelemetryBatchItem(
                    source: .mqtt, receivedAt: PostgresTimestamp(Date()),
                    decoded: DecodedTelemetry(readings: [Telemetry(device: "pump-1", sensor: "temp", ts: Self.at(seconds: seconds), features: [value], payload: "\(value)")], rejections: []))
            }
            _ = try await writer.store([item(0, 1)])
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 1, "no aggregation yet: a reading")
            try await Self.add(fixture, "t5", features: ["mean"])
            // The writer remembered the series as one of readings: the database refuses, the
            // writer forgets and tries again (as the flusher does), and it is a sample now.
            await #expect(throws: PostgresError.self) { _ = try await writer.store([item(10, 2)]) }
            writer.forgetSeries()
            let stored = try await writer.store([item(10, 2), item(20, 3)])
            #expect(stored.map(\.stored) == [1, 1])
            let again = try await writer.store([item(10, 2), item(20, 4)])
            #expect(again[0].duplicates == 1 && again[1].rejections.first?.reason == .conflict, "\(again)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.samples") == 2)
            #expect(try await fixture.count("SELECT sum(n)::int FROM pgscorer.windows") == 2)
        }
    }

    @Test("bad aggregations are refused in words, by the CLI and by SQL alike")
    func validation() async throws {
        try await ScorerFixture.with { fixture in
            let cases: [([String], String)] = [
                (["--window", "7m"], "a window of 00:07:00 does not divide a day"),
                (["--window", "5m", "--hop", "10m"], "the hop (00:10:00) is larger than the window (00:05:00)"),
                (["--window", "5m", "--hop", "2m"], "the hop (00:02:00) must divide the window"),
                (["--window", "5m", "--features", "mean,median"], "unknown feature 'median'; the features are count, sum, mean"),
                (["--window", "5m", "--target", "fixed"], "must contain {sensor}"),
                (["--window", "5m", "--sensor", "temp", "--target", "{sensor}"], "would name the windows' series as their sources"),
                (["--window", "5m", "--late", "keep"], "--late is drop or recompute, not keep"),
            ]
            for (arguments, message) in cases {
                let result = try await PgScorerProcess.run(["aggregate", "add", "bad"] + arguments, database: fixture.database)
                #expect(result.status != 0 && result.output.contains(message), "\(arguments): \(result.output)")
            }
            do {
                try await fixture.connection.execute(
                    #"INSERT INTO pgscorer.aggregations (name, "window", features, target) VALUES ('sql', '7 minutes', '{mean}', '{sensor}_7m')"#)
                Issue.record("SQL took a window that does not divide a day")
            } catch let error as PostgresError {
                #expect(error.message.contains("does not divide a day"), "\(error.message)")
            }
            // An underscore in a sensor's name is no wildcard: one sensor, so a fixed target is fine.
            let one = try await PgScorerProcess.run(
                ["aggregate", "add", "one", "--window", "1m", "--sensor", "raw_temp", "--target", "temp_1m"], database: fixture.database)
            #expect(one.status == 0, "\(one.output)")
            let added = try await PgScorerProcess.run(["aggregate", "add", "good", "--window", "5m", "--sensor", "temp"], database: fixture.database)
            #expect(added.status == 0 && added.output.contains("aggregation good added"), "\(added.output)")
            let twice = try await PgScorerProcess.run(["aggregate", "add", "good", "--window", "5m", "--sensor", "temp"], database: fixture.database)
            #expect(twice.status == 1 && twice.output.contains("an aggregation named good already exists"), "\(twice.output)")
            let listed = try await PgScorerProcess.run(["aggregate", "list", "--format", "json"], database: fixture.database)
            #expect(listed.output.contains("\"target\" : \"{sensor}_5m\"") || listed.output.contains("\"target\":\"{sensor}_5m\""), "\(listed.output)")
            #expect(listed.output.contains("\"sensors\" : \"raw_temp\"") || listed.output.contains("\"sensors\":\"raw_temp\""), "shown as typed: \(listed.output)")
            let removed = try await PgScorerProcess.run(["aggregate", "remove", "good"], database: fixture.database)
            #expect(removed.status == 0)
            let gone = try await PgScorerProcess.run(["aggregate", "remove", "good"], database: fixture.database)
            #expect(gone.status == 1 && gone.output.contains("no aggregation named good"), "\(gone.output)")
        }
    }

    @Test("retention drops old sample partitions with their windows' state; a late sample for them is dropped, never half-recomputed")
    func retention() async throws {
        try await ScorerFixture.with { fixture in
            try await Self.add(fixture, "t5", features: ["mean", "count"], lateness: .zero, late: "recompute")
            let old = PostgresTimestamp.utc("2025-01-10T10:00:00Z")
            let samples = (0..<60).map {
                ParsedReading(device: "pump-1", sensor: "temp", ts: PostgresTimestamp(unixMicroseconds: old.unixMicroseconds + Int64($0) * 10_000_000), features: [1], line: 0)
            }
            _ = try await ReadingStore(connection: fixture.connection).load(samples)
            _ = try await Self.closeEverything(fixture)
            var retention = Retention()
            retention.overrides[.samples] = .seconds(30 * 86400)
            let outcome = try await retention.run(on: fixture.connection)
            #expect(outcome.partitions.contains("samples_202501"), "\(outcome.partitions)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.windows") == 0)
            _ = try await ReadingStore(connection: fixture.connection).load([
                ParsedReading(device: "pump-1", sensor: "temp", ts: PostgresTimestamp(unixMicroseconds: old.unixMicroseconds + 5_000_000), features: [9], line: 0)
            ])
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.rejected_readings WHERE reason = 'late' AND detail LIKE '%past retention%'") == 1)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings WHERE features = '{1,30}'") == 2, "the readings stay as they were")
        }
    }
}

extension Result {
    var isFailure: Bool { if case .failure = self { true } else { false } }
}
