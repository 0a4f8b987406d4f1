import PgClient

/// One series over a time range as the dashboard's series page plots it: each reading
/// with the latest prediction of it, the model versions, and the anomaly episodes.
package struct SeriesTrace: Sendable {
    package let device: String
    package let sensor: String
    package let featureCount: Int
    package let activeModelID: Int64?
    /// The range shown, [from, to).
    package let from: PostgresTimestamp
    package let to: PostgresTimestamp
    /// The series' first and last reading (nil: none).
    package let oldest: PostgresTimestamp?
    package let newest: PostgresTimestamp?
    /// Reading times (µs since 1970), oldest first.
    package var timestamps: [Int64] = []
    /// Row-major, `featureCount` per reading.
    package var features: [Double] = []
    /// Per reading: its score and flag, nil when not scored; the model that scored it.
    package var scores: [Double?] = []
    package var flags: [Bool] = []
    package var modelIDs: [Int64?] = []
    package var versions: [ModelVersionMark] = []

    package struct ModelVersionMark: Sendable {
        package let modelID: Int64
        package let version: Int
        package let active: Bool
        /// Shadow-scored beside the champion until promoted.
        package let challenger: Bool
        package let health: String?
    }

    /// A run of consecutive flagged readings.
    package struct Episode: Sendable {
        package let start: Int64
        package let end: Int64
        package let readings: Int
        package let lowestScore: Double
    }

    /// Runs of consecutive flagged readings among the scored ones, oldest first.
    package var episodes: [Episode] {
        var episodes: [Episode] = []
        var start: Int?
        var lowest = Double.infinity
        func close(at end: Int) {
            if let first = start {
                episodes.append(Episode(start: timestamps[first], end: timestamps[end], readings: end - first + 1, lowestScore: lowest))
            }
            start = nil
            lowest = .infinity
        }
        var lastScored: Int?
        for index in timestamps.indices {
            guard let score = scores[index] else { continue }
            if flags[index] {
                if start == nil { start = index }
                lowest = min(lowest, score)
            } else if let last = lastScored {
                close(at: last)
            }
            lastScored = index
        }
        if let last = lastScored { close(at: last) }
        return episodes
    }

    /// Where the scoring model changes between consecutive scored readings: the time
    /// and the model scoring from then on.
    package var modelChanges: [(at: Int64, modelID: Int64)] {
        var changes: [(Int64, Int64)] = []
        var previous: Int64?
        for (index, model) in modelIDs.enumerated() {
            guard let model else { continue }
            if let previous, previous != model { changes.append((timestamps[index], model)) }
            previous = model
        }
        return changes
    }

    /// Loads series `device`/`sensor` over [from, to); nil bounds mean: the `span`
    /// before its newest reading. Nil when there is no such series.
    package static func load(
        device: String, sensor: String, from: PostgresTimestamp?, to: PostgresTimestamp?, span: Duration,
        on connection: PostgresConnection
    ) async throws -> SeriesTrace? {
        guard let series = try await connection.query(DashboardQueries.series.bind(device, sensor)).first else { return nil }
        let seriesID: Int64 = try series.decode("series_id")
        let readingSpan = try await connection.query(DashboardQueries.readingSpan.bind(seriesID)).single()
        let newest: PostgresTimestamp? = try readingSpan.decode("newest")
        let spanMicroseconds = Int64(span.seconds * 1_000_000)
        let end = to ?? newest.map { PostgresTimestamp(unixMicroseconds: $0.unixMicroseconds + 1) } ?? PostgresTimestamp(unixMicroseconds: 0)
        let start = from ?? PostgresTimestamp(unixMicroseconds: end.unixMicroseconds - spanMicroseconds)
        var trace = SeriesTrace(
            device: device, sensor: sensor, featureCount: Int(try series.decode("n_features") as Int16),
            activeModelID: try series.decode("active_model"), from: start, to: end, oldest: try readingSpan.decode("oldest"),
            newest: newest)
        // By position: up to hundreds of thousands of rows, where looking up names adds up.
        let rows = try await connection.query(DashboardQueries.trace.bind(seriesID, start, end, trace.activeModelID))
        trace.timestamps.reserveCapacity(rows.count)
        trace.features.reserveCapacity(rows.count * trace.featureCount)
        for row in rows {
            trace.timestamps.append((try row.decode(0) as PostgresTimestamp).unixMicroseconds)
            _ = try row.appendFloat8Array(1, to: &trace.features)
            trace.scores.append(try row.decode(2))
            trace.flags.append(try row.decode(3) as Bool? ?? false)
            trace.modelIDs.append(try row.decode(4))
        }
        trace.versions = try await connection.query(DashboardQueries.seriesModels.bind(seriesID)).map {
            ModelVersionMark(
                modelID: try $0.decode("model_id"), version: try $0.decode("version"), active: try $0.decode("active"),
                challenger: try $0.decode("challenger"), health: try $0.decode("health"))
        }
        return trace
    }
}
