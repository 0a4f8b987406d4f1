import PgClient

/// Every statement about aggregations, their windows and their late samples.
package enum WindowQueries {
    /// Adds aggregation $1: window $2, hop $3 (NULL: tumbling), features $4, device and
    /// sensor LIKE patterns $5 and $6, target $7, lateness $8, late policy $9, idle close
    /// $10. The table's trigger validates it: aggregation_id.
    package static let insert = PreparedQuery(
        name: "aggregations.insert",
        """
        INSERT INTO pgscorer.aggregations
            (name, "window", hop, features, device_pattern, sensor_pattern, target, lateness, late_policy, idle_close)
        VALUES ($1, $2::interval, $3::interval, $4, $5, $6, $7, $8::interval, $9, $10::interval)
        RETURNING aggregation_id
        """)

    /// The series aggregation $1 matches: sources (it reads them), skipped (more than
    /// one value per sample, so they keep readings).
    package static let sourceCount = PreparedQuery(
        name: "aggregations.source_count",
        """
        SELECT count(*) FILTER (WHERE se.holds_samples) AS sources,
               count(*) FILTER (WHERE NOT se.holds_samples AND se.source_series_id IS NULL) AS skipped
        FROM pgscorer.aggregations a
        JOIN pgscorer.series se ON se.device LIKE a.device_pattern AND se.sensor LIKE a.sensor_pattern
        WHERE a.name = $1 AND se.source_series_id IS NULL
        """)

    /// Every aggregation with what it has done: decoded by `AggregationOverview`.
    package static let overview: SQLText = """
        SELECT a.aggregation_id, a.name,
               (extract(epoch FROM a."window") * 1000000)::int8 AS window_us, (extract(epoch FROM a.hop) * 1000000)::int8 AS hop_us,
               a.features, a.device_pattern, a.sensor_pattern, a.target,
               (extract(epoch FROM a.lateness) * 1000000)::int8 AS lateness_us, a.late_policy,
               (extract(epoch FROM a.idle_close) * 1000000)::int8 AS idle_close_us,
               (SELECT count(*) FROM pgscorer.series se WHERE se.holds_samples
                  AND se.device LIKE a.device_pattern AND se.sensor LIKE a.sensor_pattern) AS sources,
               (SELECT count(*) FROM pgscorer.windows w WHERE w.aggregation_id = a.aggregation_id AND w.closed_at IS NULL) AS open_windows,
               a.windows_closed AS closed_windows,
               coalesce((SELECT sum(l.dropped) FROM pgscorer.late_samples l WHERE l.aggregation_id = a.aggregation_id), 0)::int8 AS late_dropped,
               coalesce((SELECT sum(l.recomputed) FROM pgscorer.late_samples l WHERE l.aggregation_id = a.aggregation_id), 0)::int8 AS late_recomputed,
               (SELECT count(*) FROM pgscorer.aggregation_devices d WHERE d.aggregation_id = a.aggregation_id) AS devices,
               (SELECT max(d.closed_until) FROM pgscorer.aggregation_devices d WHERE d.aggregation_id = a.aggregation_id
                  AND d.closed_until > '-infinity') AS closed_until,
               (SELECT extract(epoch FROM now() - min(d.closed_until)) FROM pgscorer.aggregation_devices d
                  WHERE d.aggregation_id = a.aggregation_id AND d.heard_at + a.idle_close > now()) AS lag_seconds
        FROM pgscorer.aggregations a
        ORDER BY a.name
        """

    /// Removes aggregation $1 (its windows' state goes; its readings, samples and target
    /// series stay); the row count is 0 if there is none.
    package static let delete = PreparedQuery(
        name: "aggregations.delete", "DELETE FROM pgscorer.aggregations WHERE name = $1")

    /// Every aggregation's id and name, for the closer.
    package static let ids: SQLText = "SELECT aggregation_id, name FROM pgscorer.aggregations ORDER BY aggregation_id"

    /// Closes what is due of aggregation $1, at most $2 windows (see the SQL function).
    package static let close = PreparedQuery(
        name: "aggregations.close",
        "SELECT skipped, closed, rewritten, rescored, released, fired, more FROM pgscorer.close_windows($1, $2)")

    /// Lets scoring jobs that waited for the windows of silent devices run.
    package static let releaseWaiting: SQLText = "SELECT pgscorer.release_waiting_jobs() AS released"

    /// Late samples per series (dropped, recomputed), most first: device, sensor,
    /// aggregation, dropped, recomputed, last_at; at most $1 rows.
    package static let lateBySeries = PreparedQuery(
        name: "aggregations.late_by_series",
        """
        SELECT se.device, se.sensor, a.name AS aggregation, l.dropped, l.recomputed, l.last_at
        FROM pgscorer.late_samples l
        JOIN pgscorer.series se ON se.series_id = l.series_id
        JOIN pgscorer.aggregations a ON a.aggregation_id = l.aggregation_id
        ORDER BY l.dropped + l.recomputed DESC, se.device, se.sensor
        LIMIT $1
        """)

    /// The source of target series ($1 device, $2 sensor): series_id, device, sensor,
    /// aggregation (its name, if it still exists), window_us. No row: not a target.
    package static let sourceOfTarget = PreparedQuery(
        name: "samples.source_of_target",
        """
        SELECT src.series_id, src.device, src.sensor, a.name AS aggregation,
               (extract(epoch FROM a."window") * 1000000)::int8 AS window_us
        FROM pgscorer.series t
        JOIN pgscorer.series src ON src.series_id = t.source_series_id
        LEFT JOIN pgscorer.aggregations a ON a.aggregation_id = t.aggregation_id
        WHERE t.device = $1 AND t.sensor = $2
        """)

    /// The samples of series $1 in [$2, $3) in buckets of $4 µs: bucket start (µs since
    /// 1970), samples, lowest, mean and highest value; oldest first.
    package static let sampleBuckets = PreparedQuery(
        name: "samples.buckets",
        """
        SELECT (extract(epoch FROM date_bin(make_interval(secs => $4::float8 / 1000000), ts, $2)) * 1000000)::int8 AS bucket,
               count(*) AS samples, min(features[1]) AS low, avg(features[1]) AS mean, max(features[1]) AS high
        FROM pgscorer.samples
        WHERE series_id = $1 AND ts >= $2 AND ts < $3
        GROUP BY 1 ORDER BY 1
        """)
}
