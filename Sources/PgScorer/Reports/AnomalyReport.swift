import PgClient

/// Anomalies per device and sensor, and how each schedule tick went (`pgscorer report`),
/// from the reporting functions of the migrations.
package struct AnomalyReport: Sendable, Encodable {
    package let series: [SeriesAnomalies]
    package let ticks: [TickSummary]

    package struct SeriesAnomalies: Sendable, Encodable {
        /// The hour or day the row counts, when the report is bucketed.
        package let bucketStart: PostgresTimestamp?
        package let device: String
        package let sensor: String
        package let scored: Int
        package let anomalies: Int
        package let anomalyRate: Double
        package let minScore: Double?

        init(row: PostgresRow) throws {
            bucketStart = try row.decode("bucket_start")
            device = try row.decode("device")
            sensor = try row.decode("sensor")
            scored = try row.decode("scored")
            anomalies = try row.decode("anomalies")
            anomalyRate = try row.decode("anomaly_rate") as Double? ?? 0
            minScore = try row.decode("min_score")
        }
    }

    package struct TickSummary: Sendable, Encodable {
        package let schedule: String
        package let tick: PostgresTimestamp
        package let jobs: Int
        package let completed: Int
        package let failed: Int
        package let pending: Int
        package let readings: Int
        package let anomalies: Int
        /// From the tick to its last completion.
        package let latencySeconds: Double?
        package let readingsPerSecond: Double?

        init(row: PostgresRow) throws {
            schedule = try row.decode("schedule")
            tick = try row.decode("scheduled_for")
            jobs = try row.decode("jobs_created")
            completed = try row.decode("completed")
            failed = try row.decode("failed")
            pending = try row.decode("pending")
            readings = try row.decode("rows_scored")
            anomalies = try row.decode("anomalies")
            latencySeconds = try row.decode("latency_seconds")
            readingsPerSecond = try row.decode("readings_per_second")
        }
    }

    /// Time buckets a report can count by.
    package enum Bucket: String, Sendable, CaseIterable {
        case hour, day
    }

    /// Reads the report for `range` and the selected series, per `bucket` if given (the
    /// ticks of every schedule).
    package static func load(
        from connection: PostgresConnection, range: TimeRange, selector: SeriesSelector, bucket: Bucket? = nil, tickLimit: Int = 20
    ) async throws -> AnomalyReport {
        let query =
            if let bucket {
                ReportQueries.bucketedAnomalies.bind(
                    range.since, range.until, selector.devicePattern, selector.sensorPattern, "1 \(bucket.rawValue)")
            } else {
                ReportQueries.seriesAnomalies.bind(range.since, range.until, selector.devicePattern, selector.sensorPattern)
            }
        return AnomalyReport(
            series: try await connection.query(query).map(SeriesAnomalies.init(row:)),
            ticks: try await connection.query(ReportQueries.scheduleTicks.bind(range.since, Int32(tickLimit))).map(TickSummary.init(row:)))
    }
}
