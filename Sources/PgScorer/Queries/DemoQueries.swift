import PgClient

/// The statements of `pgscorer demo`: its own table of injected anomalies
/// (`pgscorer_demo.injected_anomalies`) and the tally of what the models caught.
package enum DemoQueries {
    /// Raw samples of the demo's series: samples.
    package static let demoSamples = PreparedQuery(
        name: "demo.samples",
        "SELECT count(*)::int AS samples FROM pgscorer.samples r JOIN pgscorer.series s USING (series_id) WHERE s.device LIKE 'demo-%'")

    /// The database's clock to the second: now.
    package static let now: SQLText = "SELECT date_trunc('second', now()) AS now"

    /// Removes what an earlier demo left (demo-* series with their rows, the 'demo'
    /// schedule, the demo_5m aggregation, the recorded anomalies) and makes sure the anomaly table exists.
    package static let reset: SQLText = """
        CREATE SCHEMA IF NOT EXISTS pgscorer_demo;
        CREATE TABLE IF NOT EXISTS pgscorer_demo.injected_anomalies (
            device text NOT NULL, sensor text NOT NULL, ts timestamptz NOT NULL, kind text NOT NULL,
            PRIMARY KEY (device, sensor, ts));
        TRUNCATE pgscorer_demo.injected_anomalies;
        DELETE FROM pgscorer.schedules WHERE name = 'demo';
        DELETE FROM pgscorer.aggregations WHERE name = 'demo_5m';
        DELETE FROM pgscorer.rejected_readings WHERE device LIKE 'demo-%';
        DELETE FROM pgscorer.jobs WHERE series_id IN (SELECT series_id FROM pgscorer.series WHERE device LIKE 'demo-%');
        DELETE FROM pgscorer.predictions WHERE series_id IN (SELECT series_id FROM pgscorer.series WHERE device LIKE 'demo-%');
        DELETE FROM pgscorer.readings WHERE series_id IN (SELECT series_id FROM pgscorer.series WHERE device LIKE 'demo-%');
        DELETE FROM pgscorer.samples WHERE series_id IN (SELECT series_id FROM pgscorer.series WHERE device LIKE 'demo-%');
        DELETE FROM pgscorer.models WHERE series_id IN (SELECT series_id FROM pgscorer.series WHERE device LIKE 'demo-%');
        DELETE FROM pgscorer.series WHERE device LIKE 'demo-%';
        """

    /// Records injected anomalies ($1 devices, $2 sensors, $3 times, $4 kinds).
    package static let recordInjected = PreparedQuery(
        name: "demo.record_injected",
        """
        INSERT INTO pgscorer_demo.injected_anomalies (device, sensor, ts, kind)
        SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[])
        """)

    /// The demo schedule's ticks: ticks, jobs, completed, readings, seconds_per_tick.
    package static let tickTotals: SQLText = """
        SELECT count(*) AS ticks, coalesce(sum(jobs_created), 0)::int8 AS jobs, coalesce(sum(completed), 0)::int8 AS completed,
               coalesce(sum(rows_scored), 0)::int8 AS readings,
               coalesce(avg(extract(epoch FROM processing_time)), 0)::float8 AS seconds_per_tick
        FROM pgscorer.schedule_run_stats WHERE schedule = 'demo'
        """

    /// Active-model predictions of demo series after $1 against the injected
    /// anomalies: caught, false_alarms, missed, scored, series.
    package static let outcome = PreparedQuery(
        name: "demo.outcome",
        """
        SELECT count(*) FILTER (WHERE p.is_anomaly AND t.ts IS NOT NULL) AS caught,
               count(*) FILTER (WHERE p.is_anomaly AND t.ts IS NULL) AS false_alarms,
               count(*) FILTER (WHERE NOT p.is_anomaly AND t.ts IS NOT NULL) AS missed,
               count(*) AS scored, count(DISTINCT p.series_id) AS series
        FROM pgscorer.predictions p
        JOIN pgscorer.series s USING (series_id)
        JOIN pgscorer.models m ON m.model_id = p.model_id AND m.active
        LEFT JOIN pgscorer_demo.injected_anomalies t ON t.device = s.device AND t.sensor = s.sensor AND t.ts = p.ts
        WHERE s.device LIKE 'demo-%' AND p.ts > $1
        """)

    /// How many anomalies were injected: injected.
    package static let injectedCount: SQLText = "SELECT count(*) AS injected FROM pgscorer_demo.injected_anomalies"

    /// Injected anomalies per kind and how many were flagged: kind, injected, caught.
    package static let caughtByKind: SQLText = """
        SELECT t.kind, count(*) AS injected, count(*) FILTER (WHERE p.is_anomaly) AS caught
        FROM pgscorer_demo.injected_anomalies t
        JOIN pgscorer.series s ON s.device = t.device AND s.sensor = t.sensor
        JOIN pgscorer.models m ON m.series_id = s.series_id AND m.active
        JOIN pgscorer.predictions p ON p.series_id = s.series_id AND p.ts = t.ts AND p.model_id = m.model_id
        GROUP BY t.kind ORDER BY t.kind
        """

    /// The five demo series with the most anomalies: device, sensor, anomalies, scored.
    package static let worstSeries: SQLText = """
        SELECT device, sensor, sum(anomalies)::int8 AS anomalies, sum(scored)::int8 AS scored FROM pgscorer.anomaly_rate_daily
        WHERE device LIKE 'demo-%' GROUP BY device, sensor ORDER BY sum(anomalies) DESC, device LIMIT 5
        """
}
