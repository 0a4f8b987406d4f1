import PgClient

/// Every statement against `pgscorer.predictions`.
package enum PredictionQueries {
    /// Deletes the predictions that re-scored windows replace: for each window ($1
    /// series, $2 models, $3 starts, $4 ends), the model's predictions in it.
    package static let deleteReplaced = PreparedQuery(
        name: "predictions.delete_replaced",
        """
        DELETE FROM pgscorer.predictions p
        USING unnest($1::int8[], $2::int8[], $3::timestamptz[], $4::timestamptz[]) AS w(series_id, model_id, window_start, window_end)
        WHERE p.series_id = w.series_id AND p.model_id = w.model_id AND p.ts >= w.window_start AND p.ts < w.window_end
        """)

    /// New predictions in binary COPY format: a plain insert by COPY costs about half an
    /// upsert into the partitioned table.
    package static let copyIn: SQLText =
        "COPY pgscorer.predictions (series_id, ts, model_id, score, is_anomaly, job_id) FROM STDIN (FORMAT binary)"

    /// Predictions with their series' names in `range`, of the series `seriesIDs` (nil:
    /// all), as CSV with a header. COPY takes no parameters: the bounds are rendered from
    /// parsed timestamps (ISO 8601 text that cannot carry SQL) and the series as numbers,
    /// never from user text.
    package static func exportCSV(_ range: TimeRange, seriesIDs: [Int64]?) -> SQLText {
        let since = range.since?.description ?? "-infinity"
        let until = range.until?.description ?? "infinity"
        let series = seriesIDs.map { "AND p.series_id = ANY('{\($0.map(String.init).joined(separator: ","))}'::int8[])" } ?? ""
        return SQLText(unsafeSQL: """
            COPY (
                SELECT s.device, s.sensor, p.ts, p.model_id, p.score, p.is_anomaly, p.job_id, p.scored_at
                FROM pgscorer.predictions p JOIN pgscorer.series s USING (series_id)
                WHERE p.ts >= '\(since)' AND p.ts < '\(until)' \(series)
                ORDER BY s.device, s.sensor, p.ts
            ) TO STDOUT (FORMAT csv, HEADER)
            """)
    }
}
