import PgClient

/// Model versions per series as the dashboard's models page shows them: training
/// facts, health, and the distribution of the scores each version gave.
package struct ModelListing: Sendable {
    package struct Entry: Sendable {
        package let seriesID: Int64
        package let version: ModelVersion
        package let scores: ScoreDistribution?
    }

    package struct ScoreDistribution: Sendable {
        package let scored: Int
        package let anomalyRate: Double
        package let p05: Double
        package let p50: Double
        package let p95: Double
        package let min: Double
        package let max: Double
    }

    /// The versions of the first `seriesLimit` series matching `selector`, by series
    /// and newest version first.
    package static func load(_ selector: SeriesSelector, seriesLimit: Int = 50, from connection: PostgresConnection) async throws
        -> [Entry]
    {
        let rows = try await connection.query(
            DashboardQueries.modelPage.bind(selector.devicePattern, selector.sensorPattern, seriesLimit))
        var versions: [(Int64, ModelVersion)] = []
        for row in rows { versions.append((try row.decode("series_id"), try ModelVersion(row: row))) }
        let seriesIDs = Array(Set(versions.map(\.0)))
        var distributions: [Int64: ScoreDistribution] = [:]
        if !seriesIDs.isEmpty {
            for row in try await connection.query(DashboardQueries.scoreDistributions.bind(seriesIDs)) {
                let quantiles: [Double] = try row.decode("quantiles")
                distributions[try row.decode("model_id")] = ScoreDistribution(
                    scored: try row.decode("scored"), anomalyRate: try row.decode("anomaly_rate"), p05: quantiles[0],
                    p50: quantiles[1], p95: quantiles[2], min: try row.decode("min_score"), max: try row.decode("max_score"))
            }
        }
        return versions.map { Entry(seriesID: $0.0, version: $0.1, scores: distributions[$0.1.modelID]) }
    }
}
