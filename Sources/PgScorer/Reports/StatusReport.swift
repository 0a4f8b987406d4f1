import PgClient

/// What the queue, the workers and the schedules are doing now (`pgscorer status`).
package struct StatusReport: Sendable, Encodable {
    /// Jobs per state, in lifecycle order.
    package let queue: [QueueState]
    /// How long the oldest due job has waited.
    package let oldestWaitSeconds: Double
    package let workers: [WorkerStatus]
    /// The gateways that take telemetry in (`pgscorer stream`), alive or not.
    package let gateways: [GatewayStatus]
    /// Readings the gateways refused in the last hour, per reason (`pgscorer.rejected_readings`).
    package let rejectedLastHour: [String: Int]
    package let schedules: [ScheduleOverview]
    /// Aggregations: windows open and closed, late samples, how far closing lags.
    package let aggregations: [AggregationOverview]
    /// The series with the most late samples (dropped or recomputed), most first.
    package let lateSeries: [LateSeries]
    package let recentFailures: [FailedAttempt]
    /// Series held after failing permanently again and again (`pgscorer.held_series`).
    package let heldSeries: [HeldSeries]

    package struct LateSeries: Sendable, Encodable {
        package let device: String
        package let sensor: String
        package let aggregation: String
        package let dropped: Int
        package let recomputed: Int
        package let lastAt: PostgresTimestamp

        init(row: PostgresRow) throws {
            device = try row.decode("device")
            sensor = try row.decode("sensor")
            aggregation = try row.decode("aggregation")
            dropped = try row.decode("dropped")
            recomputed = try row.decode("recomputed")
            lastAt = try row.decode("last_at")
        }

        /// Late samples per series, most first (at most `limit`).
        package static func top(_ limit: Int, on connection: PostgresConnection) async throws -> [LateSeries] {
            try await connection.query(WindowQueries.lateBySeries.bind(Int32(limit))).map(LateSeries.init(row:))
        }
    }

    package struct HeldSeries: Sendable, Encodable {
        package let device: String
        package let sensor: String
        package let consecutive: Int
        package let lastError: String
        package let heldSince: PostgresTimestamp

        init(row: PostgresRow) throws {
            device = try row.decode("device")
            sensor = try row.decode("sensor")
            consecutive = try row.decode("consecutive")
            lastError = try row.decode("last_error")
            heldSince = try row.decode("held_since")
        }
    }

    /// Alerts open now (`pgscorer.alerts`).
    package let openAlerts: Int
    /// Series health as the workers last kept it (`pgscorer.series_health_current`).
    package let seriesHealth: SeriesHealthCounts

    package struct SeriesHealthCounts: Sendable, Encodable {
        /// Series checked, and of them those with a problem.
        package var checked = 0
        package var unhealthy = 0
        /// Series per problem (stale, rate_spike, score_shift, drift).
        package var problems: [String: Int] = [:]
        /// When; nil if never (no worker has kept it yet).
        package var checkedAt: PostgresTimestamp?

        static func load(from connection: PostgresConnection) async throws -> SeriesHealthCounts {
            var counts = SeriesHealthCounts()
            for row in try await connection.query(PostgresQuery(ReportQueries.seriesHealthCounts)) {
                if let problem: String = try row.decode("problem") {
                    counts.problems[problem] = try row.decode("series")
                } else {
                    counts.unhealthy = try row.decode("series")
                    counts.checked = try row.decode("checked")
                    counts.checkedAt = try row.decode("checked_at")
                }
            }
            return counts
        }
    }
    /// Model versions whose health check warns or fails (`pgscorer.unhealthy_models`).
    package let unhealthyModels: UnhealthyModels

    package struct UnhealthyModels: Sendable, Encodable {
        package let warn: Int
        package let fail: Int
        /// Failing models that are active anyway (forced).
        package let activeFail: Int
    }

    package struct QueueState: Sendable, Encodable {
        package let state: String
        package let jobs: Int
        package let oldestWaitSeconds: Double

        init(row: PostgresRow) throws {
            state = try row.decode("state")
            jobs = try row.decode("jobs")
            oldestWaitSeconds = try row.decode("oldest_wait_seconds")
        }
    }

    package struct WorkerStatus: Sendable, Encodable {
        package let workerID: String
        package let hostname: String
        package let heartbeatAgeSeconds: Double
        package let runningJobs: Int
        package let concurrency: Int
        /// False once the heartbeat is older than 3 of the worker's leases.
        package let alive: Bool

        init(row: PostgresRow) throws {
            workerID = try row.decode("worker_id")
            hostname = try row.decode("hostname")
            heartbeatAgeSeconds = try row.decode("heartbeat_age_seconds")
            runningJobs = try row.decode("running_jobs")
            concurrency = try row.decode("concurrency")
            alive = try row.decode("alive")
        }
    }

    package struct GatewayStatus: Sendable, Encodable {
        package let gatewayID: String
        package let inputs: String
        package let heartbeatAgeSeconds: Double
        /// False once the heartbeat is older than 3 intervals.
        package let alive: Bool
        package let received: Int
        package let stored: Int
        package let duplicates: Int
        package let rejected: Int
        package let lastStoredAt: PostgresTimestamp?

        init(row: PostgresRow) throws {
            gatewayID = try row.decode("gateway_id")
            inputs = try row.decode("inputs")
            heartbeatAgeSeconds = try row.decode("heartbeat_age_seconds")
            alive = try row.decode("alive")
            received = try row.decode("received")
            stored = try row.decode("stored")
            duplicates = try row.decode("duplicates")
            rejected = try row.decode("rejected")
            lastStoredAt = try row.decode("last_stored_at")
        }
    }

    package struct FailedAttempt: Sendable, Encodable {
        package let finishedAt: PostgresTimestamp
        package let jobID: Int64
        package let device: String
        package let sensor: String
        package let attempt: Int
        package let outcome: String
        package let error: String

        init(row: PostgresRow) throws {
            finishedAt = try row.decode("finished_at")
            jobID = try row.decode("job_id")
            device = try row.decode("device")
            sensor = try row.decode("sensor")
            attempt = try row.decode("attempt")
            outcome = try row.decode("outcome")
            error = try row.decode("error")
        }
    }

    /// Reads the report; `failureLimit` bounds the recent failures.
    package static func load(from connection: PostgresConnection, failureLimit: Int = 10) async throws -> StatusReport {
        let queue = try await connection.query(ReportQueries.queueDepth.bind()).map(QueueState.init(row:))
        let attention = try await connection.query(PostgresQuery(ReportQueries.attention)).single()
        return StatusReport(
            queue: queue, oldestWaitSeconds: queue.map(\.oldestWaitSeconds).max() ?? 0,
            workers: try await connection.query(ReportQueries.workerHealth.bind()).map(WorkerStatus.init(row:)),
            gateways: try await connection.query(PostgresQuery(ReportQueries.gatewayHealth)).map(GatewayStatus.init(row:)),
            rejectedLastHour: Dictionary(uniqueKeysWithValues: try await connection.query(PostgresQuery(ReportQueries.recentRejections)).map {
                (try $0.decode("reason") as String, try $0.decode("readings") as Int)
            }),
            schedules: try await ScheduleOverview.all(on: connection),
            aggregations: try await AggregationOverview.all(on: connection),
            lateSeries: try await LateSeries.top(10, on: connection),
            recentFailures: try await connection.query(ReportQueries.recentFailures.bind(failureLimit)).map(FailedAttempt.init(row:)),
            heldSeries: try await connection.query(PostgresQuery(ReportQueries.heldSeries)).map(HeldSeries.init(row:)),
            openAlerts: try attention.decode("open_alerts"),
            seriesHealth: try await SeriesHealthCounts.load(from: connection),
            unhealthyModels: UnhealthyModels(
                warn: try attention.decode("warn"), fail: try attention.decode("fail"), activeFail: try attention.decode("active_fail")))
    }
}
