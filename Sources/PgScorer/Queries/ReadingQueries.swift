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

    /// The features (column 0) and times (column 1) of series $1 in [$2, $3) (NULL
    /// bounds are open), oldest first: a model's training data.
    package static let trainingFeatures = PreparedQuery(
        name: "readings.training_features",
        """
        SELECT features, ts FROM pgscorer.readings
        WHERE series_id = $1 AND ts >= coalesce($2::timestamptz, '-infinity') AND ts < coalesce($3::timestamptz, 'infinity')
        ORDER BY ts
        """)

    /// Binary COPY of (series_id, ts, n_features, features) rows straight into the
    /// readings: a load whose series are known and whose keys are all new.
    package static let copyIn: SQLText =
        "COPY pgscorer.readings (series_id, ts, n_features, features) FROM STDIN (FORMAT binary)"

    /// The same for the raw samples of series an aggregation reads (their statement
    /// trigger merges them into their windows).
    package static let copySamplesIn: SQLText =
        "COPY pgscorer.samples (series_id, ts, n_features, features) FROM STDIN (FORMAT binary)"

    /// Makes the monthly partitions [$1, $2] needs.
    package static let ensurePartitions = PreparedQuery(
        name: "readings.ensure_partitions", "SELECT pgscorer.ensure_partitions($1, $2)")

    /// The session's staging table for a careful load, and the table of its distinct
    /// keys (both emptied at commit).
    package static let createStage: SQLText = """
        CREATE TEMP TABLE IF NOT EXISTS pgscorer_reading_stage (
            device text NOT NULL, sensor text NOT NULL, ts timestamptz NOT NULL, features float8[] NOT NULL, line int8 NOT NULL
        ) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE IF NOT EXISTS pgscorer_reading_keys (
            series_id int8 NOT NULL, ts timestamptz NOT NULL, n_features int2 NOT NULL, features float8[] NOT NULL, line int8 NOT NULL,
            into_samples bool NOT NULL
        ) ON COMMIT DELETE ROWS;
        """

    /// Binary COPY of (device, sensor, ts, features, line) rows into the staging table.
    package static let copyIntoStage: SQLText = "COPY pgscorer_reading_stage FROM STDIN (FORMAT binary)"

    /// The first staged reading (by line) whose feature count differs from its series':
    /// line, device, sensor, got, expected, content.
    package static let stagedFeatureMismatch: SQLText = """
        SELECT st.line, st.device, st.sensor, cardinality(st.features) AS got, se.n_features AS expected,
               concat_ws(',', st.device, st.sensor, st.ts, array_to_string(st.features, ',')) AS content
        FROM pgscorer_reading_stage st JOIN pgscorer.series se USING (device, sensor)
        WHERE cardinality(st.features) IS DISTINCT FROM se.n_features
        ORDER BY st.line LIMIT 1
        """

    /// Removes every staged reading whose feature count differs from its series' and
    /// returns them as `stagedFeatureMismatch` does.
    package static let removeStagedMismatches: SQLText = """
        DELETE FROM pgscorer_reading_stage st USING pgscorer.series se
        WHERE se.device = st.device AND se.sensor = st.sensor AND cardinality(st.features) IS DISTINCT FROM se.n_features
        RETURNING st.line, st.device, st.sensor, cardinality(st.features) AS got, se.n_features AS expected,
                  concat_ws(',', st.device, st.sensor, st.ts, array_to_string(st.features, ',')) AS content
        """

    /// Makes the partitions the staged time range needs.
    package static let ensureStagedPartitions: SQLText = """
        SELECT pgscorer.ensure_partitions(min(ts), max(ts)) FROM pgscorer_reading_stage HAVING count(*) > 0
        """

    /// The first time the file gives two different values: device, sensor, ts, and the
    /// first line with its value and the first line that differs, with its value.
    package static let stagedRepeatConflict: SQLText = """
        WITH firsts AS (
            SELECT DISTINCT ON (device, sensor, ts) device, sensor, ts, line, features
            FROM pgscorer_reading_stage ORDER BY device, sensor, ts, line
        )
        SELECT f.device, f.sensor, f.ts, f.line AS first_line, f.features::text AS first_value,
               st.line AS other_line, st.features::text AS other_value
        FROM pgscorer_reading_stage st JOIN firsts f USING (device, sensor, ts)
        WHERE st.features <> f.features
        ORDER BY st.line LIMIT 1
        """

    /// Keeps one staged reading per (series, ts): the first line's when $1 = 1, the
    /// last line's when $1 = -1.
    package static let keepOnePerKey = PreparedQuery(
        name: "readings.keep_one_per_key",
        """
        INSERT INTO pgscorer_reading_keys (series_id, ts, n_features, features, line, into_samples)
        SELECT DISTINCT ON (se.series_id, st.ts) se.series_id, st.ts, se.n_features, st.features, st.line, se.holds_samples
        FROM pgscorer_reading_stage st JOIN pgscorer.series se USING (device, sensor)
        ORDER BY se.series_id, st.ts, st.line * $1
        """)

    /// The kept readings (and samples) against the stored ones: keys, already_stored
    /// (same value), conflicting (another value), conflicting_samples.
    package static let keyCounts: SQLText = """
        SELECT count(*) AS keys,
               count(*) FILTER (WHERE coalesce(r.features, s.features) = k.features) AS already_stored,
               count(*) FILTER (WHERE coalesce(r.features, s.features) <> k.features) AS conflicting,
               count(*) FILTER (WHERE s.features <> k.features) AS conflicting_samples
        FROM pgscorer_reading_keys k
        LEFT JOIN pgscorer.readings r ON NOT k.into_samples AND r.series_id = k.series_id AND r.ts = k.ts
        LEFT JOIN pgscorer.samples s ON k.into_samples AND s.series_id = k.series_id AND s.ts = k.ts
        """

    /// The first kept reading (by line) whose stored value differs (only samples when
    /// $1): line, device, sensor, ts, stored, given, into_samples.
    package static let firstStoredConflict = PreparedQuery(
        name: "readings.first_stored_conflict",
        """
        SELECT k.line, se.device, se.sensor, k.ts, coalesce(r.features, s.features)::text AS stored, k.features::text AS given,
               k.into_samples
        FROM pgscorer_reading_keys k
        LEFT JOIN pgscorer.readings r ON NOT k.into_samples AND r.series_id = k.series_id AND r.ts = k.ts
        LEFT JOIN pgscorer.samples s ON k.into_samples AND s.series_id = k.series_id AND s.ts = k.ts
        JOIN pgscorer.series se ON se.series_id = k.series_id
        WHERE coalesce(r.features, s.features) <> k.features
          AND (k.into_samples OR NOT $1)
        ORDER BY k.line LIMIT 1
        """)

    /// Inserts the kept readings and samples that are new; stored ones stay as they are:
    /// inserted.
    package static let insertKept: SQLText = """
        WITH into_readings AS (
            INSERT INTO pgscorer.readings (series_id, ts, n_features, features)
            SELECT series_id, ts, n_features, features FROM pgscorer_reading_keys WHERE NOT into_samples ORDER BY series_id, ts
            ON CONFLICT (series_id, ts) DO NOTHING
            RETURNING 1
        ), into_samples AS (
            INSERT INTO pgscorer.samples (series_id, ts, n_features, features)
            SELECT series_id, ts, n_features, features FROM pgscorer_reading_keys WHERE into_samples ORDER BY series_id, ts
            ON CONFLICT (series_id, ts) DO NOTHING
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM into_readings) + (SELECT count(*) FROM into_samples) AS inserted
        """

    /// Gives stored readings (never samples: their windows merged the stored value) the
    /// kept value where it differs; the row count is how many.
    package static let replaceStored: SQLText = """
        UPDATE pgscorer.readings r SET features = k.features
        FROM pgscorer_reading_keys k
        WHERE NOT k.into_samples AND r.series_id = k.series_id AND r.ts = k.ts AND r.features <> k.features
        """
}
