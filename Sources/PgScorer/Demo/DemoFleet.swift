import Foundation
import Kernels
import Logging
import PgClient

/// The demo's fleet: pumps whose sensors send raw samples every 10 s up to the database's
/// clock, with daily cycles, drift and noise, and anomalies (spikes, stuck sensors, level
/// shifts) injected into the scored hours and recorded in
/// `pgscorer_demo.injected_anomalies`, so that the tally can say how many were caught.
/// The aggregation `demo_5m` makes their 5-minute readings (mean, min, max, std), which
/// the models score. Demo series are named `demo-*`; nothing else is touched.
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

    /// The aggregation that makes the demo's 5-minute readings of its raw samples.
    package static let aggregation = "demo_5m"
    /// Seconds between raw samples.
    package static let sampleSeconds: Int64 = 10

    /// What `generate` loaded.
    package struct Generated: Sendable {
        /// Raw samples stored, and how many of them went over MQTT (live).
        package let samples: Int
        package let published: Int
        /// 5-minute readings the aggregation made of them.
        package let readings: Int
        package let injected: Int
        /// Where the scored hours begin: readings after it are scored, the models train
        /// on the readings up to it.
        package let scoringStart: PostgresTimestamp
        /// Readings per series in the scored hours.
        package let scoredPerSeries: Int
    }

    /// Removes what an earlier demo left (demo-* series and their rows, the 'demo'
    /// schedule, the demo_5m aggregation).
    package func reset(_ connection: PostgresConnection) async throws {
        try await connection.executeScript(DemoQueries.reset, name: "demo.reset")
    }

    /// Adds the aggregation first, so that the demo's raw series hold samples from their
    /// first one: 5-minute windows (mean, min, max, std) of every demo sensor, written to
    /// `<sensor>_5m`. No lateness: the samples are all there when it closes them; and the
    /// devices fall silent once generated, so a second of silence closes their last window
    /// (and scoring ticks never wait for a window that no sample will close).
    package func addAggregation(_ connection: PostgresConnection) async throws {
        var aggregation = AggregationStore.NewAggregation(
            name: Self.aggregation, window: .seconds(300), features: ["mean", "min", "max", "std"], target: "{sensor}_5m")
        aggregation.devicePattern = "demo-%"
        aggregation.lateness = .zero
        aggregation.idleClose = .seconds(1)
        _ = try await AggregationStore(connection: connection).add(aggregation)
    }

    /// Generates raw samples every 10 s up to the last 5-minute boundary, stores them (or, given
    /// `live`, stores the history and publishes the scored hours over MQTT for its
    /// gateway, waiting until they are stored), lets the aggregation close the windows
    /// into 5-minute readings, and records the injected anomalies (at the end of the
    /// window they are in: the time of the reading that should be flagged).
    package func generate(_ connection: PostgresConnection, live: DemoLive? = nil) async throws -> Generated {
        let now: PostgresTimestamp = try await connection.query(DemoQueries.now).single().decode("now")
        let step: Int64 = 300_000_000
        let sampleStep = Self.sampleSeconds * 1_000_000
        let windowsPerSeries = (hours + scoreHours) * 12
        // Windows are aligned to the epoch (as 2000-01-01 is): the newest one ends at the
        // 5-minute boundary at or before now.
        let lastEnd = now.microsecondsSince2000 - now.microsecondsSince2000 % step
        let firstStart = lastEnd - Int64(windowsPerSeries) * step
        let scoringStart = PostgresTimestamp(microsecondsSince2000: lastEnd - Int64(scoreHours) * 3_600_000_000)
        var injected: [(device: String, sensor: String, ts: PostgresTimestamp, kind: String)] = []
        var generator = SeededGenerator(seed: seed)
        var history: [ParsedReading] = [], recent: [ParsedReading] = []
        let perWindow = Int(step / sampleStep)
        for device in 1...devices {
            let name = String(format: "demo-pump-%02d", device)
            for kind in Self.sensorKinds.prefix(sensors) {
                let phase = Double.random(in: 0..<(2 * .pi), using: &generator)
                let drift = Double.random(in: -0.02...0.02, using: &generator) * kind.amplitude / 24
                for index in 0..<windowsPerSeries {
                    let start = firstStart + Int64(index) * step
                    let end = PostgresTimestamp(microsecondsSince2000: start + step)
                    let hoursIn = Double(index) / 12
                    let level = kind.level + kind.amplitude * sin(2 * .pi * hoursIn / 24 + phase) + drift * hoursIn
                    var anomaly: String?
                    if end > scoringStart, Double.random(in: 0..<1, using: &generator) < 0.02 {
                        anomaly = ["spike", "stuck", "level shift"].randomElement(using: &generator)
                    }
                    var values = (0..<perWindow).map { _ in level + Self.gaussian(&generator) * kind.noise }
                    switch anomaly {
                    case "spike"?: values = values.map { $0 + 8 * kind.noise + 0.5 * kind.amplitude }
                    case "stuck"?: values = Array(repeating: values[0], count: values.count)
                    case "level shift"?: values = values.map { $0 - 6 * kind.noise - 0.4 * kind.amplitude }
                    default: break
                    }
                    if let anomaly { injected.append((name, "\(kind.name)_5m", end, anomaly)) }
                    for (offset, value) in values.enumerated() {
                        let ts = PostgresTimestamp(microsecondsSince2000: start + Int64(offset) * sampleStep)
                        let sample = ParsedReading(device: name, sensor: kind.name, ts: ts, features: [value], line: 0)
                        if live != nil && end > scoringStart { recent.append(sample) } else { history.append(sample) }
                    }
                }
            }
        }
        var stored = try await ReadingStore(connection: connection).load(history).inserted
        if let live {
            let published = recent
            try await onOwnThread { try live.publish(published) }
            // The gateway stores them in batches a moment later.
            let deadline = ContinuousClock.now + .seconds(120)
            let expected = history.count + recent.count
            while stored < expected, ContinuousClock.now < deadline {
                stored = try await connection.query(DemoQueries.demoSamples.bind()).single().decode("samples")
                if stored < expected { try await Task.sleep(for: .milliseconds(100)) }
            }
            guard stored == expected else {
                throw PgScorerError(.environment, "the gateway stored \(stored - history.count) of the \(recent.count) samples published within 2 minutes")
            }
        }
        // A second of silence, and every window is due (idle close).
        try await Task.sleep(for: .milliseconds(1100))
        let closed = try await WindowCloser().closeDue(on: connection).closed
        try await connection.execute(
            DemoQueries.recordInjected.bind(injected.map(\.device), injected.map(\.sensor), injected.map(\.ts), injected.map(\.kind)))
        return Generated(
            samples: stored, published: recent.count, readings: closed, injected: injected.count, scoringStart: scoringStart,
            scoredPerSeries: scoreHours * 12)
    }

    /// Trains every demo series of readings natively on its readings up to `scoringStart`.
    package func train(
        databaseURL: String, until scoringStart: PostgresTimestamp, on connection: PostgresConnection, logger: Logger
    ) async throws -> SeriesTraining.Summary {
        var trainer = OneClassSVMTrainer()
        trainer.nu = 0.01
        trainer.scaling = .standard
        let training = SeriesTraining(
            databaseURL: databaseURL, trainer: trainer, range: try TimeRange(since: nil, until: PostgresTimestamp(microsecondsSince2000: scoringStart.microsecondsSince2000 + 1)), minReadings: 10,
            role: .champion, logger: logger)
        let targets = try await SeriesTraining.Target.matching(SeriesSelector(device: "demo-*", sensor: "*_5m"), on: connection)
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
