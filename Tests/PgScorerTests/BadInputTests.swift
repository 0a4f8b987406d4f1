import Foundation
import Kernels
import Migrations
import PgClient
import PgScorer
import TestSupport
import Testing

@Suite("Bad input")
struct BadInputTests {
    @Test("SQL-injection attempts through device/sensor names and CLI options are stored as plain text")
    func injection() async throws {
        try await ScorerFixture.with { fixture in
            let evil = "x'); DROP TABLE pgscorer.jobs; --"
            let file = try temporaryFile("evil.csv", "device,sensor,ts,v\n\"\(evil)\",\"temp\"\"; DELETE FROM pgscorer.series; --\",2026-11-24T00:00:00Z,1\n")
            let ingest = try await PgScorerProcess.run(["ingest", file], database: fixture.database)
            #expect(ingest.status == 0, "\(ingest.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.series WHERE device = $1", evil) == 1)
            let list = try await PgScorerProcess.run(["models", "list", "--device", "' OR 1=1; DROP TABLE pgscorer.models; --"], database: fixture.database)
            #expect(list.status == 0, "\(list.output)")
            let schedule = try await PgScorerProcess.run(
                ["schedule", "add", "s1", "--every", "5m", "--window", "5m", "--device", "'; DROP TABLE pgscorer.readings; --"],
                database: fixture.database)
            #expect(schedule.status == 0, "\(schedule.output)")
            let export = try await PgScorerProcess.run(
                ["export", "predictions", "--since", "2026-11-24'); DROP TABLE pgscorer.predictions; --"], database: fixture.database)
            #expect(export.status == 64 && export.output.contains("--since") && export.output.contains("is not a time"), "\(export.output)")
            for table in ["jobs", "series", "models", "readings", "predictions"] {
                let exists: Bool = try await fixture.connection.query(
                    "SELECT to_regclass($1) IS NOT NULL", "pgscorer.\(table)").single().decode(0)
                #expect(exists, "pgscorer.\(table) was dropped")
            }
        }
    }

    @Test("invalid UTF-8 and an oversized line are reported with their line numbers")
    func encodings() async throws {
        try await ScorerFixture.with { fixture in
            var bytes = Array("device,sensor,ts,v\npump-1,temp,2026-11-24T00:00:00Z,1\npump-1,te".utf8)
            bytes += [0xFF, 0xFE]
            bytes += Array("mp,2026-11-24T00:01:00Z,2\n".utf8)
            let path = try temporaryFile("latin1.csv", "")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let result = try await PgScorerProcess.run(["ingest", path], database: fixture.database)
            #expect(result.status != 0 && result.output.contains("line 3: not valid UTF-8"), "\(result.output)")
            let huge = try temporaryFile("huge.csv", "device,sensor,ts,v\npump-1,temp,2026-11-24T00:00:00Z," + String(repeating: "9", count: 2_000_000) + "\n")
            let tooLong = try await PgScorerProcess.run(["ingest", huge], database: fixture.database)
            #expect(tooLong.status != 0 && tooLong.output.contains("line 2: longer than"), "\(tooLong.output)")
            let skipped = try temporaryFile(
                "huge-then-good.csv",
                "device,sensor,ts,v\npump-1,temp,2026-11-24T00:00:00Z," + String(repeating: "9", count: 2_000_000) + "\npump-1,temp,2026-11-24T00:01:00Z,1\n")
            let goesOn = try await PgScorerProcess.run(["ingest", skipped, "--skip-bad"], database: fixture.database, timeout: .seconds(60))
            #expect(goesOn.status == 0 && goesOn.output.contains("1 readings read, 1 new") && goesOn.output.contains("1 rejected"), "\(goesOn.output)")
            try await fixture.connection.execute("DELETE FROM pgscorer.readings")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 0)
        }
    }

    @Test("thousands of mutated CSV lines and JSON documents never crash the parsers")
    func fuzz() {
        var generator = SeededGenerator(seed: 99)
        let line = Array(#""pump, 1",temp,2026-11-24T00:00:00.123+01:00,1.5,-2e3,"q""uote""#)
        let parser = TimestampParser(zonelessTimeZone: nil)
        for _ in 0..<5_000 {
            var mutated = line
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                let index = Int.random(in: 0..<mutated.count, using: &generator)
                mutated[index] = Character(Unicode.Scalar(UInt8.random(in: 32...126, using: &generator)))
            }
            if let fields = try? CSVLineReader.split(String(mutated), line: 1) {
                for field in fields {
                    _ = try? parser.parse(field)
                    _ = Double(field)
                }
            }
        }
        let document = Array(try! ScorerFixture.model(featureCount: 2, supportVectors: 3).jsonDocument().utf8)
        for _ in 0..<5_000 {
            var mutated = document
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                mutated[Int.random(in: 0..<mutated.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if Bool.random(using: &generator) { mutated.removeLast(Int.random(in: 0..<mutated.count, using: &generator)) }
            _ = try? OneClassSVM.fromJSON(mutated)
        }
    }

    @Test("passwords in connection URLs never appear in errors")
    func redaction() async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = nil
        let (status, text) = try await PgScorerProcess(
            ["status", "--database-url", "postgres://scorer:Sup3rS3cret@127.0.0.1:1/fleet?connect_timeout=2"], environment: environment
        ).finish()
        #expect(status != 0)
        #expect(text.contains("127.0.0.1") && text.contains("\"fleet\""), "\(text)")
        #expect(!text.contains("Sup3rS3cret"), "\(text)")
    }

    @Test("names with control characters, text-direction marks or 300 characters are refused by line, and --skip-bad goes on")
    func unprintableNames() async throws {
        try await ScorerFixture.with { fixture in
            let long = String(repeating: "d", count: 300)
            let file = try temporaryFile(
                "names.csv",
                "device,sensor,ts,v\npump-1,temp,2026-11-24T00:00:00Z,1\n\"pump\u{1B}[31m-2\",temp,2026-11-24T00:00:00Z,1\n"
                    + "pump-3,te\u{202E}mp,2026-11-24T00:00:00Z,1\n\(long),temp,2026-11-24T00:00:00Z,1\npump\t4,temp,2026-11-24T00:00:00Z,1\n"
                    + "pump-5,temp,2026-11-24T00:00:00Z,1\n")
            let strict = try await PgScorerProcess.run(["ingest", file], database: fixture.database)
            #expect(strict.status == 1 && strict.output.contains("line 3") && strict.output.contains("U+001B, a control character"), "\(strict.output)")
            #expect(!strict.output.contains("\u{1B}"), "the error itself prints no escape sequence")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.series") == 0, "nothing loaded")

            let skipping = try await PgScorerProcess.run(["ingest", file, "--skip-bad"], database: fixture.database)
            #expect(skipping.status == 0 && skipping.output.contains("4 rejected"), "\(skipping.output)")
            let rejects = try String(contentsOfFile: file + ".rejects.csv", encoding: .utf8)
            for expected in [
                "3,\"the device name 'pump\\u{1B}[31m-2' holds U+001B, a control character", "4,\"the sensor name 'te\\u{202E}mp' holds U+202E, a text-direction mark",
                "5,the device name is 300 characters long; at most 200", "6,\"the device name 'pump\\u{9}4' holds U+0009",
            ] {
                #expect(rejects.contains(expected), "\(expected): \(rejects)")
            }
            #expect(!skipping.output.contains("23514") && !rejects.contains("23514"), "no SQLSTATE: \(skipping.output)")
            let devices: [String] = try await fixture.connection.query("SELECT device FROM pgscorer.series ORDER BY device").map { try $0.decode(0) }
            #expect(devices == ["pump-1", "pump-5"])
            // SQL is held to the same rule.
            await #expect(throws: PostgresError.self) {
                try await fixture.connection.execute("INSERT INTO pgscorer.series (device, sensor, n_features) VALUES (E'a\\u202Eb', 's', 1)")
            }
        }
    }
}

