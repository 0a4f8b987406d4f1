import PgClient

/// Every statement against `pgscorer.readings` and the session's ingest staging table.
package enum ReadingQueries {
    /// The readings of every window of a batch ($1 job ids, $2 series, $3 starts, $4
    /// ends), per job in time order: one index range scan per window, no sort.
    /// Columns by position (hot path): job_id, ts, features.
    package static let windows = PreparedQuery(
        name: "readings.windows",
        """
        SELECT w.job_id, r.ts, r.features
        FROM unnest($1::int8[], $2::int8[], $3::timestamptz[], $4::timestamptz[])
            AS w(job_id, series_id, window_start, window_end)
        CROSS JOIN LATERAL (
            SELECT ts, features FROM pgscorer.readings
            WHERE series_id = w.series_id AND ts >= w.window_start AND ts < w.window_end
            ORDER BY ts
        ) r
        """)

    /// The features of series $1 in [$2, $3) (NULL bounds are open), oldest first: a
    /// model's training data.
    package static let trainingFeatures = PreparedQuery(
        name: "readings.training_features",
        """
        SELECT features FROM pgscorer.readings
        WHERE series_id = $1 AND ts >= coalesce($2::timestamptz, '-infinity') AND ts < coalesce($3::timestamptz, 'infinity')
        ORDER BY ts
        """)

    /// The session's staging table for a load (emptied at commit).
    package static let createStage: SQLText = """
        CREATE TEMP TABLE IF NOT EXISTS pgscorer_reading_stage (
            device text NOT NULL, sensor text NOT NULL, ts timestamptz NOT NULL, features float8[] NOT NULL
        ) ON COMMIT DELETE ROWS
        """

    /// Binary COPY of (device, sensor, ts, features) rows into the staging table.
    package static let copyIntoStage: SQLText = "COPY pgscorer_reading_stage FROM STDIN (FORMAT binary)"

    /// The first staged reading (by time) whose feature count differs from its series':
    /// device, sensor, ts, got, expected.
    package static let stagedFeatureMismatch: SQLText = """
        SELECT st.device, st.sensor, st.ts, cardinality(st.features) AS got, se.n_features AS expected
        FROM pgscorer_reading_stage st JOIN pgscorer.series se USING (device, sensor)
        WHERE cardinality(st.features) IS DISTINCT FROM se.n_features
        ORDER BY st.ts LIMIT 1
        """

    /// Makes the partitions the staged time range needs.
    package static let ensureStagedPartitions: SQLText = """
        SELECT pgscorer.ensure_partitions(min(ts), max(ts)) FROM pgscorer_reading_stage HAVING count(*) > 0
        """

    /// Inserts the staged readings, skipping those already stored; the row count is
    /// the number inserted.
    package static let insertStaged: SQLText = """
        INSERT INTO pgscorer.readings (series_id, ts, n_features, features)
        SELECT se.series_id, st.ts, se.n_features, st.features
        FROM pgscorer_reading_stage st JOIN pgscorer.series se USING (device, sensor)
        ORDER BY se.series_id, st.ts
        ON CONFLICT (series_id, ts) DO NOTHING
        """
}
