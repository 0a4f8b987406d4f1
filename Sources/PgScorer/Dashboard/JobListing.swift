import PgClient

/// Jobs as the dashboard's jobs page lists them, newest first, and one job with its
/// errors and attempts.
package struct JobListing: Sendable {
    package struct Filter: Sendable {
        package var state: String?
        package var schedule: String?
        package var series = SeriesSelector.all
        package var limit = 100

        package init(state: String? = nil, schedule: String? = nil, series: SeriesSelector = .all, limit: Int = 100) {
            self.state = state
            self.schedule = schedule
            self.series = series
            self.limit = limit
        }
    }

    package struct Job: Sendable {
        package let jobID: Int64
        package let device: String
        package let sensor: String
        package let schedule: String?
        package let state: String
        package let attempt: Int
        package let maxAttempts: Int
        package let windowStart: PostgresTimestamp
        package let windowEnd: PostgresTimestamp
        package let runAt: PostgresTimestamp
        package let finishedAt: PostgresTimestamp?
        package let lastError: String?
        /// `score` or `train`.
        package let kind: String

        init(row: PostgresRow) throws {
            jobID = try row.decode("job_id")
            device = try row.decode("device")
            sensor = try row.decode("sensor")
            schedule = try row.decode("schedule")
            state = try row.decode("state")
            attempt = Int(try row.decode("attempt") as Int16)
            maxAttempts = Int(try row.decode("max_attempts") as Int16)
            windowStart = try row.decode("window_start")
            windowEnd = try row.decode("window_end")
            runAt = try row.decode("run_at")
            finishedAt = try row.decode("finished_at")
            lastError = try row.decode("last_error")
            kind = try row.decode("kind")
        }
    }

    /// One attempt from the run log.
    package struct Attempt: Sendable {
        package let attempt: Int
        package let workerID: String?
        package let startedAt: PostgresTimestamp?
        package let finishedAt: PostgresTimestamp
        package let outcome: String
        package let rowsScored: Int
        package let anomalies: Int
        package let durationMilliseconds: Double?
        package let error: String?
    }

    package struct Detail: Sendable {
        package let job: Job
        package let modelID: Int64?
        package let leaseOwner: String?
        package let leaseUntil: PostgresTimestamp?
        package let createdAt: PostgresTimestamp
        /// Every failed attempt's error, as the JSON array of `jobs.errors`.
        package let errorsJSON: String
        package let attempts: [Attempt]
    }

    package static func load(_ filter: Filter, from connection: PostgresConnection) async throws -> [Job] {
        try await connection.query(
            DashboardQueries.jobs(in: filter.state.flatMap(JobState.init(rawValue:))).bind(
                filter.schedule, filter.series.devicePattern, filter.series.sensorPattern, filter.limit)
        ).map(Job.init(row:))
    }

    package static func detail(_ jobID: Int64, from connection: PostgresConnection) async throws -> Detail? {
        guard let row = try await connection.query(DashboardQueries.job.bind(jobID)).first else { return nil }
        let attempts = try await connection.query(DashboardQueries.jobRuns.bind(jobID)).map {
            Attempt(
                attempt: Int(try $0.decode("attempt") as Int16), workerID: try $0.decode("worker_id"),
                startedAt: try $0.decode("started_at"), finishedAt: try $0.decode("finished_at"), outcome: try $0.decode("outcome"),
                rowsScored: try $0.decode("rows_scored"), anomalies: try $0.decode("anomalies"),
                durationMilliseconds: try $0.decode("duration_ms"), error: try $0.decode("error"))
        }
        return Detail(
            job: try Job(row: row), modelID: try row.decode("model_id"), leaseOwner: try row.decode("lease_owner"),
            leaseUntil: try row.decode("lease_until"), createdAt: try row.decode("created_at"), errorsJSON: try row.decode("errors"),
            attempts: attempts)
    }
}
