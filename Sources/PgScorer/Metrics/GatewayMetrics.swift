import Metrics

/// What `pgscorer stream` counts, through swift-metrics (exported at its `/metrics`).
/// Labels name the input and the reason, never a device, so the count of time series
/// stays fixed however large the fleet. The handles are made once (after the process
/// chose its backend): making one per message costs a registry lookup each time.
package enum GatewayMetrics {
    package struct PerSource: Sendable {
        let received: Counter
        let stored: Counter
        let duplicates: Counter
        let rejected: [Rejection.Reason: Counter]

        init(_ source: TelemetrySource) {
            received = Counter(label: "pgscorer_gateway_received_total", dimensions: [("source", source.rawValue)])
            stored = Counter(label: "pgscorer_gateway_stored_total", dimensions: [("source", source.rawValue)])
            duplicates = Counter(label: "pgscorer_gateway_duplicates_total", dimensions: [("source", source.rawValue)])
            rejected = Dictionary(uniqueKeysWithValues: Rejection.Reason.allCases.map {
                ($0, Counter(label: "pgscorer_gateway_rejected_total", dimensions: [("source", source.rawValue), ("reason", $0.rawValue)]))
            })
        }
    }

    static let mqtt = PerSource(.mqtt)
    static let http = PerSource(.http)
    static func of(_ source: TelemetrySource) -> PerSource { source == .mqtt ? mqtt : http }

    /// HTTP requests answered 503 because the buffer was full or the database away.
    static let refused = Counter(label: "pgscorer_gateway_refused_requests_total")
    package static func refusedRequest() { refused.increment() }
    /// Readings waiting in the buffer, and its capacity.
    static let bufferReadings = Gauge(label: "pgscorer_gateway_buffer_readings")
    static let bufferCapacity = Gauge(label: "pgscorer_gateway_buffer_capacity")
    /// From the start of a batch's transaction to its commit.
    static let flushSeconds = Metrics.Timer(label: "pgscorer_gateway_flush_seconds")
    /// Readings per committed batch.
    static let batchReadings = Recorder(label: "pgscorer_gateway_batch_readings", aggregate: true)
    /// 1 while connected to the MQTT broker, else 0.
    static let mqttConnected = Gauge(label: "pgscorer_gateway_mqtt_connected")
    /// 1 while the database takes batches, 0 while it is away (HTTP answers 503).
    static let databaseUp = Gauge(label: "pgscorer_gateway_database_up")
}
