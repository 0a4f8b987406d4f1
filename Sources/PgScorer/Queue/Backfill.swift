import PgClient

/// Jobs queued outside any schedule, for a past window (`pgscorer enqueue`).
package struct Backfill: Sendable {
    package let connection: PostgresConnection

    package init(connection: PostgresConnection) { self.connection = connection }

    /// Queues one job per series matching the LIKE patterns that has an active model,
    /// scoring `[range.since, range.until)`; a window already pending is not queued
    /// twice. Returns the new job ids.
    package func enqueue(
        _ range: TimeRange, devicePattern: String, sensorPattern: String, priority: Int16, maxAttempts: Int16
    ) async throws -> [Int64] {
        guard let since = range.since, let until = range.until else {
            throw PgScorerError(.invalidInput, "a backfill needs both --since and --until")
        }
        return try await connection.query(
            JobQueries.enqueueWindow.bind(since, until, devicePattern, sensorPattern, priority, maxAttempts)
        ).map { try $0.decode(0) }
    }
}
