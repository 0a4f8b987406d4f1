import Foundation
import PgClient

/// What the dashboard's overview shows: the status report (queue, workers, schedules,
/// failures, held series, alerts, unhealthy models), plus the last hour's throughput,
/// each schedule's latest tick and the anomaly heat map of the last 24 hours.
package struct FleetOverview: Sendable {
    package let status: StatusReport
    package let throughput: [ThroughputMinute]
    /// Latest tick per schedule name.
    package let lastTicks: [String: ScheduleTicks.Tick]
    package let heatMap: HeatMap

    package struct ThroughputMinute: Sendable {
        package let minute: PostgresTimestamp
        package let completed: Int
        package let failed: Int
        package let readings: Int
    }

    /// Anomaly rate per device (rows) and hour scored (columns, oldest first).
    package struct HeatMap: Sendable {
        /// The 24 hours shown, oldest first.
        package var hours: [PostgresTimestamp] = []
        package var devices: [String] = []
        /// rates[device][hour]: anomalies / scored, nil where nothing was scored.
        package var rates: [[Double?]] = []
        /// Devices with any scoring in the last 24 hours (more than `devices` holds when capped).
        package var deviceCount = 0
        /// When it was computed.
        package var computedAt = PostgresTimestamp(unixMicroseconds: 0)
    }

    /// Loads the overview around `heatMap` (the slowest part on a large fleet, which the
    /// dashboard keeps for a minute: see `loadHeatMap`).
    package static func load(from connection: PostgresConnection, heatMap: HeatMap) async throws -> FleetOverview {
        let status = try await StatusReport.load(from: connection, failureLimit: 10)
        let throughput = try await connection.query(DashboardQueries.throughput.bind()).map {
            ThroughputMinute(
                minute: try $0.decode("minute"), completed: try $0.decode("completed"), failed: try $0.decode("failed"),
                readings: try $0.decode("readings"))
        }
        let lastTicks = try await ScheduleTicks.load(limit: 1, from: connection).compactMapValues(\.first)
        return FleetOverview(status: status, throughput: throughput, lastTicks: lastTicks, heatMap: heatMap)
    }

    /// The heat map of the last 24 hours for the `limit` devices with the highest anomaly
    /// rate: from the run log, one row per job (about 200 ms for 240,000 jobs).
    package static func loadHeatMap(from connection: PostgresConnection, devices limit: Int = 40) async throws -> HeatMap {
        let rows = try await connection.query(DashboardQueries.heatMap.bind(limit))
        var map = HeatMap()
        map.computedAt = PostgresTimestamp(Date())
        guard let first = rows.first else { return map }
        let current: PostgresTimestamp = try first.decode("current_hour")
        let hour: Int64 = 3_600_000_000
        map.hours = (0..<24).map { PostgresTimestamp(unixMicroseconds: current.unixMicroseconds - Int64(23 - $0) * hour) }
        map.deviceCount = try first.decode("devices")
        for row in rows {
            let device: String = try row.decode("device")
            if map.devices.last != device {
                map.devices.append(device)
                map.rates.append(Array(repeating: nil, count: 24))
            }
            let at: PostgresTimestamp = try row.decode("hour")
            let column = Int((at.unixMicroseconds - map.hours[0].unixMicroseconds) / hour)
            let scored: Int = try row.decode("scored")
            guard (0..<24).contains(column), scored > 0 else { continue }
            map.rates[map.rates.count - 1][column] = Double(try row.decode("anomalies") as Int) / Double(scored)
        }
        return map
    }
}
