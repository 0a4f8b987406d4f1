import Foundation
import Kernels
import Migrations
import PgClient
import PgScorer
import TestSupport
import Testing

@Suite("Status, report and export commands")
struct ReportCommandTests {
    @Test("status, report and export show what happened")
    func statusReportExport() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
            try await fixture.loadReadings(device: "pump-1", sensor: "temp", start: .utc("2026-11-24T00:00:00Z"), count: 30, featureCount: 2)
            try await fixture.enqueue(.utc("2026-11-24T00:00:00Z"), .utc("2026-11-25T00:00:00Z"))
            let status = try await PgScorerProcess.run(["status", "--format", "json"], database: fixture.database)
            let document = try #require(
                try JSONSerialization.jsonObject(with: Data(status.output.utf8.drop { $0 != UInt8(ascii: "{") })) as? [String: Any])
            let queue = try #require(document["queue"] as? [[String: Any]], "\(status.output)")
            #expect(queue.first?["state"] as? String == "available" && queue.first?["jobs"] as? Int == 1, "\(status.output)")
            _ = try await PgScorerProcess.run(["worker", "--exit-when-idle", "--no-scheduler"], database: fixture.database)
            let after = try await PgScorerProcess.run(["status"], database: fixture.database)
            #expect(after.output.contains("completed 1"), "\(after.output)")
            let anomalies = try await fixture.count("SELECT count(*) FILTER (WHERE is_anomaly) FROM pgscorer.predictions")
            let report = try await PgScorerProcess.run(["report", "--since", "2026-11-01", "--format", "csv"], database: fixture.database)
            #expect(report.output.hasPrefix("device,sensor,scored,anomalies,anomaly_rate,min_score\n") && report.output.contains("\npump-1,temp,30,\(anomalies),"), "\(report.output)")
            let rate = try #require(report.output.split(separator: "\n").first { $0.hasPrefix("pump-1,") }?.split(separator: ",")[4])
            #expect(abs((Double(rate) ?? -1) - Double(anomalies) / 30) < 1e-4, "a rate is a fraction in data: \(rate)")
            let recent = try await PgScorerProcess.run(["report", "--format", "csv"], database: fixture.database)
            #expect(!recent.output.contains("pump-1"), "by default the last 24 h only: \(recent.output)")
            let hourly = try await PgScorerProcess.run(
                ["report", "--since", "2026-11-24", "--until", "2026-11-25", "--by", "hour", "--format", "csv"], database: fixture.database)
            #expect(hourly.output.contains("hour,device,sensor") && hourly.output.contains("\n2026-11-24T00:00:00Z,pump-1,temp,30,"), "\(hourly.output)")
            let json = try await PgScorerProcess.run(["report", "--since", "2026-11-01", "--format", "json"], database: fixture.database)
            #expect((try? JSONValue.parse(Array(json.output.utf8.drop { $0 != UInt8(ascii: "{") }))) != nil, "\(json.output)")
            let export = try await PgScorerProcess.run(
                ["export", "predictions", "--since", "2026-11-24T00:10:00Z", "--until", "2026-11-24T00:20:00Z"], database: fixture.database)
            let lines = export.output.split(separator: "\n").filter { $0.hasPrefix("device,") || $0.hasPrefix("pump-1,") }
            #expect(lines.first == "device,sensor,ts,model_id,score,is_anomaly,job_id,scored_at")
            #expect(lines.count == 11, "\(export.output)")
            #expect(export.output.contains("exported 10 predictions of all series"), "\(export.output)")
            // Sessions run in UTC whatever the server's TimeZone.
            try await fixture.connection.execute(PostgresQuery(SQLText(unsafeSQL: "ALTER DATABASE \(fixture.database.name) SET TimeZone = 'America/New_York'")))
            let utc = try await PgScorerProcess.run(
                ["export", "predictions", "--since", "2026-11-24T00:10:00Z", "--until", "2026-11-24T00:11:00Z"], database: fixture.database)
            #expect(utc.output.contains(",2026-11-24T00:10:00Z,"), "ISO 8601 UTC: \(utc.output)")
            let row = try #require(utc.output.split(separator: "\n").first { $0.hasPrefix("pump-1,") }).split(separator: ",")
            #expect(row[5] == "true" || row[5] == "false", "is_anomaly as true or false: \(row)")
            // JSON lines: one object per line, typed values.
            let jsonLines = try await PgScorerProcess.run(
                ["export", "predictions", "--since", "2026-11-24T00:10:00Z", "--until", "2026-11-24T00:20:00Z", "--format", "jsonl"], database: fixture.database)
            let objects = jsonLines.output.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap {
                try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
            #expect(objects.count == 10, "\(jsonLines.output)")
            #expect(objects.first?["ts"] as? String == "2026-11-24T00:10:00Z" && objects.first?["is_anomaly"] is Bool && objects.first?["score"] is Double,
                    "\(objects.first ?? [:])")
        }
    }
}
