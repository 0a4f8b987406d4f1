import Metrics

/// What `pgscorer stream` counts, through swift-metrics (exported at its `/metrics`).
/// Labels name the input and the reason, never a device, so the count of time series
/// stays fixed however large the fleet.
package enum GatewayMetrics {
    static func received(_ source: TelemetrySource) -> Counter {
        Counter(label: "pgscorer_gateway_received_total", dimensions: [("source", source.rawValue)])
    }
    static func stored(_ source: TelemetrySource) -> Counter {
        Counter(label: "pgscorer_gateway_stored_total", dimensions: [("source", source.rawValue)])
    }
    static func duplicates(_ source: TelemetrySource) -> Counter {
        Counter(label: "pgscorer_gateway_duplicates_total", dimensions: [("source", source.rawValue)])
    }
    static func rejected(_ source: TelemetrySource, _ reason: Rejection.Reason) -> Counter {
        Counter(label: "pgscorer_gateway_rejected_total", dimensions: [("source", source.rawValue), ("reason", reason.rawValue)])
    }
    /// HTTP requests answered 503 because the buffer was full or the database away.
    package static func refusedRequest() { Counter(label: "pgscorer_gateway_refused_requests_total").increment() }
    /// Readings waiting in the buffer, and its capacity.
    static var bufferReadings: Gauge { Gauge(label: "pgscorer_gateway_buffer_readings") }
    static var bufferCapacity: Gauge { Gauge(label: "pgscorer_gateway_buffer_capacity") }
    /// From the start of a batch's transaction to its commit.
    static var flushSeconds: Metrics.Timer { Metrics.Timer(label: "pgscorer_gateway_flush_seconds") }
    /// Readings per committed batch.
    static var batchReadings: Recorder { Recorder(label: "pgscorer_gateway_batch_readings", aggregate: true) }
    /// 1 while connected to the MQTT broker, else 0.
    static var mqttConnected: Gauge { Gauge(label: "pgscorer_gateway_mqtt_connected") }
    /// 1 while the database takes batches, 0 while it is away (HTTP answers 503).
    static var databaseUp: Gauge { Gauge(label: "pgscorer_gateway_database_up") }
}
