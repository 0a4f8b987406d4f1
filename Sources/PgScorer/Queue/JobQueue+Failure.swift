import PgClient

extension JobQueue {
    /// Records a failed attempt: `retryable` after `seconds` (the backoff), or `failed`
    /// when the failure is permanent or the attempts are used up. Returns the job's new
    /// state, or nil if the lease was lost (the fence refused the write).
    package func fail(
        _ job: ClaimedJob, error: String, retryAfter seconds: Double, permanent: Bool, startedAt: PostgresTimestamp,
        durationMilliseconds: Double
    ) async throws -> JobState? {
        let rows = try await connection.query(
            JobQueries.fail.bind(job.jobID, job.attempt, error, seconds, permanent, workerID, startedAt, durationMilliseconds))
        return try rows.first.map { JobState(rawValue: try $0.decode(0)) } ?? nil
    }

    /// Records `failure` with a delay from `backoff` (random jitter from `generator`).
    package func record(
        _ failure: JobFailure, backoff: RetryBackoff, using generator: inout some RandomNumberGenerator
    ) async throws -> (state: JobState?, retryIn: Double) {
        let delay = backoff.delay(afterAttempt: Int(failure.job.attempt), using: &generator)
        let state = try await fail(
            failure.job, error: failure.reason, retryAfter: delay, permanent: !failure.retryable,
            startedAt: failure.job.claimedAt, durationMilliseconds: failure.durationMilliseconds)
        return (state, delay)
    }
}
