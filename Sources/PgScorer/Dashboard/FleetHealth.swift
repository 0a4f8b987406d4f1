import PgClient

/// What the dashboard's health page shows: open alerts with their webhook delivery,
/// held series, models that cannot be trusted, and series health for a selection.
package struct FleetHealth: Sendable {
    /// The counts behind every page's attention badge.
    package struct Attention: Sendable {
        package let openAlerts: Int
        package let heldSeries: Int
        package let failingActiveModels: Int
        package var total: Int { openAlerts + heldSeries + failingActiveModels }

        package static func load(from connection: PostgresConnection) async throws -> Attention {
            let row = try await connection.query(PostgresQuery(ReportQueries.attention)).single()
            return Attention(
                openAlerts: try row.decode("open_alerts"), heldSeries: try row.decode("held_series"),
                failingActiveModels: try row.decode("active_fail"))
        }
    }

    package struct UnhealthyModel: Sendable {
        package let modelID: Int64
        package let device: String
        package let sensor: String
        package let version: Int
        package let active: Bool
        package let health: String
        package let reasons: String
    }

    package struct Delivery: Sendable {
        package let deliveredAt: PostgresTimestamp?
        package let failedAt: PostgresTimestamp?
        package let attempts: Int
        package let lastError: String?
    }

    package let alerts: [AlertRules.Alert]
    /// The latest webhook delivery per alert id (alerts of rules without a webhook have none).
    package let deliveries: [Int64: Delivery]
    package let held: [StatusReport.HeldSeries]
    package let models: [UnhealthyModel]
    /// Series health of the selection, unhealthy first; nil when not computed (a large
    /// fleet without a selection, before any worker kept it).
    package let series: [SeriesHealthRow]?
    package let seriesCount: Int
    /// For the whole fleet, when the workers last kept it (nil: computed now, for a selection).
    package let checkedAt: PostgresTimestamp?

    /// Loads the page; series health only for `selector`, or for every series when there
    /// are at most `wholeFleetLimit`.
    package static func load(_ selector: SeriesSelector, wholeFleetLimit: Int = 500, from connection: PostgresConnection) async throws
        -> FleetHealth
    {
        let alerts = try await AlertRules(connection: connection).alerts(openOnly: true, limit: 200)
        var deliveries: [Int64: Delivery] = [:]
        if !alerts.isEmpty {
            for row in try await connection.query(DashboardQueries.deliveries.bind(alerts.map(\.alertID))) {
                deliveries[try row.decode("alert_id")] = Delivery(
                    deliveredAt: try row.decode("delivered_at"), failedAt: try row.decode("failed_at"), attempts: try row.decode("attempts"),
                    lastError: try row.decode("last_error"))
            }
        }
        let models = try await connection.query(DashboardQueries.unhealthyModels.bind(200)).map {
            UnhealthyModel(
                modelID: try $0.decode("model_id"), device: try $0.decode("device"), sensor: try $0.decode("sensor"),
                version: try $0.decode("version"), active: try $0.decode("active"), health: try $0.decode("health"),
                reasons: try $0.decode("reasons"))
        }
        let count: Int = try await connection.query(PostgresQuery(DashboardQueries.seriesCount)).single().decode("series")
        var series: [SeriesHealthRow]?
        var checkedAt: PostgresTimestamp?
        if selector == .all {
            // The whole fleet: as the workers last kept it, else live when small.
            let kept = try await connection.query(DashboardQueries.keptSeriesHealth.bind(300))
            if let first = kept.first {
                series = try kept.map(SeriesHealthRow.init(row:))
                checkedAt = try first.decode("checked_at")
            } else if count <= wholeFleetLimit {
                series = try await SeriesHealthRow.load(selector, from: connection)
            }
        } else {
            series = try await SeriesHealthRow.load(selector, from: connection)
        }
        return FleetHealth(
            alerts: alerts, deliveries: deliveries,
            held: try await connection.query(PostgresQuery(ReportQueries.heldSeries)).map(StatusReport.HeldSeries.init(row:)),
            models: models, series: series, seriesCount: count, checkedAt: checkedAt)
    }
}
