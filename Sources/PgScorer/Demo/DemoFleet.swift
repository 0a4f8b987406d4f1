import Foundation
import Kernels
import Logging
import PgClient

/// The demo's fleet: pumps whose sensors report 5-minute aggregates (mean, min, max,
/// std) up to the database's clock, with daily cycles, drift and noise, and anomalies
/// (spikes, stuck sensors, level shifts) injected into the scored hours and recorded in
/// `pgscorer_demo.injected_anomalies`, so that the tally can say how many were caught.
/// Demo series are named `demo-*`; nothing else is touched.
package struct DemoFleet: Sendable {
    package var devices = 20
    package var sensors = 5
    /// Hours of history the models are trained on.
    package var hours = 24
    /// Hours after the history, up to now: scored on the schedule, with anomalies injected.
    package var scoreHours = 6
    /// Fixes the fleet's readings and anomalies.
    package var seed: UInt64 = 1

    package init() {}

    package static let sensorKinds: [(name: String, level: Double, amplitude: Double, noise: Double)] = [
        ("temperature", 21, 4, 0.3), ("vibration", 2.5, 0.8, 0.15), ("pressure", 101.3, 0.6, 0.05),
        ("humidity", 45, 10, 1.0), ("current", 12, 3, 0.25),
    ]

    /// What `generate` loaded.
    package struct Generated: Sendable {
        package let readings: Int
        package let injected: Int
        /// Where the scored hours begin: readings after it are scored, the models train
        /// on the readings up to it.
        package let scoringStart: PostgresTimestamp
        /// Readings per series in the scored hours.
        package let scoredPerSeries: Int
    }

    /// Removes what an earlier demo left (demo-* series and their rows, the 'demo' schedule).
    package func reset(_ connection: PostgresConnection) async throws {
        try await connection.executeScript(DemoQueries.reset, name: "demo.reset")
    }

    /// Generates the readings up to the database's clock, loads them (or, given `live`,
    /// publishes them over MQTT for its gateway and waits until they are stored), and
    /// records the injected anomalies.
    package func generate(_ connection: PostgresConnection, live: DemoLive? = nil) async throws -> Generated {
        let now: PostgresTimestamp = try await connection.query(DemoQueries.now).single().decode("now")
        let step: Int64 = 300_000_000
        let readingsPerSeries = (hours + scoreHours) * 12
        // The newest reading is at `now`, so the first tick's window covers every scored reading.
        let firstTs = now.microsecondsSince2000 - Int64(readingsPerSeries - 1) * step
        let scoringStart = PostgresTimestamp(microsecondsSince2000: now.microsecondsSince2000 - Int64(scoreHours) * 3_600_000_000)
        var injected: [(device: String, sensor: String, ts: PostgresTimestamp, kind: String)] = []
        var generator = SeededGenerator(seed: seed)
        var readings: [ParsedReading] = []
        do {
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
                        if ts > scoringStart && Double.random(in: 0..<1, using: &generator) < 0.02 {
                            anomaly = ["spike", "stuck", "level shift"].randomElement(using: &generator)
                        }
                        var samples = (0..<10).map { _ in level + Self.gaussian(&generator) * kind.noise }
                        switch anomaly {
                        case "spike"?: samples = samples.map { $0 + 8 * kind.noise + 0.5 * kind.amplitude }
                        case "stuck"?: samples = Array(repeating: samples[0], count: samples.count)
                        case "level shift"?: samples = samples.map { $0 - 6 * kind.noise - 0.4 * kind.amplitude }
                        default: break
                        }
                        if let anomaly { injected.append((name, kind.name, ts, anomaly)) }
                        let mean = samples.reduce(0, +) / Double(samples.count)
                        let deviation = (samples.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(samples.count)).squareRoot()
                        readings.append(ParsedReading(
                            device: name, sensor: kind.name, ts: ts, features: [mean, samples.min()!, samples.max()!, deviation],
                            line: readings.count + 1))
                    }
                }
            }
        }
        let stored: Int
        if let live {
            let published = readings
            try await onOwnThread { try live.publish(published) }
            // The gateway stores them in batches a moment later.
            let deadline = ContinuousClock.now + .seconds(120)
            var count = 0
            while count < readings.count, ContinuousClock.now < deadline {
                count = try await connection.query(DemoQueries.demoReadings.bind()).single().decode("readings")
                if count < readings.count { try await Task.sleep(for: .milliseconds(100)) }
            }
            guard count == readings.count else {
                throw PgScorerError(.environment, "the gateway stored \(count) of the \(readings.count) readings published within 2 minutes")
            }
            stored = count
        } else {
            stored = try await ReadingStore(connection: connection).load(readings).inserted
        }
        try await connection.execute(
            DemoQueries.recordInjected.bind(injected.map(\.device), injected.map(\.sensor), injected.map(\.ts), injected.map(\.kind)))
        return Generated(readings: stored, injected: injected.count, scoringStart: scoringStart, scoredPerSeries: scoreHours * 12)
    }

    /// Trains every demo series natively on its readings up to `scoringStart`.
    package func train(
        databaseURL: String, until scoringStart: PostgresTimestamp, on connection: PostgresConnection, logger: Logger
    ) async throws -> SeriesTraining.Summary {
        var trainer = OneClassSVMTrainer()
        trainer.nu = 0.01
        trainer.scaling = .standard
        let training = SeriesTraining(
            databaseURL: databaseURL, trainer: trainer, range: try TimeRange(since: nil, until: PostgresTimestamp(microsecondsSince2000: scoringStart.microsecondsSince2000 + 1)), minReadings: 10,
            role: .champion, logger: logger)
        let targets = try await SeriesTraining.Target.matching(SeriesSelector(device: "demo-*"), on: connection)
        return try await training.run(targets, parallel: ProcessInfo.processInfo.activeProcessorCount, progress: false)
    }

    /// Adds the 'demo' schedule: every 5 s, scoring the last `scoreHours` of every demo series.
    package func addSchedule(_ connection: PostgresConnection) async throws {
        var schedule = ScheduleStore.NewSchedule(name: "demo", every: .seconds(5), window: .seconds(3600 * scoreHours))
        schedule.devicePattern = "demo-%"
        try await ScheduleStore(connection: connection).add(schedule)
    }

    static func gaussian(_ generator: inout some RandomNumberGenerator) -> Double {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &generator)
        let v = Double.random(in: 0..<1, using: &generator)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}
