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

    @Test("train --no-activate says that every new version was left inactive, in JSON too")
    func noActivate() async throws {
        try await ScorerFixture.with { fixture in
            for device in 0..<2 {
                try await fixture.loadReadings(
                    device: "pump-\(device)", sensor: "temp", start: .utc("2026-11-20T00:00:00Z"), count: 100, featureCount: 2, seed: UInt64(device))
            }
            let json = try await PgScorerProcess.run(["train", "--no-activate", "--min-readings", "20", "--format", "json"], database: fixture.database)
            #expect(json.status == 0, "\(json.output)")
            // The output also holds log lines (stderr): the JSON is the block from its first "{".
            let start = try #require(json.output.range(of: "\n{") ?? json.output.range(of: "{"), "\(json.output)")
            let object = try #require(
                try JSONSerialization.jsonObject(with: Data(json.output[start.lowerBound...].utf8)) as? [String: Any], "\(json.output)")
            let inactive = try #require(object["not_activated"] as? [[String: Any]], "\(json.output)")
            #expect(inactive.count == 2 && inactive.allSatisfy { ($0["reason"] as? String)?.contains("--no-activate") == true }, "\(json.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE active") == 0)
            let table = try await PgScorerProcess.run(["train", "--no-activate", "--min-readings", "20"], database: fixture.database)
            #expect(table.output.contains("2 new version(s) stored without activating them, as --no-activate asked"), "\(table.output)")
        }
    }
}
