import PgClient

/// Loads readings: COPY (binary) into a session-local staging table, then, in one
/// transaction, create unseen series, refuse feature counts that differ from their
/// series, make the partitions the time range needs, and insert — skipping readings
/// already stored, so loading the same data twice adds nothing.
struct ReadingStore: Sendable {
    let connection: PostgresConnection

    /// What one load did.
    struct LoadSummary: Sendable, Equatable {
        var received = 0
        var inserted = 0
        var newSeries = 0
    }

    /// Encodes readings for `load`.
    struct Batch: Sendable {
        fileprivate var encoder = PostgresBinaryCopyEncoder()
        fileprivate(set) var count = 0

        init() {}

        mutating func append(device: String, sensor: String, ts: PostgresTimestamp, features: [Double]) {
            encoder.beginRow(fieldCount: 4)
            encoder.append(device)
            encoder.append(sensor)
            encoder.append(ts)
            encoder.append(features)
            count += 1
        }

        var byteCount: Int { encoder.count }
        fileprivate mutating func take() -> [UInt8] { encoder.take() }
    }

    static let createStage: SQLText = """
        CREATE TEMP TABLE IF NOT EXISTS pgscorer_reading_stage (
            device text NOT NULL, sensor text NOT NULL, ts timestamptz NOT NULL, features float8[] NOT NULL
        ) ON COMMIT DELETE ROWS
        """

    /// Loads what `produce` writes, all or nothing. `produce` calls `send` with batches
    /// as it fills them (so a large file streams).
    func load(_ produce: (_ send: (inout Batch) async throws -> Void) async throws -> Void) async throws -> LoadSummary {
        try await connection.execute(PostgresQuery(Self.createStage))
        return try await connection.transaction { connection in
            var summary = LoadSummary()
            try await connection.copyFrom("COPY pgscorer_reading_stage FROM STDIN (FORMAT binary)") { writer in
                var framing = PostgresBinaryCopyEncoder()
                framing.appendHeader()
                try await writer.write(framing.take())
                try await produce { batch in
                    summary.received += batch.count
                    batch.count = 0
                    try await writer.write(batch.take())
                }
                framing.appendTrailer()
                try await writer.write(framing.take())
            }
            summary.newSeries = try await connection.query(
                """
                INSERT INTO pgscorer.series (device, sensor, n_features)
                SELECT DISTINCT ON (device, sensor) device, sensor, cardinality(features)
                FROM pgscorer_reading_stage ORDER BY device, sensor, ts
                ON CONFLICT (device, sensor) DO NOTHING
                RETURNING series_id
                """
            ).count
            let mismatch = try await connection.query(
                """
                SELECT st.device, st.sensor, st.ts, cardinality(st.features), se.n_features
                FROM pgscorer_reading_stage st JOIN pgscorer.series se USING (device, sensor)
                WHERE cardinality(st.features) IS DISTINCT FROM se.n_features
                ORDER BY st.ts LIMIT 1
                """)
            if let row = mismatch.first {
                throw ReadingError.featureCountMismatch(
                    device: try row.decode(0), sensor: try row.decode(1), ts: try row.decode(2),
                    got: try row.decode(3) as Int? ?? 0, expected: try row.decode(4))
            }
            _ = try await connection.query(
                """
                SELECT pgscorer.ensure_partitions(min(ts), max(ts)) FROM pgscorer_reading_stage HAVING count(*) > 0
                """)
            summary.inserted = try await connection.execute(
                """
                INSERT INTO pgscorer.readings (series_id, ts, n_features, features)
                SELECT se.series_id, st.ts, se.n_features, st.features
                FROM pgscorer_reading_stage st JOIN pgscorer.series se USING (device, sensor)
                ORDER BY se.series_id, st.ts
                ON CONFLICT (series_id, ts) DO NOTHING
                """)
            return summary
        }
    }
}

/// A reading that does not fit its series.
enum ReadingError: Error, CustomStringConvertible, Equatable {
    case featureCountMismatch(device: String, sensor: String, ts: PostgresTimestamp, got: Int, expected: Int)

    var description: String {
        switch self {
        case .featureCountMismatch(let device, let sensor, let ts, let got, let expected):
            "reading of \(device)/\(sensor) at \(ts) has \(got) features, but the series has \(expected)"
        }
    }
}
