import PgClient

/// Jobs queued outside any schedule, for a past window (`pgscorer enqueue`).
package struct Backfill: Sendable {
    package let connection: PostgresConnection

    package init(connection: PostgresConnection) { self.connection = connection }

    /// What `enqueue` did.
    package struct Outcome: Sendable, Encodable {
        package let jobIDs: [Int64]
        /// Series the selector matched (with or without an active model).
        package let seriesMatched: Int
    }

    /// Queues one job per selected series that has an active model, scoring
    /// `[range.since, range.until)`; a window already pending is not queued twice. A
    /// selector that matches no series is an error.
    package func enqueue(_ range: TimeRange, _ selector: SeriesSelector, priority: Int16, maxAttempts: Int16) async throws -> Outcome {
        guard let since = range.since, let until = range.until else {
            throw PgScorerError(.invalidInput, "a backfill needs both --since and --until")
        }
        let matched = try await connection.query(SeriesQueries.matching.bind(selector.devicePattern, selector.sensorPattern)).count
        guard matched > 0 else { throw PgScorerError(.notFound, "no series matches \(selector)") }
        let jobs: [Int64] = try await connection.query(
            JobQueries.enqueueWindow.bind(since, until, selector.devicePattern, selector.sensorPattern, priority, maxAttempts)
        ).map { try $0.decode(0) }
        return Outcome(jobIDs: jobs, seriesMatched: matched)
    }
}
