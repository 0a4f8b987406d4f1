import Foundation
import Logging
import PgClient
import ServiceLifecycle
import Synchronization

/// What a gateway has done since it started: what `gateways` and the log show.
package final class GatewayTally: Sendable {
    package struct Counts: Sendable, Encodable, Equatable {
        package var received = 0
        package var stored = 0
        package var duplicates = 0
        package var rejected = 0
        package var lastStoredAt: PostgresTimestamp?
    }

    private let counts = Mutex(Counts())

    package init() {}

    package var snapshot: Counts { counts.withLock { $0 } }

    /// Counts a committed batch: its items and what became of each.
    func record(_ items: [TelemetryBatchItem], _ outcomes: [StoreOutcome], at time: PostgresTimestamp) {
        var batch = [TelemetrySource.mqtt: Counts(), .http: Counts()]
        var rejected: [TelemetrySource: [Rejection.Reason: Int]] = [:]
        for (item, outcome) in zip(items, outcomes) {
            batch[item.source]!.received += item.decoded.count
            batch[item.source]!.stored += outcome.stored
            batch[item.source]!.duplicates += outcome.duplicates
            batch[item.source]!.rejected += outcome.rejections.count
            for rejection in outcome.rejections { rejected[item.source, default: [:]][rejection.reason, default: 0] += 1 }
        }
        counts.withLock { counts in
            for part in batch.values {
                counts.received += part.received
                counts.stored += part.stored
                counts.duplicates += part.duplicates
                counts.rejected += part.rejected
                if part.stored > 0 { counts.lastStoredAt = time }
            }
        }
        for (source, part) in batch where part.received > 0 {
            let metrics = GatewayMetrics.of(source)
            metrics.received.increment(by: part.received)
            metrics.stored.increment(by: part.stored)
            metrics.duplicates.increment(by: part.duplicates)
            for (reason, count) in rejected[source] ?? [:] { metrics.rejected[reason]!.increment(by: count) }
        }
    }
}

/// Moves the buffer into the database: a batch at least every `flushEvery` (sooner when
/// `batchSize` readings wait), one transaction each, committed before any HTTP request of
/// it is answered; `connections` batches at a time. Two batches in flight together
/// settle a key they share as two gateways would: the first to commit stores it, the
/// other finds it stored (a duplicate, or a conflict in the dead letters). While the database is away it keeps the batch and tries again, with
/// the buffer filling up behind it; once it is back everything flows, with no restart.
/// On shutdown it stores what is left, for at most `drainTimeout`; HTTP requests still
/// waiting then are refused, and MQTT readings still held are logged as lost.
package struct TelemetryFlusher: Service {
    package struct Configuration: Sendable {
        package var databaseURL: String
        package var flushEvery: Duration = .milliseconds(100)
        package var batchSize = 10_000
        /// Transactions at once, each on its own connection: one stores while the next
        /// batch gathers and another commits.
        package var connections = 2
        package var drainTimeout: Duration = .seconds(30)

        package init(databaseURL: String) { self.databaseURL = databaseURL }
    }

    package let configuration: Configuration
    package let buffer: TelemetryBuffer
    package let tally: GatewayTally
    let logger: Logger

    /// Run it first in its service group: the group stops services in reverse, so the
    /// inputs have stopped taking when it drains.
    package init(configuration: Configuration, buffer: TelemetryBuffer, tally: GatewayTally, logger: Logger) {
        self.configuration = configuration
        self.buffer = buffer
        self.tally = tally
        self.logger = logger
    }

    package func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<configuration.connections {
                group.addTask { await runSession() }
            }
        }
        let left = buffer.drain()
        if !left.isEmpty {
            var lost = 0
            for entry in left {
                if let waiter = entry.waiter { waiter.resume(throwing: TelemetryBuffer.Refusal.stopping) } else { lost += entry.item.decoded.count }
            }
            logger.error(
                "stopping with readings not stored: the database did not take them within the drain timeout",
                metadata: ["http_requests_refused": "\(left.filter { $0.waiter != nil }.count)", "mqtt_readings_lost": "\(lost)"])
        }
    }

    /// One connection's loop: a batch, then the rest of the interval unless a full batch
    /// waits; on shutdown, batches until the buffer is empty or the drain timeout passed.
    private func runSession() async {
        var session = Session(flusher: self)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let started = ContinuousClock.now
            let stored = await session.flushOnce()
            if stored > 0, buffer.wantsFlush(batchSize: configuration.batchSize) { continue }
            // The rest of the interval: idle, asleep; with readings waiting, watching for a
            // full batch every 2 ms.
            let deadline = started + configuration.flushEvery
            while !Task.isShuttingDownGracefully, ContinuousClock.now < deadline, !buffer.wantsFlush(batchSize: configuration.batchSize) {
                let step: Duration = buffer.count == 0 ? .milliseconds(20) : .milliseconds(2)
                try? await Task.sleep(for: min(step, deadline - ContinuousClock.now))
            }
        }
        // Shutting down: the inputs have stopped (the group stops them first); what they took is stored.
        buffer.close()
        let giveUp = ContinuousClock.now + configuration.drainTimeout
        while buffer.count > 0, ContinuousClock.now < giveUp {
            if await session.flushOnce() == 0, buffer.count > 0 { try? await Task.sleep(for: .milliseconds(200)) }
        }
        await session.close()
    }

    /// The flusher's connection and writer, made again after the database was away.
    private struct Session {
        let flusher: TelemetryFlusher
        var connection: PostgresConnection?
        var writer: TelemetryWriter?
        var failures = 0

        init(flusher: TelemetryFlusher) { self.flusher = flusher }

        /// Takes a batch and stores it; returns the readings stored (0 if none waited or
        /// the database was away, the batch then put back).
        mutating func flushOnce() async -> Int {
            let batch = flusher.buffer.take(maximum: flusher.configuration.batchSize)
            guard !batch.isEmpty else { return 0 }
            do {
                if writer == nil { try await connect() }
                let started = ContinuousClock.now
                let outcomes = try await writer!.store(batch.map(\.item))
                GatewayMetrics.flushSeconds.recordInterval(since: started)
                var readings = 0
                for (entry, outcome) in zip(batch, outcomes) {
                    entry.waiter?.resume(returning: outcome)
                    readings += entry.item.decoded.count
                }
                flusher.tally.record(batch.map(\.item), outcomes, at: PostgresTimestamp(Date()))
                flusher.buffer.committed(batch)
                GatewayMetrics.batchReadings.record(readings)
                if failures > 0 { flusher.logger.info("the database takes readings again", metadata: ["after_failures": "\(failures)"]) }
                failures = 0
                flusher.buffer.setDatabaseUp(true)
                return readings
            } catch {
                // Kept, in order, for the next try; the HTTP requests of it go on waiting.
                // (So the database is marked away only with a batch waiting, whose
                // success marks it back.)
                flusher.buffer.putBack(batch)
                if let error = error as? PostgresError, error.isConnectionLoss {
                    writer = nil
                    connection = nil
                    flusher.buffer.setDatabaseUp(false)
                } else {
                    writer?.forgetSeries()
                }
                failures += 1
                if failures == 1 || failures % 20 == 0 {
                    flusher.logger.error("cannot store readings; trying again", metadata: ["error": "\(error)", "failures": "\(failures)"])
                }
                try? await Task.sleep(for: .milliseconds(min(100 * (1 << min(failures, 5)), 2_000)))
                return 0
            }
        }

        private mutating func connect() async throws {
            let connection = try await PostgresConnection.connect(
                flusher.configuration.databaseURL, applicationName: "pgscorer stream", logger: flusher.logger)
            self.connection = connection
            writer = TelemetryWriter(connection: connection, logger: flusher.logger)
        }

        mutating func close() async {
            await connection?.close()
            connection = nil
            writer = nil
        }
    }
}
