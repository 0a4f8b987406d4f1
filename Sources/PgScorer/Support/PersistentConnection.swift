import Logging
import PgClient

/// A long-running part's own connection: `run` calls `body` with a fresh connection,
/// and reconnects with backoff when it fails, until the task is cancelled or `body`
/// returns. The connection is closed on every path.
package struct PersistentConnection: Sendable {
    package let databaseURL: String
    package let applicationName: String
    package let logger: Logger

    package init(databaseURL: String, applicationName: String, logger: Logger) {
        self.databaseURL = databaseURL
        self.applicationName = applicationName
        self.logger = logger
    }

    package func connect() async throws -> PostgresConnection {
        try await PostgresConnection.connect(databaseURL, applicationName: applicationName, logger: logger)
    }

    package func run(_ body: @Sendable (PostgresConnection) async throws -> Void) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let connection = try await connect()
                failures = 0
                do {
                    try await body(connection)
                } catch {
                    await connection.close()
                    throw error
                }
                await connection.close()
                return
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                failures += 1
                ScorerMetrics.reconnects.increment()
                logger.warning("\(applicationName) connection failed; reconnecting", metadata: ["error": "\(error)"])
                await Self.pause(afterFailures: failures)
            }
        }
    }

    /// Backs off after repeated failures: 0.2 s doubling to at most 10 s.
    package static func pause(afterFailures failures: Int) async {
        let seconds = min(10, 0.2 * Double(1 << min(failures, 6)))
        try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
    }
}
