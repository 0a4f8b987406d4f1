import PgClient

/// Every statement against `pgscorer.series`.
package enum SeriesQueries {
    /// The series whose device matches LIKE $1 and sensor LIKE $2, by name:
    /// series_id, device, sensor.
    package static let matching = PreparedQuery(
        name: "series.matching",
        """
        SELECT series_id, device, sensor FROM pgscorer.series
        WHERE device LIKE $1 AND sensor LIKE $2
        ORDER BY device, sensor
        """)

    /// The series named by devices $1 and sensors $2 (arrays, each pair once), each
    /// created with its count in $3 if new, in one statement: series_id, device, sensor,
    /// n_features (the stored count, which may differ), created.
    package static let findOrCreateMany = PreparedQuery(
        name: "series.find_or_create_many",
        """
        INSERT INTO pgscorer.series AS s (device, sensor, n_features)
        SELECT * FROM unnest($1::text[], $2::text[], $3::int2[])
        ON CONFLICT (device, sensor) DO UPDATE SET device = EXCLUDED.device  -- returns the row even if another load just made it
        RETURNING s.series_id, s.device, s.sensor, s.n_features, s.xmax = 0 AS created, s.holds_samples
        """)

    /// The series (device $1, sensor $2), created with $3 features if new:
    /// series_id, n_features (the stored count, which may differ from $3), created.
    package static let findOrCreate = PreparedQuery(
        name: "series.find_or_create",
        """
        INSERT INTO pgscorer.series (device, sensor, n_features) VALUES ($1, $2, $3)
        ON CONFLICT (device, sensor) DO UPDATE SET device = EXCLUDED.device  -- returns the row even if another load just made it
        RETURNING series_id, n_features, xmax = 0 AS created
        """)

    /// Releases the held or failing series matching device LIKE $1 and sensor LIKE $2:
    /// device, sensor, consecutive, held (whether it was held).
    package static let resume = PreparedQuery(
        name: "series.resume",
        """
        DELETE FROM pgscorer.series_failures f USING pgscorer.series s
        WHERE s.series_id = f.series_id AND s.device LIKE $1 AND s.sensor LIKE $2
        RETURNING s.device, s.sensor, f.consecutive, f.held_since IS NOT NULL AS held
        """)

    /// Creates the series of the staged readings that are new (feature count from the
    /// first line, as the fast way takes it); one row per new series.
    package static let createFromStage: SQLText = """
        INSERT INTO pgscorer.series (device, sensor, n_features)
        SELECT DISTINCT ON (device, sensor) device, sensor, cardinality(features)
        FROM pgscorer_reading_stage ORDER BY device, sensor, line
        ON CONFLICT (device, sensor) DO NOTHING
        RETURNING series_id
        """
}
