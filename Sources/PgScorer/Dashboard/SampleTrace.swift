import PgClient

/// The raw samples beneath an aggregated series, as its dashboard page plots them: the
/// source series' samples over the same range, in buckets (lowest, mean, highest).
package struct SampleTrace: Sendable {
    package let sourceDevice: String
    package let sourceSensor: String
    /// The aggregation that makes the readings (nil once removed) and its window.
    package let aggregation: String?
    package let windowMicroseconds: Int64?
    package let bucketMicroseconds: Int64
    package var buckets: [Bucket] = []

    package struct Bucket: Sendable {
        package let start: Int64
        package let samples: Int
        package let low: Double
        package let mean: Double
        package let high: Double
    }

    package var sampleCount: Int { buckets.reduce(0) { $0 + $1.samples } }

    /// The samples beneath target series `device`/`sensor` in [from, to), in at most
    /// `columns` buckets; nil when the series is no aggregation's target.
    package static func load(
        device: String, sensor: String, from: PostgresTimestamp, to: PostgresTimestamp, columns: Int = 600, on connection: PostgresConnection
    ) async throws -> SampleTrace? {
        guard let source = try await connection.query(WindowQueries.sourceOfTarget.bind(device, sensor)).first else { return nil }
        let span = max(to.unixMicroseconds - from.unixMicroseconds, 1)
        let bucket = max(span / Int64(columns), 1_000_000)
        var trace = SampleTrace(
            sourceDevice: try source.decode("device"), sourceSensor: try source.decode("sensor"), aggregation: try source.decode("aggregation"),
            windowMicroseconds: try source.decode("window_us"), bucketMicroseconds: bucket)
        let seriesID: Int64 = try source.decode("series_id")
        for row in try await connection.query(WindowQueries.sampleBuckets.bind(seriesID, from, to, bucket)) {
            trace.buckets.append(Bucket(
                start: try row.decode("bucket"), samples: try row.decode("samples"), low: try row.decode("low"), mean: try row.decode("mean"),
                high: try row.decode("high")))
        }
        return trace
    }
}
