import Foundation
import Logging
import PgClient
import ServiceLifecycle

/// A gateway's row in `pgscorer.gateways`: made when it starts, renewed with its counts
/// every `interval`, removed when it stops, so `pgscorer status` and the dashboard show
/// the gateways that run and what they took. A gateway that stops beating (killed) shows
/// as not alive after three intervals. Each beat also adds what it took since the last
/// to `pgscorer.ingest_minutes`, the dashboard's readings per minute.
package struct GatewayHeartbeat: Service {
    package let gatewayID: String
    let databaseURL: String
    /// What it takes, as `gateways.inputs` shows it (read at each beat: a listener's port is known once it listens).
    let inputs: @Sendable () -> String
    let interval: Duration
    let tally: GatewayTally
    let logger: Logger

    package init(databaseURL: String, inputs: @escaping @Sendable () -> String, interval: Duration = .seconds(5), tally: GatewayTally, logger: Logger) {
        self.databaseURL = databaseURL
        self.inputs = inputs
        self.interval = interval
        self.tally = tally
        self.logger = logger
        gatewayID = "\(ProcessInfo.processInfo.hostName):\(getpid())"
    }

    package func run() async throws {
        var connection: PostgresConnection?
        var registered = false
        var registeredInputs = ""
        var reported = GatewayTally.Counts()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
                do {
                    if connection == nil {
                        connection = try await PostgresConnection.connect(databaseURL, applicationName: "pgscorer stream (heartbeat)", logger: logger)
                    }
                    let described = inputs()
                    if !registered || described != registeredInputs {
                        _ = try await connection!.execute(StreamQueries.register.bind(
                            gatewayID, ProcessInfo.processInfo.hostName, Int32(getpid()), PgScorerVersion.current, described, interval.seconds))
                        registered = true
                        registeredInputs = described
                    }
                    let counts = tally.snapshot
                    _ = try await connection!.execute(StreamQueries.heartbeat.bind(
                        gatewayID, Int64(counts.received), Int64(counts.stored), Int64(counts.duplicates), Int64(counts.rejected),
                        counts.lastStoredAt))
                    if counts != reported {
                        _ = try await connection!.execute(StreamQueries.addToMinute.bind(
                            Int64(counts.received - reported.received), Int64(counts.stored - reported.stored),
                            Int64(counts.duplicates - reported.duplicates), Int64(counts.rejected - reported.rejected)))
                        reported = counts
                    }
                } catch {
                    logger.warning("gateway heartbeat failed; trying again", metadata: ["error": "\(error)"])
                    await connection?.close()
                    connection = nil
                }
                let next = ContinuousClock.now + interval
                while !Task.isShuttingDownGracefully, !Task.isCancelled, ContinuousClock.now < next {
                    try? await Task.sleep(for: .milliseconds(100))
                }
        }
        if registered, let connection {
            // What it took since the last beat still counts in its minute.
            let counts = tally.snapshot
            _ = try? await connection.execute(StreamQueries.addToMinute.bind(
                Int64(counts.received - reported.received), Int64(counts.stored - reported.stored),
                Int64(counts.duplicates - reported.duplicates), Int64(counts.rejected - reported.rejected)))
            _ = try? await connection.execute(StreamQueries.unregister.bind(gatewayID))
        }
        await connection?.close()
    }
}
