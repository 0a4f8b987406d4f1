import CMosquitto
import Foundation
import Logging
import PgClient
import ServiceLifecycle
import Synchronization

/// The MQTT input of `pgscorer stream`, over libmosquitto (Debian's libmosquitto-dev,
/// from the project of the mosquitto broker). It connects with a fixed client id and a
/// persistent session (clean session off) and subscribes to each topic template's filter
/// at QoS 1, so what devices publish while the gateway is down waits in the broker. Each
/// message becomes a reading of the series its topic names, or a dead letter; it then
/// waits in the gateway's buffer, and while that is full this input stops reading from
/// the broker, which holds the rest. The library acknowledges a message as it receives
/// it; `TelemetryBuffer.mqttLimit` bounds what is acknowledged and not yet committed.
package final class MQTTSubscriber: Service, @unchecked Sendable {
    package struct Configuration: Sendable {
        package var address: MQTTAddress
        package var topics: [TopicTemplate]
        package var clientID: String
        /// CA certificates for `mqtts://` (nil: the system's).
        package var caFile: String?
        package var keepAlive: Int32 = 30
        package var rules = TelemetryRules()
        /// Called each time the broker confirmed every subscription (after each connect).
        package var onSubscribed: @Sendable () -> Void = {}

        package init(address: MQTTAddress, topics: [TopicTemplate], clientID: String) {
            self.address = address
            self.topics = topics
            self.clientID = clientID
        }
    }

    let configuration: Configuration
    let buffer: TelemetryBuffer
    let logger: Logger
    private let running = Atomic<Bool>(true)
    private let connected = Atomic<Bool>(false)
    private let stopped = Mutex<CheckedContinuation<Void, Never>?>(nil)
    private let finished = Atomic<Bool>(false)

    package init(configuration: Configuration, buffer: TelemetryBuffer, logger: Logger) {
        self.configuration = configuration
        self.buffer = buffer
        self.logger = logger
    }

    /// Runs the client on its own thread until a graceful shutdown, then disconnects.
    package func run() async throws {
        Self.initializeLibrary
        let thread = Thread { [self] in
            loop()
            finished.store(true, ordering: .sequentiallyConsistent)
            stopped.withLock { $0?.resume(); $0 = nil }
        }
        thread.name = "pgscorer mqtt"
        thread.start()
        await withGracefulShutdownHandler {
            await withCheckedContinuation { continuation in
                let done = stopped.withLock { waiting -> Bool in
                    if finished.load(ordering: .sequentiallyConsistent) { return true }
                    waiting = continuation
                    return false
                }
                if done { continuation.resume() }
            }
        } onGracefulShutdown: { [self] in
            running.store(false, ordering: .sequentiallyConsistent)
        }
    }

    static let initializeLibrary: Void = { mosquitto_lib_init() }()

    private func loop() {
        let context = Unmanaged.passUnretained(self).toOpaque()
        guard let client = mosquitto_new(configuration.clientID, false, context) else {
            logger.critical("libmosquitto could not make a client", metadata: ["errno": "\(errno)"])
            return
        }
        defer { mosquitto_destroy(client) }
        mosquitto_int_option(client, MOSQ_OPT_PROTOCOL_VERSION, Int32(MQTT_PROTOCOL_V311))
        if let username = configuration.address.username {
            mosquitto_username_pw_set(client, username, configuration.address.password)
        }
        if configuration.address.tls {
            let rc: Int32
            if let caFile = configuration.caFile {
                rc = mosquitto_tls_set(client, caFile, nil, nil, nil, nil)
            } else {
                rc = mosquitto_tls_set(client, nil, "/etc/ssl/certs", nil, nil, nil)
            }
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                logger.critical("cannot set up TLS for MQTT", metadata: ["error": "\(String(cString: mosquitto_strerror(rc)))"])
                return
            }
        }
        mosquitto_connect_callback_set(client) { client, context, code in
            let subscriber = Unmanaged<MQTTSubscriber>.fromOpaque(context!).takeUnretainedValue()
            subscriber.connected(client!, code: code)
        }
        mosquitto_disconnect_callback_set(client) { _, context, code in
            let subscriber = Unmanaged<MQTTSubscriber>.fromOpaque(context!).takeUnretainedValue()
            subscriber.connected.store(false, ordering: .relaxed)
            GatewayMetrics.mqttConnected.record(0)
            if code != 0 {
                subscriber.logger.warning("lost the MQTT broker; reconnecting", metadata: ["reason": "\(String(cString: mosquitto_strerror(code)))"])
            }
        }
        mosquitto_subscribe_callback_set(client) { _, context, _, _, _ in
            let subscriber = Unmanaged<MQTTSubscriber>.fromOpaque(context!).takeUnretainedValue()
            subscriber.subscribed()
        }
        mosquitto_message_callback_set(client) { _, context, message in
            let subscriber = Unmanaged<MQTTSubscriber>.fromOpaque(context!).takeUnretainedValue()
            subscriber.received(message!.pointee)
        }
        var attempt = 0
        var everConnected = false
        while running.load(ordering: .sequentiallyConsistent) {
            var rc: Int32
            if !everConnected {
                rc = mosquitto_connect(client, configuration.address.host, Int32(configuration.address.port), configuration.keepAlive)
                if rc == MOSQ_ERR_SUCCESS.rawValue { everConnected = true }
            } else {
                rc = mosquitto_loop(client, 100, 1)
                if rc != MOSQ_ERR_SUCCESS.rawValue, running.load(ordering: .sequentiallyConsistent) {
                    rc = mosquitto_reconnect(client)
                }
            }
            if rc == MOSQ_ERR_SUCCESS.rawValue {
                attempt = 0
                continue
            }
            attempt += 1
            if attempt == 1 || attempt % 30 == 0 {
                logger.warning(
                    "cannot reach the MQTT broker; trying again",
                    metadata: ["broker": "\(configuration.address)", "error": "\(Self.describe(rc))"])
            }
            Thread.sleep(forTimeInterval: min(0.1 * Double(1 << min(attempt, 5)), 2))
        }
        if connected.load(ordering: .relaxed) {
            mosquitto_disconnect(client)
            // Send the DISCONNECT (and any outstanding acknowledgement) before the client goes.
            for _ in 0..<10 where mosquitto_loop(client, 50, 1) == MOSQ_ERR_SUCCESS.rawValue {}
        }
        connected.store(false, ordering: .relaxed)
        GatewayMetrics.mqttConnected.record(0)
    }

    private static func describe(_ rc: Int32) -> String {
        rc == MOSQ_ERR_ERRNO.rawValue ? String(cString: strerror(errno)) : String(cString: mosquitto_strerror(rc))
    }

    private func connected(_ client: OpaquePointer, code: Int32) {
        guard code == 0 else {
            logger.error("the MQTT broker refused the connection", metadata: ["reason": "\(String(cString: mosquitto_connack_string(code)))"])
            return
        }
        connected.store(true, ordering: .relaxed)
        GatewayMetrics.mqttConnected.record(1)
        pendingSubscriptions.store(configuration.topics.count, ordering: .sequentiallyConsistent)
        for topic in configuration.topics {
            let rc = mosquitto_subscribe(client, nil, topic.filter, 1)
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                logger.error("cannot subscribe", metadata: ["filter": "\(topic.filter)", "error": "\(Self.describe(rc))"])
            }
        }
        logger.info(
            "connected to the MQTT broker", metadata: ["broker": "\(configuration.address)", "filters": "\(configuration.topics.map(\.filter))"])
    }

    private let pendingSubscriptions = Atomic<Int>(0)

    private func subscribed() {
        if pendingSubscriptions.subtract(1, ordering: .sequentiallyConsistent).newValue == 0 { configuration.onSubscribed() }
    }

    /// One message: decoded against the topic templates and put in the buffer (blocking
    /// this thread while the buffer is full).
    private func received(_ message: mosquitto_message) {
        let topic = String(cString: message.topic)
        let payload = message.payload.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: Int(message.payloadlen))) } ?? []
        let arrival = PostgresTimestamp(Date())
        var decoded = DecodedTelemetry()
        if let (device, sensor) = configuration.topics.lazy.compactMap({ $0.match(topic) }).first {
            decoded.append(
                TelemetryJSON.decodeMessage(payload, device: device, sensor: sensor, arrival: arrival)
                    .flatMap { configuration.rules.check($0, now: arrival) })
        } else {
            decoded.rejections.append(Rejection(
                .topic, "the topic '\(topic)' has none of the shapes \(configuration.topics.map(\.description).joined(separator: ", "))",
                payload: TelemetryRules.payloadText(payload)))
        }
        if !buffer.submitWaiting(TelemetryBatchItem(source: .mqtt, receivedAt: arrival, decoded: decoded)) {
            logger.error("a message arrived while stopping and was not stored", metadata: ["topic": "\(topic)"])
        }
    }
}
