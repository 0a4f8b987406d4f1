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
    /// all), as CSV with a header or as one JSON object per line. COPY takes no parameters: the bounds are rendered from
    /// parsed timestamps (ISO 8601 text that cannot carry SQL) and the series as numbers,
    /// never from user text.
    package static func export(_ range: TimeRange, seriesIDs: [Int64]?, as format: PredictionExport.Format) -> SQLText {
        let since = range.since?.description ?? "-infinity"
        let until = range.until?.description ?? "infinity"
        let series = seriesIDs.map { "AND p.series_id = ANY('{\($0.map(String.init).joined(separator: ","))}'::int8[])" } ?? ""
        let (select, options): (String, String)
        switch format {
        case .csv:
            select = "s.device, s.sensor, \(iso8601("p.ts")) AS ts, p.model_id, p.score, p.is_anomaly::text AS is_anomaly, p.job_id, \(iso8601("p.scored_at")) AS scored_at"
            options = "FORMAT csv, HEADER"
        case .jsonLines:
            select = """
                json_build_object('device', s.device, 'sensor', s.sensor, 'ts', \(iso8601("p.ts")), 'model_id', p.model_id, 'score', p.score,
                                  'is_anomaly', p.is_anomaly, 'job_id', p.job_id, 'scored_at', \(iso8601("p.scored_at")))::text
                """
            // CSV that never quotes: JSON text holds no raw control character, so no field
            // contains this delimiter or quote, and each object goes out as it is.
            options = "FORMAT csv, DELIMITER E'\\x02', QUOTE E'\\x01'"
        }
        return SQLText(unsafeSQL: """
            COPY (
                SELECT \(select)
                FROM pgscorer.predictions p JOIN pgscorer.series s USING (series_id)
                WHERE p.ts >= '\(since)' AND p.ts < '\(until)' \(series)
                ORDER BY s.device, s.sensor, p.ts
            ) TO STDOUT (\(options))
            """)
    }

    /// `column` (a timestamptz) as ISO 8601 in UTC with the precision that is there, as
    /// `PostgresTimestamp.description` prints it: `…:00Z`, `…:00.250Z`, `…:00.123456Z`.
    static func iso8601(_ column: String) -> String {
        """
        to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || CASE \
        WHEN extract(microseconds FROM \(column))::int8 % 1000000 = 0 THEN '' \
        WHEN extract(microseconds FROM \(column))::int8 % 1000 = 0 THEN to_char(\(column) AT TIME ZONE 'UTC', '.MS') \
        ELSE to_char(\(column) AT TIME ZONE 'UTC', '.US') END || 'Z'
        """
    }
}
