import Logging
import PgClient

/// Closes the windows that are due, for every aggregation: each one's readings written,
/// recomputed windows rewritten and re-scored, on-close schedules fired, waiting scoring
/// jobs released (`pgscorer.close_windows`). Any number of processes may run it: one at
/// a time closes a given aggregation, the others skip it. Each batch is one transaction,
/// so a closer killed midway has closed nothing of that batch and the next one closes it.
package struct WindowCloser: Sendable {
    /// Windows per transaction.
    package var batchSize: Int32 = 20_000

    package init() {}

    /// What one pass did, summed over the aggregations.
    package struct Outcome: Sendable, Equatable {
        package var closed = 0
        package var rewritten = 0
        package var rescored = 0
        package var released = 0
        package var fired = 0
        /// Aggregations another process was closing.
        package var skipped = 0
    }

    /// Closes everything due now (batch after batch).
    package func closeDue(on connection: PostgresConnection) async throws -> Outcome {
        var outcome = Outcome()
        let aggregations: [Int64] = try await connection.query(PostgresQuery(WindowQueries.ids)).map { try $0.decode("aggregation_id") }
        for aggregation in aggregations {
            while true {
                let row = try await connection.transaction { connection in
                    try await connection.query(WindowQueries.close.bind(aggregation, batchSize)).single()
                }
                if try row.decode("skipped") as Bool {
                    outcome.skipped += 1
                    break
                }
                outcome.closed += try row.decode("closed") as Int
                outcome.rewritten += try row.decode("rewritten") as Int
                outcome.rescored += try row.decode("rescored") as Int
                outcome.released += try row.decode("released") as Int
                outcome.fired += try row.decode("fired") as Int
                guard try row.decode("more") as Bool else { break }
            }
        }
        if !aggregations.isEmpty {
            outcome.released += try await connection.query(PostgresQuery(WindowQueries.releaseWaiting)).single().decode("released") as Int
        }
        return outcome
    }
}

/// Closes due windows continuously in the workers' upkeep.
package struct WindowKeeper: MaintenanceTask {
    package let interval: Duration
    package var name: String { "window closing" }

    package init(interval: Duration) { self.interval = interval }

    package func runOnce(on connection: PostgresConnection) async throws -> Int {
        let outcome = try await WindowCloser().closeDue(on: connection)
        WindowMetrics.record(outcome)
        return outcome.closed + outcome.rewritten
    }
}
