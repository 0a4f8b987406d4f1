import ArgumentParser
import Foundation
import Migrations
import PgClient
import PgScorer

/// `pgscorer demo`: from nothing to anomalies found across a fleet, scored on a
/// schedule by several worker processes.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Generate a fleet, train its models, schedule scoring, run workers, and report what they found.",
        discussion: """
            Uses the embedded database unless one is configured. Demo series are named demo-*; a previous demo's rows \
            (its schedule 'demo' and its aggregation 'demo_5m') are replaced, nothing else is touched. Sensors send a raw \
            sample every 10 s with daily cycles, drift and noise; the aggregation demo_5m makes 5-minute readings of \
            them (mean, min, max, std), which the models score. Anomalies (spikes, stuck sensors, level shifts) are \
            injected into the last hours and recorded in pgscorer_demo.injected_anomalies, so the report can say how \
            many were caught. The same --seed gives the same fleet.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("device-count"), help: "Devices in the fleet.") var devices = 20
    @Option(name: .customLong("sensor-count"), help: "Sensors per device (at most 5: temperature, vibration, pressure, humidity, current).")
    var sensors = 5
    @Option(help: "Hours of history the models are trained on (a full day covers the daily cycle).") var hours = 24
    @Option(name: .customLong("score-hours"), help: "Hours after the history, up to now: scored on the schedule, with anomalies injected.")
    var scoreHours = 6
    @Option(help: "Worker processes to start.") var workers = 2
    @Option(help: "Seconds to let the schedule tick.") var seconds = 15
    @Option(help: "Seed of the generated fleet and its anomalies: the same seed, the same fleet.") var seed: UInt64 = 1
    @Flag(help: "Send the last --score-hours of samples as devices do: published over MQTT (to a mosquitto broker it starts, or --mqtt) and stored by a pgscorer stream gateway.")
    var live = false
    @Option(help: ArgumentHelp("With --live: the broker to publish through, mqtt://host:port (default: one it starts).", valueName: "url"))
    var mqtt: String?
    @Flag(name: .customLong("keep-schedule"), help: "Leave the demo's 5-second schedule enabled at the end (by default it is disabled).")
    var keepSchedule = false

    func validate() throws {
        guard (1...1000).contains(devices) else { throw ValidationError("--device-count must be between 1 and 1000") }
        guard (1...5).contains(sensors) else { throw ValidationError("--sensor-count must be between 1 and 5") }
        guard (1...24 * 30).contains(hours), (1...48).contains(scoreHours) else {
            throw ValidationError("--hours must be between 1 and 720 and --score-hours between 1 and 48")
        }
        let samples = devices * sensors * (hours + scoreHours) * 360
        guard samples <= 20_000_000 else {
            throw ValidationError("that fleet sends \(samples) raw samples (devices × sensors × hours × 360); the demo makes at most 20,000,000")
        }
        guard (1...16).contains(workers) else { throw ValidationError("--workers must be between 1 and 16") }
        guard seconds >= 5 else { throw ValidationError("--seconds must be at least 5") }
        if mqtt != nil, !live { throw ValidationError("--mqtt is for --live") }
        if let mqtt { do { _ = try MQTTAddress(mqtt) } catch { throw ValidationError("\(error)") } }
    }

    func run() async throws {
        let started = ContinuousClock.now
        var fleet = DemoFleet()
        fleet.devices = devices
        fleet.sensors = sensors
        fleet.hours = hours
        fleet.scoreHours = scoreHours
        fleet.seed = seed
        try await global.withDatabase(checkSchema: false, createEmbedded: true, quietEmbedded: true) { session in
            let connection = session.connection
            print("1/6 database: \(connection.target)")
            try await Migrator(logger: session.logger).migrate(connection)
            try await fleet.reset(connection)
            try await fleet.addAggregation(connection)
            var gateway: DemoLive?
            if live {
                var starting = DemoLive()
                try await starting.start(brokerURL: mqtt, databaseURL: session.databaseURL)
                gateway = starting
            }
            defer { gateway?.stop() }
            let publishing = ContinuousClock.now
            let generated = try await fleet.generate(connection, live: gateway)
            print("2/6 fleet: \(devices) devices × \(sensors) sensors sending a raw sample every \(DemoFleet.sampleSeconds) s: \(generated.samples) samples over \(hours + scoreHours) h, \(generated.injected) anomalies injected into the last \(scoreHours) h")
            if let address = gateway?.address {
                let seconds = (ContinuousClock.now - publishing).seconds
                print("    live: the last \(scoreHours) h, \(generated.published) samples, published as MQTT messages (QoS 1) to \(address) on \(DemoLive.topic); a pgscorer stream gateway stored them all in " + String(format: "%.1f s (%.0f samples/s)", seconds, Double(generated.published) / seconds) + "; the history before was loaded directly")
            }
            print("    aggregation \(DemoFleet.aggregation) closed \(generated.readings) 5-minute windows into readings (mean, min, max, std) of <sensor>_5m — the series the models score")
            let trained = try await fleet.train(
                databaseURL: session.databaseURL, until: generated.scoringStart, on: connection, logger: session.logger)
            print("3/6 trained \(trained.trained) models natively (rbf, nu 0.01, standard scaler) on the first \(hours) h in \(String(format: "%.1f", trained.seconds)) s")
            try await fleet.addSchedule(connection)
            print("4/6 schedule 'demo': every 5 s, each tick scores the last \(scoreHours) h of every demo series")
            var processes = DemoWorkers()
            try processes.start(workers, databaseURL: session.databaseURL)
            print("5/6 started \(workers) worker processes (pids \(processes.processIDs.map(String.init).joined(separator: ", "))); letting the schedule tick for \(seconds) s…")
            do {
                try await Task.sleep(for: .seconds(seconds))
            } catch {
                processes.stop()
                throw error
            }
            processes.stop()
            print(Self.describe(try await DemoTally.load(from: connection, scoringStart: generated.scoringStart), scoreHours: scoreHours))
            if !keepSchedule {
                try await ScheduleStore(connection: connection).setEnabled("demo", false)
                print("schedule 'demo' disabled, so later workers leave the demo alone (--keep-schedule keeps it ticking)")
            }
            print(String(format: "demo finished in %.0f s", (ContinuousClock.now - started).seconds))
            print("\nTry next, line by line in a shell (from this folder, or any folder below it):")
            for line in Self.tryNext(databaseURL: session.databaseURL, embedded: global.usesEmbedded()) { print("  " + line) }
        }
    }

    /// Shell lines that work verbatim, in order: pgscorer onto PATH first, SQL inside the
    /// psql call that runs it.
    static func tryNext(databaseURL: String, embedded: Bool) -> [String] {
        let url = PostgresConnection.containsPassword(databaseURL) ? "$DATABASE_URL" : databaseURL
        var lines: [String] = []
        if let binary = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            lines.append("export PATH=\"\(URL(fileURLWithPath: binary).deletingLastPathComponent().path):$PATH\"   # pgscorer on your PATH")
        }
        lines += [
            "pgscorer status",
            "pgscorer report --since 1d",
            "psql \"\(url)\" -c \"SELECT * FROM pgscorer.anomaly_rate_daily ORDER BY anomaly_rate DESC LIMIT 5\"   # everything is in schema pgscorer",
            "psql \"\(url)\" -c \"UPDATE pgscorer.schedules SET every = '1 minute', enabled = true WHERE name = 'demo'\"   # edit a schedule with SQL",
            "pgscorer worker   # scores as the schedule ticks; Ctrl-C stops it gracefully",
            "pgscorer serve    # the dashboard at http://127.0.0.1:8080/; Ctrl-C stops it",
        ]
        if embedded { lines.append("pgscorer db remove --yes   # when you are done: stops this embedded database and deletes it") }
        return lines
    }

    static func describe(_ tally: DemoTally, scoreHours: Int) -> String {
        func percent(_ part: Int, _ whole: Int) -> String { String(format: "%.0f%%", 100 * Double(part) / Double(max(whole, 1))) }
        let flagged = tally.caught + tally.falseAlarms
        let scoredInjected = tally.caught + tally.missed
        var lines = [
            String(
                format: "6/6 %d ticks fired, %d jobs queued, %d completed, %d readings scored (%.2f s per tick on average)",
                tally.ticks, tally.jobsQueued, tally.jobsCompleted, tally.readingsScored, tally.secondsPerTick),
            "\nWhat the models found in the last \(scoreHours) h (\(tally.scored) readings of \(tally.series) series, each predicted exactly once):",
            "  injected anomalies caught: \(tally.caught) of \(scoredInjected)  (recall \(percent(tally.caught, scoredInjected)))"
                + (scoredInjected == tally.injected ? "" : "; \(tally.injected - scoredInjected) of the \(tally.injected) injected were not scored yet"),
            "  flagged readings: \(flagged), of which \(tally.caught) injected anomalies and \(tally.falseAlarms) false alarms  (precision \(percent(tally.caught, flagged)))",
        ]
        lines += tally.byKind.map { "    \($0.kind): caught \($0.caught) of \($0.injected)" }
        lines.append("  series with the most anomalies:")
        lines += tally.worst.map { "    \($0.device)/\($0.sensor): \($0.anomalies) of \($0.scored) readings" }
        return lines.joined(separator: "\n")
    }
}
