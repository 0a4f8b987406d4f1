import PgClient

/// The job queue as seen by one worker connection. Each concern has its file: claims
/// (`+Claim`), completion with predictions (`+Completion`), failures and retries
/// (`+Failure`), lease renewal and release (`+Leases`); every statement is in `JobQueries`.
package struct JobQueue: Sendable {
    package let connection: PostgresConnection
    package let workerID: String

    package init(connection: PostgresConnection, workerID: String) {
        self.connection = connection
        self.workerID = workerID
    }

    /// How many jobs are still to be done (available, retryable or running).
    package func pendingCount() async throws -> Int {
        try await connection.query(JobQueries.pendingCount.bind()).single().decode(0)
    }
}
