import PgClient

/// What the dashboard's ingest page shows: the gateways, what they took per minute in the
/// last hour, the aggregations and their late samples, the devices silent longest, and
/// the latest rejected readings.
package struct IngestActivity: Sendable {
    package struct Minute: Sendable {
        package let minute: PostgresTimestamp
        package let received: Int
        package let stored: Int
        package let rejected: Int
    }

    package struct SilentDevice: Sendable {
        package let device: String
        package let newestReading: PostgresTimestamp
        package let silentSeconds: Double
    }

    package struct Rejected: Sendable {
        package let receivedAt: PostgresTimestamp
        package let source: String
        package let device: String?
        package let sensor: String?
        package let reason: String
        package let detail: String
        package let payload: String
    }

    package let gateways: [StatusReport.GatewayStatus]
    /// The last 60 minutes, oldest first; minutes without a row are absent.
    package let minutes: [Minute]
    package let silent: [SilentDevice]
    /// When the series health that `silent` comes from was kept (nil: never).
    package let silentCheckedAt: PostgresTimestamp?
    package let rejected: [Rejected]
    package let rejectedLastHour: Int
    package let aggregations: [AggregationOverview]
    /// The series with the most late samples, most first.
    package let lateSeries: [StatusReport.LateSeries]

    package static func load(from connection: PostgresConnection) async throws -> IngestActivity {
        let minutes = try await connection.query(PostgresQuery(DashboardQueries.ingestMinutes)).map { row in
            Minute(minute: try row.decode("minute"), received: try row.decode("received"), stored: try row.decode("stored"), rejected: try row.decode("rejected"))
        }
        let silentRows = try await connection.query(PostgresQuery(DashboardQueries.silentDevices))
        let silent = try silentRows.map { row in
            SilentDevice(device: try row.decode("device"), newestReading: try row.decode("newest_reading"), silentSeconds: try row.decode("silent_seconds"))
        }
        let rejected = try await connection.query(PostgresQuery(DashboardQueries.recentRejections)).map { row in
            Rejected(
                receivedAt: try row.decode("received_at"), source: try row.decode("source"), device: try row.decode("device"),
                sensor: try row.decode("sensor"), reason: try row.decode("reason"), detail: try row.decode("detail"), payload: try row.decode("payload"))
        }
        return IngestActivity(
            gateways: try await connection.query(PostgresQuery(ReportQueries.gatewayHealth)).map(StatusReport.GatewayStatus.init(row:)),
            minutes: minutes, silent: silent,
            silentCheckedAt: try await connection.query(PostgresQuery(DashboardQueries.seriesHealthKeptAt)).single().decode("at"),
            rejected: rejected,
            rejectedLastHour: try await connection.query(PostgresQuery(DashboardQueries.rejectedLastHour)).single().decode("n"),
            aggregations: try await AggregationOverview.all(on: connection),
            lateSeries: try await StatusReport.LateSeries.top(20, on: connection))
    }
}
