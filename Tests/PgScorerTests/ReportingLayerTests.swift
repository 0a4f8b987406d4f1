import Foundation
import Kernels
import Migrations
import PgClient
import PgScorer
import TestSupport
import Testing

@Suite("Reporting layer")
struct ReportingLayerTests {
    @Test("the reporting functions and views agree with a computation from the predictions, count the active model only, and prune partitions")
    func layer() async throws {
        try await ScorerFixture.with { fixture in
            // Two model versions scored the same readings: only the active one counts.
            try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2, seed: 1)
            try await fixture.loadReadings(device: "pump-1", sensor: "temp", start: .utc("2026-11-24T00:00:00Z"), count: 120, featureCount: 2)
            try await fixture.enqueue(.utc("2026-11-24T00:00:00Z"), .utc("2026-11-25T00:00:00Z"))
            #expect(try await PgScorerProcess.run(["worker", "--exit-when-idle", "--no-scheduler"], database: fixture.database).status == 0)
            try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2, seed: 2)
            try await fixture.enqueue(.utc("2026-11-24T00:00:00Z"), .utc("2026-11-25T00:00:00Z"))
            #expect(try await PgScorerProcess.run(["worker", "--exit-when-idle", "--no-scheduler"], database: fixture.database).status == 0)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions") == 240)

            let flagged = try await fixture.count(
                "SELECT count(*) FROM pgscorer.predictions p JOIN pgscorer.models m ON m.model_id = p.model_id AND m.active WHERE p.is_anomaly")
            #expect(try await fixture.count("SELECT sum(anomalies)::int8 FROM pgscorer.anomaly_rate_daily") == flagged)
            #expect(try await fixture.count("SELECT sum(scored)::int8 FROM pgscorer.anomaly_rate_daily") == 120)
            let hours = try await fixture.connection.query(
                "SELECT count(*), sum(scored)::int8, sum(anomalies)::int8 FROM pgscorer.anomaly_rate('2026-11-24', '2026-11-25', '1 hour')").single()
            #expect(try hours.decode(0) as Int == 2 && hours.decode(1) as Int == 120 && hours.decode(2) as Int == flagged)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.scored_readings WHERE score IS NOT NULL") == 120)
            #expect(try await fixture.count("SELECT sum(scored)::int8 FROM pgscorer.model_score_stats") == 240)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.model_score_stats WHERE active AND score_p05 <= score_p50 AND score_p50 <= score_p95") == 1)

            // Episodes: runs of consecutive flags, computed here from the same rows.
            let flags: [Bool] = try await fixture.connection.query(
                "SELECT p.is_anomaly FROM pgscorer.predictions p JOIN pgscorer.models m ON m.model_id = p.model_id AND m.active ORDER BY p.ts"
            ).map { try $0.decode(0) }
            var runs = 0
            for (index, flag) in flags.enumerated() where flag && (index == 0 || !flags[index - 1]) { runs += 1 }
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.anomaly_episodes('2026-11-24', '2026-11-25')") == runs)
            #expect(try await fixture.count("SELECT sum(readings)::int8 FROM pgscorer.anomaly_episodes('2026-11-24', '2026-11-25')") == flagged)

            #expect(try await fixture.count("SELECT sum(attempts)::int8 FROM pgscorer.job_run_latency(now() - interval '1 hour', now() + interval '1 hour')") == 2)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.series_coverage WHERE coverage = 'no schedule'") == 1)

            // Bounds reach the partitions: a plan for one month scans one partition.
            let plan = try await fixture.connection.query(
                "EXPLAIN SELECT * FROM pgscorer.anomaly_rate('2026-11-24', '2026-11-25', '1 day')").map { try $0.decode(0) as String }.joined(separator: "\n")
            #expect(plan.contains("predictions_202611") && !plan.contains("predictions_202612"), "\(plan)")
        }
    }
}
