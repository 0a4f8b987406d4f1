import PgClient

/// Each series' health against its own baseline (`pgscorer.series_health`): `ok`, or
/// any of `stale`, `rate_spike`, `score_shift`.
package struct SeriesHealthRow: Sendable, Encodable {
    package let device: String
    package let sensor: String
    package let health: String
    package let newestReading: PostgresTimestamp?
    package let recentScored: Int
    package let recentRate: Double?
    package let baselineRate: Double?
    package let recentMedianScore: Double?
    package let baselineMedianScore: Double?

    init(row: PostgresRow) throws {
        device = try row.decode("device")
        sensor = try row.decode("sensor")
        health = try row.decode("health")
        newestReading = try row.decode("newest_reading")
        recentScored = try row.decode("recent_scored")
        recentRate = try row.decode("recent_rate")
        baselineRate = try row.decode("baseline_rate")
        recentMedianScore = try row.decode("recent_median_score")
        baselineMedianScore = try row.decode("baseline_median_score")
    }

    /// The selected series, unhealthy first.
    package static func load(_ selector: SeriesSelector, from connection: PostgresConnection) async throws -> [SeriesHealthRow] {
        try await connection.query(ReportQueries.seriesHealth.bind(selector.devicePattern, selector.sensorPattern)).map(SeriesHealthRow.init(row:))
    }
}
