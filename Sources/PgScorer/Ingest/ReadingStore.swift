import PgClient

/// Loads readings: COPY (binary) into a session-local staging table, then, in one
/// transaction, create unseen series, refuse feature counts that differ from their
/// series, make the partitions the time range needs, and insert — skipping readings
/// already stored, so loading the same data twice adds nothing.
package struct ReadingStore: Sendable {
    package let connection: PostgresConnection

    package init(connection: PostgresConnection) { self.connection = connection }

    /// What one load did.
    package struct LoadSummary: Sendable, Equatable {
        package var received = 0
        package var inserted = 0
        package var newSeries = 0
    }

    /// Encodes readings for `load`.
    package struct Batch: Sendable {
        fileprivate var encoder = PostgresBinaryCopyEncoder()
        package fileprivate(set) var count = 0

        package init() {}

        package mutating func append(device: String, sensor: String, ts: PostgresTimestamp, features: [Double]) {
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

    /// Loads what `produce` writes, all or nothing. `produce` calls `send` with batches
    /// as it fills them (so a large file streams).
    package func load(_ produce: (_ send: (inout Batch) async throws -> Void) async throws -> Void) async throws -> LoadSummary {
        try await connection.execute(PostgresQuery(ReadingQueries.createStage))
        return try await connection.transaction { connection in
            var summary = LoadSummary()
            try await connection.copyFrom(ReadingQueries.copyIntoStage) { writer in
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
            summary.newSeries = try await connection.query(PostgresQuery(SeriesQueries.createFromStage)).count
            if let row = try await connection.query(PostgresQuery(ReadingQueries.stagedFeatureMismatch)).first {
                throw ReadingError.featureCountMismatch(
                    device: try row.decode("device"), sensor: try row.decode("sensor"), ts: try row.decode("ts"),
                    got: try row.decode("got") as Int? ?? 0, expected: try row.decode("expected"))
            }
            _ = try await connection.query(PostgresQuery(ReadingQueries.ensureStagedPartitions))
            summary.inserted = try await connection.execute(PostgresQuery(ReadingQueries.insertStaged))
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
