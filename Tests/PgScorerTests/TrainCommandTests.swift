import Foundation
import Kernels
import Migrations
import PgClient
import PgScorer
import TestSupport
import Testing

@Suite("Train command")
struct TrainCommandTests {
    @Test("train fits every series from its readings, skips thin ones, and the result scores")
    func train() async throws {
        try await ScorerFixture.with { fixture in
            for device in 0..<3 {
                try await fixture.loadReadings(
                    device: "pump-\(device)", sensor: "temp", start: .utc("2026-11-20T00:00:00Z"), count: 200, featureCount: 3,
                    seed: UInt64(device))
            }
            try await fixture.loadReadings(device: "thin", sensor: "temp", start: .utc("2026-11-20T00:00:00Z"), count: 4, featureCount: 3)
            let result = try await PgScorerProcess.run(
                ["train", "--nu", "0.05", "--scaler", "standard", "--min-readings", "20"], database: fixture.database)
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("trained 3 model(s), skipped 1 series"), "\(result.output)")
            #expect(result.output.contains("skipped thin/temp: 4 readings"))
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE active AND source = 'native' AND training_rows = 200") == 3)
            try await fixture.enqueue(.utc("2026-11-20T00:00:00Z"), .utc("2026-11-21T00:00:00Z"))
            let worker = try await PgScorerProcess.run(["worker", "--exit-when-idle", "--no-scheduler"], database: fixture.database)
            #expect(worker.status == 0)
            #expect(worker.output.contains("scored 3 job(s), 600 readings, "), "the drain ends with a summary: \(worker.output)")
            // nu bounds the training outlier fraction: about 5% flagged, never most.
            let flagged = try await fixture.count("SELECT count(*) FILTER (WHERE is_anomaly) FROM pgscorer.predictions")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions") == 600)
            #expect(flagged > 0 && flagged < 90)
        }
    }
}
