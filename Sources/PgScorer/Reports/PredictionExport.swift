import Foundation
import PgClient

/// Streams predictions out as CSV with COPY (`pgscorer export predictions`).
package enum PredictionExport {
    /// The CSV columns, in order.
    package static let columns = ["device", "sensor", "ts", "model_id", "score", "is_anomaly", "job_id", "scored_at"]

    /// Writes the predictions in `range` to `handle`; returns how many.
    package static func write(_ range: TimeRange, to handle: FileHandle, from connection: PostgresConnection) async throws -> Int {
        try await connection.copyTo(PredictionQueries.exportCSV(range), name: "predictions.export") { handle.write(Data($0)) }
    }
}
