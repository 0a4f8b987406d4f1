import Foundation
import PgClient
import PgScorer
import TestSupport
import Testing

/// Series health against each series' own baseline, on predictions laid out to trigger
/// each state, with a healthy counterpart.
@Suite("Series health")
struct SeriesHealthTests {
    @Test("stale, rate_spike, score_shift and drift are found, each with a healthy counterpart")
    func states() async throws {
        try await ScorerFixture.with { fixture in
            for device in ["healthy", "spiking", "shifting", "silent", "drifting"] {
                try await fixture.addModel(device: device, sensor: "temp", featureCount: 2)
            }
            try await fixture.connection.executeScript("""
                SELECT pgscorer.ensure_partitions(now() - interval '8 days', now());
                INSERT INTO pgscorer.schedules (name, every, "window", created_at) VALUES ('fleet', '5 minutes', '1 hour', now() - interval '8 days');
                -- Readings: every series reported a minute ago, but the silent one, last seen 2 hours ago.
                INSERT INTO pgscorer.readings (series_id, ts, n_features, features)
                SELECT series_id, now() - CASE WHEN device = 'silent' THEN interval '2 hours' ELSE interval '1 minute' END, 2,
                       CASE WHEN device = 'drifting' THEN '{5,0.5}'::float8[] ELSE '{0,0}' END
                FROM pgscorer.series;
                -- Training statistics: drifting's first feature now lies 5 deviations away; healthy's does not.
                UPDATE pgscorer.models SET training_stats = '{"mean": [0, 0], "std": [1, 1]}'
                WHERE series_id IN (SELECT series_id FROM pgscorer.series WHERE device IN ('healthy', 'drifting'));
                -- Baseline: a week of hourly scores around 0.5, one in 20 flagged.
                INSERT INTO pgscorer.predictions (series_id, ts, model_id, score, is_anomaly, job_id)
                SELECT m.series_id, now() - interval '2 hours' - h * interval '1 hour', m.model_id,
                       CASE WHEN h % 20 = 0 THEN -0.1 ELSE 0.5 + (h % 7) * 0.01 END, h % 20 = 0, 1
                FROM pgscorer.models m, generate_series(0, 150) h WHERE m.active;
                -- The last hour: 20 scores each; spiking flags half, shifting scores 3 higher.
                INSERT INTO pgscorer.predictions (series_id, ts, model_id, score, is_anomaly, job_id)
                SELECT m.series_id, now() - k * interval '2 minutes', m.model_id,
                       CASE WHEN s.device = 'spiking' AND k % 2 = 0 THEN -0.2 WHEN s.device = 'shifting' THEN 3.5 + (k % 7) * 0.01
                            ELSE 0.5 + (k % 7) * 0.01 END,
                       s.device = 'spiking' AND k % 2 = 0, 1
                FROM pgscorer.models m JOIN pgscorer.series s USING (series_id), generate_series(1, 20) k WHERE m.active;
                """)
            let result = try await PgScorerProcess.run(["health", "--format", "csv"], database: fixture.database)
            #expect(result.status == 0, "\(result.output)")
            let states = Dictionary(uniqueKeysWithValues: result.output.split(separator: "\n").dropFirst().compactMap { line -> (String, String)? in
                let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                return fields.count > 2 ? (String(fields[0]), String(fields[2])) : nil
            })
            #expect(states["healthy"] == "ok", "\(result.output)")
            #expect(states["spiking"]?.contains("rate_spike") == true, "\(result.output)")
            #expect(states["shifting"] == "score_shift", "\(result.output)")
            #expect(states["silent"]?.contains("stale") == true, "\(result.output)")
            #expect(states["drifting"] == "drift", "\(result.output)")

            // Kept current by the workers' upkeep: status counts from the kept table.
            let before = try await PgScorerProcess.run(["status"], database: fixture.database)
            #expect(before.output.contains("series health: not checked yet"), "\(before.output)")
            _ = try await SeriesHealthKeeper(interval: .seconds(300)).runOnce(on: fixture.connection)
            let unhealthy = states.values.filter { $0 != "ok" }.count
            let after = try await PgScorerProcess.run(["status"], database: fixture.database)
            #expect(after.output.contains("series health: \(unhealthy) of \(states.count) series need a look (drift 1, rate_spike"), "\(after.output)")
            let kept = try await fixture.count("SELECT count(*) FROM pgscorer.series_health_current WHERE 'score_shift' = ANY (problems)")
            let live = try await fixture.count("SELECT count(*) FROM pgscorer.series_health WHERE 'score_shift' = ANY (problems)")
            #expect(kept == live && kept >= 1)
        }
    }
}
