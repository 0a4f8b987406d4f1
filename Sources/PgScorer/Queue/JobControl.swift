import PgClient

/// Retrying and cancelling a job by hand (`pgscorer jobs retry|cancel`, the
/// dashboard's buttons): both are SQL functions of the schema, so that an operator's
/// SQL, the CLI and the dashboard do it one way, with the same checks.
package struct JobControl: Sendable {
    let connection: PostgresConnection

    package init(connection: PostgresConnection) { self.connection = connection }

    /// Puts a failed, cancelled or retryable job back in the queue, due now.
    package func retry(_ jobID: Int64) async throws {
        try await call(JobQueries.retryJob, jobID)
    }

    /// Cancels a queued or running job (a running attempt's result is then discarded).
    package func cancel(_ jobID: Int64) async throws {
        try await call(JobQueries.cancelJob, jobID)
    }

    private func call(_ statement: PreparedQuery, _ jobID: Int64) async throws {
        do {
            _ = try await connection.query(statement.bind(jobID))
        } catch let error as PostgresError where error.sqlState == SQLState.noDataFound {
            throw PgScorerError(.notFound, error.message)
        } catch let error as PostgresError where error.sqlState == SQLState.checkViolation {
            throw PgScorerError(.invalidInput, error.message)
        }
    }
}
