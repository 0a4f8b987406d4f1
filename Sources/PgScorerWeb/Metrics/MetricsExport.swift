import Foundation
import Logging
import Metrics
import PgClient
import PgScorer
import Prometheus
import Synchronization

/// `/metrics` in Prometheus' text format: what this process counted (swift-metrics,
/// `ScorerMetrics`), and the queue's gauges read from the database. The queue is the
/// same for every process, so only one exports those: whichever holds the lease
/// `queue_gauges` in `pgscorer.maintenance_locks`, renewed on every scrape
/// (`pgscorer_queue_gauges_exporter` says 1 there, 0 elsewhere), so that summing over
/// processes does not multiply them.
package final class MetricsExport: Sendable {
    /// The registry every swift-metrics handle of the process reports to.
    static let registry = PrometheusCollectorRegistry()
    private static let bootstrapped = Mutex(false)

    /// Makes swift-metrics report to `registry` (once per process; later calls do nothing).
    package static func bootstrap() {
        bootstrapped.withLock { done in
            guard !done else { return }
            done = true
            var factory = PrometheusMetricsFactory(registry: registry)
            factory.defaultDurationHistogramBuckets = [
                .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
            ]
            factory.valueHistogramBuckets["pgscorer_claim_batch_size"] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000]
            MetricsSystem.bootstrap(factory)
        }
    }

    private let gauges: QueueGauges

    /// `connect` opens the connection that reads the queue's gauges (and holds the lock).
    package init(connect: @escaping @Sendable () async throws -> PostgresConnection, logger: Logger) {
        Self.bootstrap()
        gauges = QueueGauges(connect: connect, logger: logger)
    }

    /// The exposition text.
    package func render() async -> String {
        var buffer: [UInt8] = []
        Self.registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self) + (await gauges.render())
    }

    package func close() async { await gauges.close() }
}

/// The queue's gauges, exported by the one process that holds their lease. A lease, not
/// an advisory lock: any login can take an advisory lock, so a reader could have held it
/// and switched the gauges off. A killed holder is replaced once its minute runs out.
actor QueueGauges {
    private let connect: @Sendable () async throws -> PostgresConnection
    private let logger: Logger
    private var connection: PostgresConnection?
    private var exporting = false
    /// Who this process is in the lease's row.
    private let holder: String
    private var refusalLogged = false

    init(connect: @escaping @Sendable () async throws -> PostgresConnection, logger: Logger) {
        self.connect = connect
        self.logger = logger
        var generator = SystemRandomNumberGenerator()
        holder = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(String(generator.next() as UInt64, radix: 36))"
    }

    func render() async -> String {
        do {
            let connection = try await currentConnection()
            exporting = try await holdLease(on: connection)
            var text = "# TYPE pgscorer_queue_gauges_exporter gauge\npgscorer_queue_gauges_exporter \(exporting ? 1 : 0)\n"
            guard exporting else { return text }
            let status = try await QueueSnapshot.load(from: connection)
            text += "# TYPE pgscorer_queue_jobs gauge\n"
            for (state, jobs) in status.jobs { text += "pgscorer_queue_jobs{state=\"\(state)\"} \(jobs)\n" }
            text += "# TYPE pgscorer_queue_oldest_wait_seconds gauge\npgscorer_queue_oldest_wait_seconds \(status.oldestWaitSeconds)\n"
            text += "# TYPE pgscorer_workers_alive gauge\npgscorer_workers_alive \(status.workersAlive)\n"
            text += "# TYPE pgscorer_schedule_last_tick_age_seconds gauge\n"
            for (name, age) in status.lastTickAge { text += "pgscorer_schedule_last_tick_age_seconds{schedule=\"\(Self.label(name))\"} \(age)\n" }
            text += "# TYPE pgscorer_schedule_tick_latency_seconds gauge\n"
            for (name, lag) in status.tickLatency { text += "pgscorer_schedule_tick_latency_seconds{schedule=\"\(Self.label(name))\"} \(lag)\n" }
            // Per aggregation, not per series (the number of time series stays fixed;
            // per series, late counts are in `status`, the dashboard and pgscorer.late_samples).
            let aggregations = try await AggregationOverview.all(on: connection)
            if !aggregations.isEmpty {
                text += "# TYPE pgscorer_window_late_samples gauge\n"
                for aggregation in aggregations {
                    let name = Self.label(aggregation.name)
                    text += "pgscorer_window_late_samples{aggregation=\"\(name)\",policy=\"dropped\"} \(aggregation.lateDropped)\n"
                    text += "pgscorer_window_late_samples{aggregation=\"\(name)\",policy=\"recomputed\"} \(aggregation.lateRecomputed)\n"
                }
                text += "# TYPE pgscorer_window_open gauge\n"
                for aggregation in aggregations { text += "pgscorer_window_open{aggregation=\"\(Self.label(aggregation.name))\"} \(aggregation.openWindows)\n" }
                text += "# TYPE pgscorer_window_close_lag_seconds gauge\n"
                for aggregation in aggregations {
                    guard let lag = aggregation.lagSeconds else { continue }
                    text += "pgscorer_window_close_lag_seconds{aggregation=\"\(Self.label(aggregation.name))\"} \(lag)\n"
                }
            }
            return text
        } catch {
            logger.warning("reading the queue gauges failed", metadata: ["error": "\(error)"])
            if let connection { await connection.close() }
            connection = nil
            exporting = false
            return "# TYPE pgscorer_queue_gauges_exporter gauge\npgscorer_queue_gauges_exporter 0\n"
        }
    }

    func close() async {
        if let connection {
            if exporting { _ = try? await connection.query(DashboardQueries.releaseGaugeLease.bind(holder)) }
            await connection.close()
        }
        connection = nil
    }

    /// Renews the lease (or takes it when free); false if another process holds it, or
    /// if this login may not take it (a reader: said once in the log).
    private func holdLease(on connection: PostgresConnection) async throws -> Bool {
        do {
            return try await connection.query(DashboardQueries.holdGaugeLease.bind(holder)).single().decode("held")
        } catch let error as PostgresError where error.sqlState == SQLState.insufficientPrivilege {
            if !refusalLogged {
                refusalLogged = true
                logger.notice("this login may not export the queue gauges (a reader); a worker or an owner's login exports them")
            }
            return false
        }
    }

    private func currentConnection() async throws -> PostgresConnection {
        if let connection, connection.isOpen { return connection }
        exporting = false
        let fresh = try await connect()
        connection = fresh
        return fresh
    }

    /// A label value escaped as the text format wants.
    static func label(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
