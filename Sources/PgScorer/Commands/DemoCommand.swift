import ArgumentParser
import Foundation
import Kernels
import Logging
import Migrations
import PgClient

/// `pgscorer demo`: from nothing to anomalies found across a fleet, scored on a
/// schedule by several worker processes.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Generate a fleet, train its models, schedule scoring, run workers, and report what they found.",
        discussion: """
            Uses the embedded database unless one is configured. Demo series are named demo-*; a previous demo's rows
            (and its schedule 'demo') are replaced, nothing else is touched. Readings are 5-minute aggregates
            (mean, min, max, std) with daily cycles, drift and noise; anomalies (spikes, stuck sensors, level shifts)
            are injected into the last hours and recorded in pgscorer_demo.injected_anomalies, so the report can say
            how many were caught.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Devices in the fleet.") var devices = 20
    @Option(help: "Sensors per device (at most 5: temperature, vibration, pressure, humidity, current).") var sensors = 5
    @Option(help: "Hours of history the models are trained on (a full day covers the daily cycle).") var hours = 24
    @Option(name: .customLong("score-hours"), help: "Hours after the history, up to now: scored on the schedule, with anomalies injected.")
    var scoreHours = 6
    @Option(help: "Worker processes to start.") var workers = 2
    @Option(help: "Seconds to let the schedule tick.") var seconds = 15

    func validate() throws {
        guard (1...1000).contains(devices) else { throw ValidationError("--devices must be between 1 and 1000") }
        guard (1...5).contains(sensors) else { throw ValidationError("--sensors must be between 1 and 5") }
        guard (1...24 * 30).contains(hours), (1...48).contains(scoreHours) else {
            throw ValidationError("--hours must be between 1 and 720 and --score-hours between 1 and 48")
        }
        guard (1...16).contains(workers) else { throw ValidationError("--workers must be between 1 and 16") }
        guard seconds >= 5 else { throw ValidationError("--seconds must be at least 5") }
    }

    static let sensorKinds: [(name: String, level: Double, amplitude: Double, noise: Double)] = [
        ("temperature", 21, 4, 0.3), ("vibration", 2.5, 0.8, 0.15), ("pressure", 101.3, 0.6, 0.05),
        ("humidity", 45, 10, 1.0), ("current", 12, 3, 0.25),
    ]

    func run() async throws {
        let logger = global.bootstrapLogging()
        let started = ContinuousClock.now
        let url = try global.resolvedDatabaseURL(logger: logger)
        let connection = try await PostgresConnection.connect(url, logger: logger)
        print("1/6 database: \(connection.target)")
        try await Migrator(logger: logger).migrate(connection)
        try await resetDemo(connection)

        let now: PostgresTimestamp = try await connection.query("SELECT date_bin('5 minutes', now(), '2000-01-01')").single().decode(0)
        let step: Int64 = 300_000_000
        let readingsPerSeries = (hours + scoreHours) * 12
        let firstTs = now.microsecondsSince2000 - Int64(readingsPerSeries) * step
        let scoringStart = PostgresTimestamp(microsecondsSince2000: now.microsecondsSince2000 - Int64(scoreHours) * 3_600_000_000)
        var truth: [(String, String, PostgresTimestamp, String)] = []
        var generator = SystemRandomNumberGenerator()
        let loaded = try await ReadingStore(connection: connection).load { send in
            var batch = ReadingStore.Batch()
            for device in 1...devices {
                let name = String(format: "demo-pump-%02d", device)
                for kind in Self.sensorKinds.prefix(sensors) {
                    let phase = Double.random(in: 0..<(2 * .pi), using: &generator)
                    let drift = Double.random(in: -0.02...0.02, using: &generator) * kind.amplitude / 24
                    for index in 0..<readingsPerSeries {
                        let ts = PostgresTimestamp(microsecondsSince2000: firstTs + Int64(index) * step)
                        let hoursIn = Double(index) / 12
                        let level = kind.level + kind.amplitude * sin(2 * .pi * hoursIn / 24 + phase) + drift * hoursIn
                        var anomaly: String?
                        if ts >= scoringStart && Double.random(in: 0..<1, using: &generator) < 0.02 {
                            anomaly = ["spike", "stuck", "level shift"].randomElement(using: &generator)
                        }
                        var samples = (0..<10).map { _ in level + Self.gaussian(&generator) * kind.noise }
                        switch anomaly {
                        case "spike"?: samples = samples.map { $0 + 8 * kind.noise + 0.5 * kind.amplitude }
                        case "stuck"?: samples = Array(repeating: samples[0], count: samples.count)
                        case "level shift"?: samples = samples.map { $0 - 6 * kind.noise - 0.4 * kind.amplitude }
                        default: break
                        }
                        if let anomaly { truth.append((name, kind.name, ts, anomaly)) }
                        let mean = samples.reduce(0, +) / Double(samples.count)
                        let deviation = (samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(samples.count)).squareRoot()
                        batch.append(device: name, sensor: kind.name, ts: ts, features: [mean, samples.min()!, samples.max()!, deviation])
                    }
                    if batch.count > 5_000 { try await send(&batch) }
                }
            }
            try await send(&batch)
        }
        try await recordTruth(truth, connection)
        print("2/6 fleet: \(devices) devices × \(sensors) sensors, \(loaded.inserted) readings over \(hours + scoreHours) h (5-minute aggregates), \(truth.count) anomalies injected into the last \(scoreHours) h")

        let series = try await connection.query(
            "SELECT series_id, device, sensor FROM pgscorer.series WHERE device LIKE 'demo-%' ORDER BY device, sensor")
        var trainer = OneClassSVMTrainer()
        trainer.nu = 0.01
        trainer.scaling = .standard
        let training = SeriesTraining(
            databaseURL: url, trainer: trainer, since: nil, until: scoringStart.description, minReadings: 10, activate: true,
            logger: logger)
        let trained = try await training.run(
            try series.map { .init(seriesID: try $0.decode(0), device: try $0.decode(1), sensor: try $0.decode(2)) },
            parallel: ProcessInfo.processInfo.activeProcessorCount, progress: false)
        print("3/6 trained \(trained.trained) models natively (rbf, nu 0.01, standard scaler) on the first \(hours) h in \(String(format: "%.1f", trained.seconds)) s")

        try await connection.execute(
            """
            INSERT INTO pgscorer.schedules (name, every, "window", device_pattern) VALUES ('demo', '5 seconds', $1::interval, 'demo-%')
            """, "\(scoreHours) hours")
        print("4/6 schedule 'demo': every 5 s, each tick scores the last \(scoreHours) h of every demo series")

        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        var processes: [Process] = []
        for _ in 0..<workers {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["worker", "--concurrency", "1", "--poll", "500ms"]
            var environment = ProcessInfo.processInfo.environment
            environment["DATABASE_URL"] = url
            environment["LOG_LEVEL"] = environment["LOG_LEVEL"] ?? "warning"
            process.environment = environment
            try process.run()
            processes.append(process)
        }
        print("5/6 started \(workers) worker processes (pids \(processes.map { String($0.processIdentifier) }.joined(separator: ", "))); letting the schedule tick for \(seconds) s…")
        try await Task.sleep(for: .seconds(seconds))
        for process in processes { process.terminate() }
        for process in processes { process.waitUntilExit() }
        try await printReport(connection, scoringStart: scoringStart)
        print(String(format: "demo finished in %.0f s", (ContinuousClock.now - started).seconds))
        print(
            """

            Try next:
              psql "\(url.contains("password") ? "<your database>" : url)"        # everything is in schema pgscorer
              SELECT * FROM pgscorer.anomaly_rate_daily ORDER BY anomaly_rate DESC LIMIT 5;
              UPDATE pgscorer.schedules SET every = '1 minute' WHERE name = 'demo';   -- edit the schedule with SQL
              pgscorer status        pgscorer report        pgscorer worker   (Ctrl-C stops it gracefully)
            """)
        await connection.close()
    }

    /// Removes what an earlier demo left (demo-* series and the 'demo' schedule).
    func resetDemo(_ connection: PostgresConnection) async throws {
        try await connection.executeScript(
            """
            CREATE SCHEMA IF NOT EXISTS pgscorer_demo;
            CREATE TABLE IF NOT EXISTS pgscorer_demo.injected_anomalies (
                device text NOT NULL, sensor text NOT NULL, ts timestamptz NOT NULL, kind text NOT NULL,
                PRIMARY KEY (device, sensor, ts));
            TRUNCATE pgscorer_demo.injected_anomalies;
            DELETE FROM pgscorer.schedules WHERE name = 'demo';
            DELETE FROM pgscorer.jobs WHERE series_id IN (SELECT series_id FROM pgscorer.series WHERE device LIKE 'demo-%');
            DELETE FROM pgscorer.predictions WHERE series_id IN (SELECT series_id FROM pgscorer.series WHERE device LIKE 'demo-%');
            DELETE FROM pgscorer.readings WHERE series_id IN (SELECT series_id FROM pgscorer.series WHERE device LIKE 'demo-%');
            DELETE FROM pgscorer.models WHERE series_id IN (SELECT series_id FROM pgscorer.series WHERE device LIKE 'demo-%');
            DELETE FROM pgscorer.series WHERE device LIKE 'demo-%';
            """, name: "demo.reset")
    }

    func recordTruth(_ truth: [(String, String, PostgresTimestamp, String)], _ connection: PostgresConnection) async throws {
        try await connection.execute(
            """
            INSERT INTO pgscorer_demo.injected_anomalies (device, sensor, ts, kind)
            SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[])
            """, truth.map(\.0), truth.map(\.1), truth.map(\.2), truth.map(\.3))
    }

    func printReport(_ connection: PostgresConnection, scoringStart: PostgresTimestamp) async throws {
        let ticks = try await connection.query(
            """
            SELECT count(*), coalesce(sum(jobs_created), 0)::int8, coalesce(sum(completed), 0)::int8,
                   coalesce(sum(rows_scored), 0)::int8, coalesce(avg(extract(epoch FROM processing_time)), 0)::float8
            FROM pgscorer.schedule_run_stats WHERE schedule = 'demo'
            """).single()
        let outcome = try await connection.query(
            """
            SELECT count(*) FILTER (WHERE p.is_anomaly AND t.ts IS NOT NULL),
                   count(*) FILTER (WHERE p.is_anomaly AND t.ts IS NULL),
                   count(*) FILTER (WHERE NOT p.is_anomaly AND t.ts IS NOT NULL),
                   count(*)
            FROM pgscorer.predictions p
            JOIN pgscorer.series s USING (series_id)
            JOIN pgscorer.models m ON m.model_id = p.model_id AND m.active
            LEFT JOIN pgscorer_demo.injected_anomalies t ON t.device = s.device AND t.sensor = s.sensor AND t.ts = p.ts
            WHERE s.device LIKE 'demo-%' AND p.ts >= $1
            """, scoringStart).single()
        let caught: Int = try outcome.decode(0), falseAlarms: Int = try outcome.decode(1), missed: Int = try outcome.decode(2)
        let scored: Int = try outcome.decode(3)
        let byKind = try await connection.query(
            """
            SELECT t.kind, count(*), count(*) FILTER (WHERE p.is_anomaly)
            FROM pgscorer_demo.injected_anomalies t
            JOIN pgscorer.series s ON s.device = t.device AND s.sensor = t.sensor
            JOIN pgscorer.models m ON m.series_id = s.series_id AND m.active
            JOIN pgscorer.predictions p ON p.series_id = s.series_id AND p.ts = t.ts AND p.model_id = m.model_id
            GROUP BY t.kind ORDER BY t.kind
            """)
        let worst = try await connection.query(
            """
            SELECT device, sensor, sum(anomalies)::int8, sum(scored)::int8 FROM pgscorer.anomaly_rate_daily
            WHERE device LIKE 'demo-%' GROUP BY device, sensor ORDER BY sum(anomalies) DESC, device LIMIT 5
            """)
        print(String(
            format: "6/6 %d ticks fired, %d jobs queued, %d completed, %d readings scored (%.2f s per tick on average)",
            try ticks.decode(0) as Int, try ticks.decode(1) as Int, try ticks.decode(2) as Int, try ticks.decode(3) as Int,
            try ticks.decode(4) as Double))
        print("\nWhat the models found in the last hours (\(scored) readings, each predicted exactly once):")
        print("  injected anomalies caught: \(caught) of \(caught + missed)" + String(format: "  (recall %.0f%%)", 100 * Double(caught) / Double(max(caught + missed, 1))))
        print("  flagged readings that were injected anomalies: \(caught) of \(caught + falseAlarms)" + String(format: "  (precision %.0f%%)", 100 * Double(caught) / Double(max(caught + falseAlarms, 1))))
        for row in byKind {
            print("    \(try row.decode(0) as String): caught \(try row.decode(2) as Int) of \(try row.decode(1) as Int)")
        }
        print("  series with the most anomalies:")
        for row in worst {
            print("    \(try row.decode(0) as String)/\(try row.decode(1) as String): \(try row.decode(2) as Int) of \(try row.decode(3) as Int) readings")
        }
    }

    static func gaussian(_ generator: inout some RandomNumberGenerator) -> Double {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &generator)
        let v = Double.random(in: 0..<1, using: &generator)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}
