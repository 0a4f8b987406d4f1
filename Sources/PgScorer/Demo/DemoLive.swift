import Foundation
import PgClient
import Spawn

/// `pgscorer demo --live`: the fleet's readings travel as devices send them — published
/// over MQTT, taken in by a `pgscorer stream` gateway — instead of being loaded directly.
/// Starts a mosquitto broker of its own on a free loopback port (unless given one) and
/// the gateway, and stops both when done.
package struct DemoLive {
    package static let topic = "demo/{device}/{sensor}"
    private var broker: ChildProcess?
    private var gateway: ChildProcess?
    private var folder: URL?
    package private(set) var address: MQTTAddress?

    package init() {}

    /// Starts the broker (when `brokerURL` is nil) and the gateway against `databaseURL`.
    package mutating func start(brokerURL: String?, databaseURL: String) async throws {
        if let brokerURL {
            address = try MQTTAddress(brokerURL)
        } else {
            let port = try FreePort.loopback()
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-demo-broker-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            self.folder = folder
            let configuration = folder.appendingPathComponent("mosquitto.conf").path
            // Queues without a limit for the gateway: mosquitto's default drops past 1000.
            try "listener \(port) 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\npersistence false\n"
                .write(toFile: configuration, atomically: true, encoding: .utf8)
            guard let binary = ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"].first(where: FileManager.default.isExecutableFile) else {
                throw PgScorerError(.environment, "demo --live needs the mosquitto broker (Debian: apt-get install mosquitto), or --mqtt URL of one")
            }
            broker = try ChildProcess(
                executable: binary, arguments: ["-c", configuration], environment: ProcessInfo.processInfo.environment,
                outputPath: folder.appendingPathComponent("mosquitto.log").path)
            address = try MQTTAddress("mqtt://127.0.0.1:\(port)")
        }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        environment["LOG_LEVEL"] = environment["LOG_LEVEL"] ?? "warning"
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-demo-gateway-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let gateway = try ChildProcess(
            executable: executable,
            arguments: ["stream", "--mqtt", "\(address!.tls ? "mqtts" : "mqtt")://\(address!.host):\(address!.port)", "--topic", Self.topic, "--client-id", "pgscorer-demo-gateway"],
            environment: environment, outputPath: output)
        self.gateway = gateway
        // Messages published before the gateway subscribed would not be kept for it.
        let deadline = ContinuousClock.now + .seconds(30)
        while !((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains("gateway subscribed") {
            guard gateway.isRunning, ContinuousClock.now < deadline else {
                let said = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
                stop()
                throw PgScorerError(.environment, "the demo's gateway did not subscribe to the broker \(address!): \(said)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Publishes `readings` as the devices would, one message per reading at QoS 1.
    package func publish(_ readings: [ParsedReading]) throws {
        guard let address else { return }
        var publisher: MQTTPublisher?
        // The broker may take a moment to listen.
        for attempt in 0..<50 {
            do {
                publisher = try MQTTPublisher(address: address, clientID: "pgscorer-demo-fleet")
                break
            } catch where attempt < 49 {
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        try publisher?.publish(readings.map { reading in
            let values = reading.features.map { "\($0)" }.joined(separator: ",")
            return ("demo/\(reading.device)/\(reading.sensor)", "{\"ts\":\"\(reading.ts)\",\"values\":[\(values)]}")
        })
    }

    /// Stops the gateway (it stores what it received first) and the broker.
    package func stop() {
        for process in [gateway, broker].compactMap({ $0 }) {
            process.signal(SIGTERM)
            process.waitUntilExit()
        }
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }
}
