import Foundation
import PgClient

/// Streams predictions out with COPY (`pgscorer export predictions`), as CSV or as JSON
/// lines: times in ISO 8601 UTC, `is_anomaly` as true or false.
package enum PredictionExport {
    /// The columns (CSV) or keys (JSON), in order.
    package static let columns = ["device", "sensor", "ts", "model_id", "score", "is_anomaly", "job_id", "scored_at"]

    package enum Format: String, CaseIterable, Sendable {
        case csv
        /// One JSON object per line (JSON Lines).
        case jsonLines = "jsonl"
    }

    /// Writes the predictions of the selected series in `range` to `handle`; returns how
    /// many. A selector that matches no series is an error.
    package static func write(
        _ range: TimeRange, _ selector: SeriesSelector, as format: Format = .csv, to handle: FileHandle, from connection: PostgresConnection
    ) async throws -> Int {
        var seriesIDs: [Int64]?
        if selector != .all {
            seriesIDs = try await SeriesTraining.Target.matching(selector, on: connection).map(\.seriesID)
            guard seriesIDs?.isEmpty == false else { throw PgScorerError(.notFound, "no series matches \(selector)") }
        }
        return try await connection.copyTo(PredictionQueries.export(range, seriesIDs: seriesIDs, as: format), name: "predictions.export") {
            handle.write(Data($0))
        }
    }
}
