import Foundation
import PgClient

/// Streams predictions out as CSV with COPY (`pgscorer export predictions`).
package enum PredictionExport {
    /// The CSV columns, in order.
    package static let columns = ["device", "sensor", "ts", "model_id", "score", "is_anomaly", "job_id", "scored_at"]

    /// Writes the predictions of the selected series in `range` to `handle`; returns how
    /// many. A selector that matches no series is an error.
    package static func write(
        _ range: TimeRange, _ selector: SeriesSelector, to handle: FileHandle, from connection: PostgresConnection
    ) async throws -> Int {
        var seriesIDs: [Int64]?
        if selector != .all {
            seriesIDs = try await SeriesTraining.Target.matching(selector, on: connection).map(\.seriesID)
            guard seriesIDs?.isEmpty == false else { throw PgScorerError(.notFound, "no series matches \(selector)") }
        }
        return try await connection.copyTo(PredictionQueries.exportCSV(range, seriesIDs: seriesIDs), name: "predictions.export") {
            handle.write(Data($0))
        }
    }
}
