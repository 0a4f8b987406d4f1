import ArgumentParser
import Foundation
import PgScorer
import PgScorerWeb
import ServiceLifecycle
import Synchronization

/// `pgscorer stream`: the gateway from MQTT and HTTP into the readings.
struct StreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Take live telemetry in from MQTT and HTTP and store it, exactly once.",
        discussion: """
            MQTT: --mqtt mqtt://[user:password@]host:port (mqtts:// for TLS) and one or more --topic templates, \
            e.g. --topic 'plant/{device}/{sensor}' (subscribes to plant/+/+ at QoS 1 with a persistent session). \
            A message is {"ts":…,"value":…}, {"ts":…,"values":[…]} or a bare number (stamped on arrival). \
            HTTP: --listen HOST:PORT takes POST /write (InfluxDB line protocol: temp,device=pump-1 value=21.5 1764680000000000000) \
            and POST /ingest (JSON lines, or CSV as pgscorer ingest reads it), each with a device token \
            (pgscorer devices token add DEVICE) as Authorization: Bearer TOKEN or Token TOKEN. \
            A request is answered once its readings are committed. The same reading again is a no-op; another value \
            for a stored (series, time), and anything that cannot be read, goes to pgscorer.rejected_readings with the \
            reason. When the database is slow or away, HTTP answers 503 with Retry-After and MQTT stops reading \
            (the broker holds the messages). SIGTERM stores what was received, then exits.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The MQTT broker: mqtt://[user:password@]host:port, or mqtts:// for TLS.", valueName: "url"))
    var mqtt: String?

    @Option(help: ArgumentHelp("A topic shape naming the series, e.g. 'plant/{device}/{sensor}' (repeatable).", valueName: "template"))
    var topic: [String] = []

    @Option(name: .customLong("client-id"), help: "The MQTT client id. Default: derived from the database and this host, the same at every start.")
    var clientID: String?

    @Option(name: .customLong("mqtt-ca"), help: ArgumentHelp("CA certificates (PEM) for mqtts://. Default: the system's.", valueName: "file"))
    var mqttCA: String?

    @Option(name: .customLong("mqtt-max-pending"), help: "MQTT messages received and not yet committed, at most (what a kill -9 can lose).")
    var mqttMaxPending = 2_000

    @Option(help: "HTTP: address to listen on, HOST:PORT, :PORT for loopback, port 0 for any free port.")
    var listen: ListenAddress?

    @Flag(name: .customLong("allow-anonymous"), help: "Take HTTP writes without a token (only when listening on loopback).")
    var allowAnonymous = false

    @Option(name: .customLong("flush-every"), help: "Commit received readings at least this often.")
    var flushEvery = DurationArgument(.milliseconds(100))

    @Option(name: .customLong("batch-size"), help: "Readings per transaction, at most.")
    var batchSize = 10_000

    @Option(help: "Transactions at once, each on its own database connection.")
    var connections = 2

    @Option(help: "Readings held while the database catches up, at most (HTTP then answers 503; MQTT waits).")
    var buffer = 200_000

    @Option(name: .customLong("max-ahead"), help: "Refuse readings more than this ahead of this machine's clock.")
    var maxAhead = DurationArgument(.seconds(86_400))

    @Option(name: .customLong("drain-timeout"), help: "On SIGTERM, how long to keep trying to store what was received.")
    var drainTimeout = DurationArgument(.seconds(30))

    func validate() throws {
        guard mqtt != nil || listen != nil else {
            throw ValidationError("give --mqtt URL with --topic, or --listen HOST:PORT, or both: the gateway needs something to take telemetry from")
        }
        if mqtt != nil, topic.isEmpty { throw ValidationError("--mqtt needs at least one --topic, e.g. --topic 'plant/{device}/{sensor}'") }
        if mqtt == nil, !topic.isEmpty { throw ValidationError("--topic is for MQTT: give --mqtt URL too") }
        if let mqtt { do { _ = try MQTTAddress(mqtt) } catch { throw ValidationError("\(error)") } }
        for template in topic { do { _ = try TopicTemplate(template) } catch { throw ValidationError("\(error)") } }
        if mqttCA != nil, mqtt.map({ !$0.lowercased().hasPrefix("mqtts:") }) ?? true { throw ValidationError("--mqtt-ca is for mqtts:// brokers") }
        if let mqttCA, !FileManager.default.isReadableFile(atPath: mqttCA) { throw ValidationError("--mqtt-ca \(mqttCA): cannot read it") }
        if allowAnonymous {
            guard let listen else { throw ValidationError("--allow-anonymous is for HTTP: give --listen too") }
            guard HostCheck.isLoopback(listen.host) else {
                throw ValidationError("--allow-anonymous only on loopback (--listen 127.0.0.1:PORT): beyond it, devices write with tokens (pgscorer devices token add DEVICE)")
            }
        }
        guard (1...16).contains(connections) else { throw ValidationError("--connections must be between 1 and 16") }
        guard (1...1_000_000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 1000000") }
        guard buffer >= batchSize else { throw ValidationError("--buffer (\(buffer)) must hold at least one batch (--batch-size \(batchSize))") }
        guard (1...buffer).contains(mqttMaxPending) else { throw ValidationError("--mqtt-max-pending must be between 1 and --buffer (\(buffer))") }
        guard flushEvery.duration >= .milliseconds(1), flushEvery.duration <= .seconds(60) else {
            throw ValidationError("--flush-every must be between 1ms and 60s")
        }
    }

    func run() async throws {
        let url = try await global.withDatabase { $0.databaseURL }
        let logger = global.bootstrapLogging()
        MetricsExport.bootstrap()
        var rules = TelemetryRules()
        rules.maximumAhead = maxAhead.duration
        let tally = GatewayTally()
        let telemetry = TelemetryBuffer(capacity: buffer, mqttLimit: mqttMaxPending)
        var flusherConfiguration = TelemetryFlusher.Configuration(databaseURL: url)
        flusherConfiguration.flushEvery = flushEvery.duration
        flusherConfiguration.batchSize = batchSize
        flusherConfiguration.connections = connections
        flusherConfiguration.drainTimeout = drainTimeout.duration
        // Services stop in reverse: the inputs first, the flusher last (it stores what they took).
        var services: [any Service] = [TelemetryFlusher(configuration: flusherConfiguration, buffer: telemetry, tally: tally, logger: logger)]
        let inputs = Mutex<[String]>([])
        var closeHTTP: (@Sendable () async -> Void)?
        if let listen {
            var configuration = GatewayServer.Configuration(host: listen.host, port: listen.port, databaseURL: url)
            configuration.allowAnonymous = allowAnonymous
            configuration.rules = rules
            let host = listen.host.contains(":") ? "[\(listen.host)]" : listen.host
            inputs.withLock { $0.append("http \(host):\(listen.port)") }
            let (app, close) = GatewayServer.application(configuration, buffer: telemetry, logger: logger) { port in
                inputs.withLock { $0[0] = "http \(host):\(port)" }
                FileHandle.standardOutput.write(Data("gateway listening at http://\(host):\(port)/ (POST /write, POST /ingest; metrics at /metrics)\n".utf8))
            }
            services.append(app)
            closeHTTP = close
        }
        if let mqtt {
            let address = try MQTTAddress(mqtt)
            var configuration = MQTTSubscriber.Configuration(
                address: address, topics: try topic.map(TopicTemplate.init), clientID: clientID ?? Self.defaultClientID(databaseURL: url))
            configuration.caFile = mqttCA
            configuration.rules = rules
            let filters = try topic.map { try TopicTemplate($0).filter }.joined(separator: ", ")
            let clientID = configuration.clientID
            configuration.onSubscribed = {
                FileHandle.standardOutput.write(Data("gateway subscribed at \(address) to \(filters) (QoS 1) as \(clientID)\n".utf8))
            }
            services.append(MQTTSubscriber(configuration: configuration, buffer: telemetry, logger: logger))
            inputs.withLock { $0.append("mqtt \(address) \(topic.joined(separator: " ")) as \(clientID)") }
        }
        services.insert(GatewayHeartbeat(databaseURL: url, inputs: { inputs.withLock { $0.joined(separator: "; ") } }, tally: tally, logger: logger), at: 1)
        try await ServiceRunner.run(services, grace: drainTimeout.duration + .seconds(15), logger: logger)
        await closeHTTP?()
        let counts = tally.snapshot
        logger.info(
            "gateway stopped",
            metadata: ["received": "\(counts.received)", "stored": "\(counts.stored)", "duplicates": "\(counts.duplicates)", "rejected": "\(counts.rejected)"])
    }

    /// `pgscorer-stream-` and a hash of the database's address and this host's name: the
    /// same at every start, so the broker keeps the session, and different per host.
    static func defaultClientID(databaseURL: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (databaseURL + "|" + ProcessInfo.processInfo.hostName).utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return "pgscorer-stream-" + String(hash, radix: 16)
    }
}
