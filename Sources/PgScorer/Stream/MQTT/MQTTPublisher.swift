import CMosquitto
import Foundation

/// Publishes messages at QoS 1 to a broker, as a device would (`pgscorer demo --live`):
/// returns once the broker acknowledged every one.
package final class MQTTPublisher: @unchecked Sendable {
    private let client: OpaquePointer
    private let condition = NSCondition()
    private var acknowledged = 0
    private var connected: Int32?

    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    /// Connects to `address` (waiting at most 10 s for the broker to accept).
    package init(address: MQTTAddress, clientID: String) throws {
        MQTTSubscriber.initializeLibrary
        guard let client = mosquitto_new(clientID, true, nil) else { throw Failure(description: "libmosquitto could not make a client") }
        self.client = client
        mosquitto_user_data_set(client, Unmanaged.passUnretained(self).toOpaque())
        if let username = address.username { mosquitto_username_pw_set(client, username, address.password) }
        if address.tls { mosquitto_tls_set(client, nil, "/etc/ssl/certs", nil, nil, nil) }
        mosquitto_max_inflight_messages_set(client, 1_000)
        mosquitto_connect_callback_set(client) { _, context, code in
            let publisher = Unmanaged<MQTTPublisher>.fromOpaque(context!).takeUnretainedValue()
            publisher.condition.withLock {
                publisher.connected = code
                publisher.condition.broadcast()
            }
        }
        mosquitto_publish_callback_set(client) { _, context, _ in
            let publisher = Unmanaged<MQTTPublisher>.fromOpaque(context!).takeUnretainedValue()
            publisher.condition.withLock {
                publisher.acknowledged += 1
                publisher.condition.broadcast()
            }
        }
        let rc = mosquitto_connect(client, address.host, Int32(address.port), 30)
        // On a throw below, deinit (which runs, every property being set) frees the client.
        guard rc == MOSQ_ERR_SUCCESS.rawValue, mosquitto_loop_start(client) == MOSQ_ERR_SUCCESS.rawValue else {
            throw Failure(description: "cannot reach the MQTT broker \(address): \(String(cString: mosquitto_strerror(rc)))")
        }
        let answered = condition.withLock { () -> Int32? in
            let deadline = Date().addingTimeInterval(10)
            while connected == nil, condition.wait(until: deadline) {}
            return connected
        }
        guard answered == 0 else {
            throw Failure(description: "the MQTT broker \(address) did not accept the connection")
        }
    }

    /// Publishes each (topic, payload) at QoS 1 and waits until all are acknowledged.
    package func publish(_ messages: [(topic: String, payload: String)]) throws {
        let start = condition.withLock { acknowledged }
        for message in messages {
            let bytes = Array(message.payload.utf8)
            var rc: Int32
            repeat {
                rc = mosquitto_publish(client, nil, message.topic, Int32(bytes.count), bytes, 1, false)
                // The library queues what it cannot send yet; if it refuses, let it drain.
                if rc == MOSQ_ERR_NOMEM.rawValue { Thread.sleep(forTimeInterval: 0.01) }
            } while rc == MOSQ_ERR_NOMEM.rawValue
            guard rc == MOSQ_ERR_SUCCESS.rawValue else {
                throw Failure(description: "cannot publish to \(message.topic): \(String(cString: mosquitto_strerror(rc)))")
            }
        }
        try condition.withLock {
            let deadline = Date().addingTimeInterval(120)
            while acknowledged - start < messages.count {
                guard condition.wait(until: deadline) else { throw Failure(description: "the broker did not acknowledge every message within 2 minutes") }
            }
        }
    }

    deinit {
        mosquitto_disconnect(client)
        mosquitto_loop_stop(client, true)
        mosquitto_destroy(client)
    }
}
