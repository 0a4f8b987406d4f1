import Foundation
import Kernels
import Migrations
import PgClient
import PgScorer
import TestSupport
import Testing

@Suite("Demo and backfill commands")
struct DemoCommandTests {
    @Test("enqueue queues one job per selected series, refuses an empty window, and never queues a pending window twice")
    func enqueue() async throws {
        try await ScorerFixture.with { fixture in
            for device in ["pump-1", "pump-2", "fan-1"] { try await fixture.addModel(device: device, sensor: "temp", featureCount: 2) }
            let arguments = ["enqueue", "--since", "2026-11-24T00:00:00Z", "--until", "2026-11-25T00:00:00Z", "--device", "pump-%"]
            let first = try await PgScorerProcess.run(arguments, database: fixture.database)
            #expect(first.status == 0 && first.output.contains("queued 2 job(s)"), "\(first.output)")
            let again = try await PgScorerProcess.run(arguments, database: fixture.database)
            #expect(again.output.contains("queued 0 job(s)"), "\(again.output)")
            let backwards = try await PgScorerProcess.run(
                ["enqueue", "--since", "2026-11-25T00:00:00Z", "--until", "2026-11-24T00:00:00Z"], database: fixture.database)
            #expect(backwards.status != 0 && backwards.output.contains("must be after"), "\(backwards.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs") == 2)
        }
    }

    @Test("a small demo runs end to end: ticks fire, workers score every reading once, the report counts the catch")
    func demo() async throws {
        try await ScorerFixture.with { fixture in
            let result = try await PgScorerProcess.run(
                ["demo", "--device-count", "2", "--sensor-count", "2", "--hours", "24", "--score-hours", "2", "--workers", "2", "--seconds", "6"],
                database: fixture.database, timeout: .seconds(120))
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("trained 4 models natively"), "\(result.output)")
            #expect(result.output.contains("aggregation demo_5m closed \(4 * 26 * 12) 5-minute windows"), "\(result.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.samples") == 4 * 26 * 360)
            // The numbers add up: every injected anomaly is scored, every series reading in the scored hours too.
            let injected = try #require(result.output.firstMatch(of: /(\d+) anomalies injected/)?.1).description
            #expect(result.output.contains("injected anomalies caught: ") && result.output.contains(" of \(injected)  (recall"), "\(result.output)")
            #expect(result.output.contains("(\(4 * 2 * 12) readings of 4 series"), "\(result.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.schedules WHERE name = 'demo' AND NOT enabled") == 1,
                    "the demo's schedule is disabled at the end")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.schedule_runs") >= 1)
            // Every reading in the scored hours has exactly one prediction by the active model.
            let unscored = try await fixture.count(
                """
                SELECT count(*) FROM pgscorer.readings r JOIN pgscorer.models m ON m.series_id = r.series_id AND m.active
                WHERE r.ts >= (SELECT max(window_start) FROM pgscorer.jobs)
                  AND NOT EXISTS (SELECT 1 FROM pgscorer.predictions p WHERE p.series_id = r.series_id AND p.ts = r.ts AND p.model_id = m.model_id)
                """)
            #expect(unscored == 0)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.workers") == 0, "demo workers stop and deregister")

            // "Try next": each line runs as printed, in order, in a shell that has nothing
            // but what the lines set (the long-running worker and serve are left out).
            let block = try #require(result.output.components(separatedBy: "Try next, line by line in a shell").last)
            let lines = block.split(separator: "\n").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            #expect(lines.first?.hasPrefix("export PATH=") == true, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("psql ") && $0.contains(" -c \"SELECT ") }, "SQL inside its psql call: \(lines)")
            let runnable = lines.filter { !$0.hasPrefix("pgscorer worker") && !$0.hasPrefix("pgscorer serve") && !$0.hasPrefix("pgscorer db remove") }
            var environment = ProcessInfo.processInfo.environment
            environment["PATH"] = "/usr/bin:/bin"
            environment["DATABASE_URL"] = fixture.database.url  // what a user of their own database has set
            let script = FileManager.default.temporaryDirectory.appendingPathComponent("try-next-\(UUID().uuidString).sh")
            try ("set -e\n" + runnable.joined(separator: "\n") + "\n").write(to: script, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: script) }
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("try-next-\(UUID().uuidString).log").path
            let child = try ChildProcess(executable: "/bin/bash", arguments: [script.path], environment: environment, outputPath: output)
            let deadline = ContinuousClock.now + .seconds(60)
            while child.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            #expect(child.terminationStatus == 0, "the Try next lines failed as printed: \(runnable)\n\(text)")
            #expect(text.contains("anomaly_rate") && text.contains("UPDATE 1"), "\(text)")
        }
    }

    @Test("demo --live: the scored hours' raw samples published over MQTT to a broker it starts, stored once by a gateway, aggregated and scored")
    func live() async throws {
        try await ScorerFixture.with { fixture in
            let arguments = ["demo", "--device-count", "3", "--sensor-count", "2", "--hours", "4", "--score-hours", "2", "--workers", "1", "--seconds", "5"]
            let result = try await PgScorerProcess.run(arguments + ["--live"], database: fixture.database, timeout: .seconds(120))
            // The status and the last lines first: a CI summary shows a message's first line.
            #expect(result.status == 0, "exit \(result.status), ending: \(result.output.split(separator: "\n").suffix(3).joined(separator: " | "))\n\(result.output)")
            // 6 series, 6 h of a sample every 10 s.
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.samples") == 6 * 6 * 360)
            let published = try #require(result.output.firstMatch(of: /the last 2 h, (\d+) samples, published as MQTT messages/)?.1).description
            #expect(result.output.contains("a pgscorer stream gateway stored them all in"), "\(result.output)")
            #expect(result.output.contains("aggregation demo_5m closed \(6 * 6 * 12) 5-minute windows"), "\(result.output)")
            #expect(result.output.contains("(\(3 * 2 * 2 * 12) readings of 6 series, each predicted exactly once)"), "\(result.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 6 * 6 * 12)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.rejected_readings") == 0)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.gateways") == 0, "the demo's gateway stopped")
            #expect(try await fixture.count("SELECT sum(stored)::int FROM pgscorer.ingest_minutes") == Int(published), "its heartbeats counted them")
            let misuse = try await PgScorerProcess.run(["demo", "--mqtt", "mqtt://127.0.0.1:1"], database: fixture.database)
            #expect(misuse.status == 64 && misuse.output.contains("--mqtt is for --live"), "\(misuse.output)")
        }
    }

    @Test("the same seed makes the same fleet; another seed another one")
    func seed() async throws {
        try await ScorerFixture.with { fixture in
            func injected(_ seed: String) async throws -> String {
                let result = try await PgScorerProcess.run(
                    ["demo", "--device-count", "3", "--sensor-count", "2", "--hours", "4", "--score-hours", "4", "--workers", "1",
                     "--seconds", "5", "--seed", seed], database: fixture.database, timeout: .seconds(120))
                #expect(result.status == 0, "\(result.output)")
                let features = try await fixture.connection.query(
                    "SELECT string_agg(features::text, ';' ORDER BY device, sensor, ts) FROM pgscorer.readings JOIN pgscorer.series USING (series_id)"
                ).single().decode(0) as String
                return (result.output.firstMatch(of: /\d+ anomalies injected/).map { String($0.0) } ?? "none") + " " + String(features.hashValue)
            }
            let first = try await injected("42")
            #expect(try await injected("42") == first)
            #expect(try await injected("43") != first)
        }
    }
}

