import ArgumentParser
import Foundation
import Kernels
import Migrations
import PgClient
import TestSupport
import Testing

@testable import PgScorer

/// Writes `text` to a temporary file and returns its path.
func temporaryFile(_ name: String, _ text: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent(name).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

@Suite("Command-line parsing")
struct CommandParsingTests {
    @Test("every subcommand parses its documented flags", arguments: [
        ["demo", "--devices", "3", "--sensors", "2", "--hours", "24", "--workers", "2"],
        ["migrate"], ["ingest", "readings.csv", "--skip-bad"], ["ingest", "-"],
        ["models", "import", "m.json", "--device", "d", "--sensor", "s", "--no-activate"], ["models", "list", "--active"],
        ["models", "show", "3"], ["models", "export", "3", "-o", "out.json"], ["models", "activate", "3"],
        ["train", "--kernel", "rbf", "--nu", "0.05", "--gamma", "0.5", "--scaler", "standard", "--device", "pump-%"],
        ["schedule", "add", "fleet", "--cron", "*/5 * * * *", "--window", "5m", "--devices", "pump-%", "--catch-up", "3"],
        ["schedule", "add", "fleet", "--every", "30s", "--window", "1h"], ["schedule", "list"], ["schedule", "disable", "fleet"],
        ["enqueue", "--since", "2026-11-24T00:00:00Z", "--until", "2026-11-25T00:00:00Z"],
        ["worker", "--concurrency", "4", "--batch", "16", "--lease", "2m", "--poll", "250ms", "--no-scheduler", "--exit-when-idle"],
        ["worker", "--max-jobs", "1000"],
        ["status", "--json"], ["report", "--since", "2026-11-24", "--format", "csv"],
        ["export", "predictions", "--since", "2026-11-24"], ["db", "status"], ["db", "stop"],
    ])
    func parses(arguments: [String]) throws {
        _ = try PgScorerCommand.parseAsRoot(arguments)
    }

    @Test("bad arguments are refused with a message naming the flag", arguments: [
        (["schedule", "add", "x", "--window", "5m"], "exactly one of --cron and --every"),
        (["schedule", "add", "x", "--every", "5 minutes", "--window", "5m"], "--every"),
        (["worker", "--batch", "0"], "--batch"),
        (["worker", "--max-jobs", "0"], "--max-jobs"),
        (["worker", "--lease", "soon"], "lease"),
        (["train", "--nu", "1.5"], "--nu"),
        (["train", "--gamma", "-1"], "--gamma"),
        (["train", "--kernel", "laplacian"], "--kernel"),
        (["demo", "--sensors", "9"], "--sensors"),
        (["export", "predictions", "--since", "2026-01-01", "--format", "parquet"], "only csv"),
    ] as [([String], String)])
    func refuses(arguments: [String], message: String) {
        do {
            _ = try PgScorerCommand.parseAsRoot(arguments)
            Issue.record("\(arguments) should be refused")
        } catch {
            #expect(PgScorerCommand.message(for: error).contains(message), "\(PgScorerCommand.message(for: error))")
        }
    }

    @Test("durations parse as the flags document")
    func durations() {
        #expect(DurationArgument.parse("500ms") == .milliseconds(500))
        #expect(DurationArgument.parse("5m") == .seconds(300))
        #expect(DurationArgument.parse("1.5h") == .seconds(5400))
        #expect(DurationArgument.parse("2d") == .seconds(172_800))
        #expect(DurationArgument.parse("5") == nil)
        #expect(DurationArgument.parse("-1s") == nil)
    }

    @Test("timestamps: ISO 8601 with a zone; none, or out of range, is refused", arguments: [
        ("2026-11-24T13:05:00Z", "2026-11-24T13:05:00.000000Z"), ("2026-11-24 13:05:00.25+01:00", "2026-11-24T12:05:00.250000Z"),
        ("2024-02-29T00:00Z", "2024-02-29T00:00:00.000000Z"), ("2026-11-24T13:05:00.1234567-0530", "2026-11-24T18:35:00.123456Z"),
    ])
    func timestamps(text: String, expected: String) throws {
        #expect(try TimestampParser().parse(Substring(text)).description == expected)
    }

    @Test("bad timestamps name the problem")
    func badTimestamps() {
        let parser = TimestampParser()
        #expect(throws: TimestampParser.Failure.missingZone("2026-11-24T13:05:00")) { try parser.parse("2026-11-24T13:05:00") }
        #expect(throws: TimestampParser.Failure.outOfRange("2026-02-30T00:00:00Z")) { try parser.parse("2026-02-30T00:00:00Z") }
        #expect(throws: TimestampParser.Failure.outOfRange("2026-11-24T24:00:00Z")) { try parser.parse("2026-11-24T24:00:00Z") }
        #expect(throws: TimestampParser.Failure.malformed("yesterday")) { try parser.parse("yesterday") }
        #expect(throws: TimestampParser.Failure.malformed("2026-11-24T13:05:00Zjunk")) { try parser.parse("2026-11-24T13:05:00Zjunk") }
    }

    @Test("CSV fields: quotes, embedded commas and doubled quotes")
    func csvSplitting() throws {
        #expect(try CSVLineReader.split(#""pump, 7",temp,"say ""hi""",1"#, line: 1) == ["pump, 7", "temp", #"say "hi""#, "1"])
        #expect(throws: CSVLineReader.Failure.unterminatedQuote(line: 4)) { try CSVLineReader.split(#""open,1"#, line: 4) }
    }
}

@Suite("Commands against a real database")
struct CommandDatabaseTests {
    static let header = "device,sensor,ts,mean,max\n"

    @Test("ingest loads a file once; the same file again adds nothing")
    func ingestIsIdempotent() async throws {
        try await ScorerFixture.with { fixture in
            let file = try temporaryFile(
                "readings.csv",
                Self.header + (0..<50).map { "pump-1,temp,2026-11-24T00:\(String(format: "%02d", $0)):00Z,\(Double($0) / 10),\(Double($0) / 5)" }
                    .joined(separator: "\n") + "\n\"pump, 2\",temp,2026-11-24T00:00:00+01:00,1,2\n")
            let first = try await PgScorerProcess.run(["ingest", file], database: fixture.database)
            #expect(first.status == 0, "\(first.output)")
            #expect(first.output.contains("51 readings read, 51 new"))
            let second = try await PgScorerProcess.run(["ingest", file], database: fixture.database)
            #expect(second.output.contains("51 readings read, 0 new, 51 already stored"), "\(second.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 51)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.series WHERE device = 'pump, 2' AND n_features = 2") == 1)
            let shifted: PostgresTimestamp = try await fixture.connection.query(
                "SELECT ts FROM pgscorer.readings JOIN pgscorer.series USING (series_id) WHERE device = 'pump, 2'").single().decode(0)
            #expect(shifted.description == "2026-11-23T23:00:00.000000Z")
        }
    }

    @Test("a bad line stops the load with its line number and loads nothing", arguments: [
        ("pump-1,temp,2026-11-24T00:03:00Z,1\n", "line 4: expected 5 columns, found 4"),
        ("pump-1,temp,2026-11-24T00:03:00Z,1,abc\n", "line 4: column max: 'abc' is not a number"),
        ("pump-1,temp,2026-11-24T00:03:00Z,NaN,1\n", "line 4: column mean: NaN is not a finite number"),
        ("pump-1,temp,2026-11-24T00:03:00Z,inf,1\n", "line 4: column mean: inf is not a finite number"),
        ("pump-1,temp,2026-11-24 00:03:00,1,1\n", "line 4: timestamp '2026-11-24 00:03:00' has no time zone"),
        ("pump-1,temp,2026-13-24T00:03:00Z,1,1\n", "line 4: timestamp '2026-13-24T00:03:00Z' is out of range"),
        (",temp,2026-11-24T00:03:00Z,1,1\n", "line 4: device and sensor must not be empty"),
    ])
    func badLine(line: String, message: String) async throws {
        try await ScorerFixture.with { fixture in
            let file = try temporaryFile(
                "bad.csv", Self.header + "pump-1,temp,2026-11-24T00:01:00Z,1,2\npump-1,temp,2026-11-24T00:02:00Z,1,2\n" + line
                    + "pump-1,temp,2026-11-24T00:04:00Z,1,2\n")
            let result = try await PgScorerProcess.run(["ingest", file], database: fixture.database)
            #expect(result.status != 0)
            #expect(result.output.contains(message), "\(result.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 0)
        }
    }

    @Test("--skip-bad loads the good lines and reports the bad ones with line numbers")
    func skipBad() async throws {
        try await ScorerFixture.with { fixture in
            let file = try temporaryFile(
                "mixed.csv",
                Self.header + "pump-1,temp,2026-11-24T00:01:00Z,1,2\npump-1,temp,2026-11-24T00:02:00Z,x,2\n"
                    + "pump-1,temp,2026-11-24T00:03:00Z,1,2\npump-1,temp,2026-11-24T00:04:00Z,1\n")
            let result = try await PgScorerProcess.run(["ingest", file, "--skip-bad"], database: fixture.database)
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("2 readings read, 2 new") && result.output.contains("2 rejected"), "\(result.output)")
            let rejects = try String(contentsOfFile: file + ".rejects.csv", encoding: .utf8)
            #expect(rejects.contains("3,\"column mean: 'x' is not a number\""))
            #expect(rejects.contains("5,\"expected 5 columns, found 4\""))
        }
    }

    @Test("a feature count that differs from the series' is refused, naming the line")
    func featureCountMismatch() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.loadReadings(
                device: "pump-1", sensor: "temp", start: .utc("2026-11-20T00:00:00Z"), count: 3, featureCount: 3)
            let file = try temporaryFile("two.csv", Self.header + "pump-1,temp,2026-11-24T00:01:00Z,1,2\n")
            let result = try await PgScorerProcess.run(["ingest", file], database: fixture.database)
            #expect(result.status != 0)
            #expect(result.output.contains("line 2") && result.output.contains("has 2 features, but the series has 3"), "\(result.output)")
        }
    }

    @Test("models import, list, show, export and activate; bad JSON is refused by field")
    func models() async throws {
        try await ScorerFixture.with { fixture in
            let model = try ScorerFixture.model(featureCount: 2)
            let file = try temporaryFile("model.json", model.jsonDocument(metadataJSON: #"{"sklearn_version": "1.5.2"}"#))
            for _ in 0..<2 {
                let imported = try await PgScorerProcess.run(
                    ["models", "import", file, "--device", "pump-1", "--sensor", "temp"], database: fixture.database)
                #expect(imported.status == 0, "\(imported.output)")
            }
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE active") == 1)
            #expect(try await fixture.count("SELECT max(version) FROM pgscorer.models") == 2)
            let list = try await PgScorerProcess.run(["models", "list"], database: fixture.database)
            #expect(list.output.contains("pump-1") && list.output.contains("sklearn"))
            let firstID = try await fixture.count("SELECT model_id FROM pgscorer.models WHERE version = 1")
            #expect(try await PgScorerProcess.run(["models", "activate", "\(firstID)"], database: fixture.database).status == 0)
            #expect(try await fixture.count("SELECT version FROM pgscorer.models WHERE active") == 1)
            let exported = try await PgScorerProcess.run(["models", "export", "\(firstID)"], database: fixture.database)
            let document = try OneClassSVM.fromJSON(Array(exported.output.utf8.drop { $0 != UInt8(ascii: "{") }))
            #expect(document.model == model)
            let show = try await PgScorerProcess.run(["models", "show", "\(firstID)"], database: fixture.database)
            #expect(show.output.contains("kernel rbf") && show.output.contains("24 support vectors"), "\(show.output)")

            let bad = try temporaryFile("bad.json", #"{"format": "pgscorer.one_class_svm", "version": 1, "kernel": "rbf", "gamma": -1}"#)
            let refused = try await PgScorerProcess.run(["models", "import", bad, "--device", "d", "--sensor", "s"], database: fixture.database)
            #expect(refused.status != 0 && refused.output.contains("missing field"), "\(refused.output)")
            let wrongWidth = try temporaryFile("wide.json", try ScorerFixture.model(featureCount: 5).jsonDocument())
            let mismatch = try await PgScorerProcess.run(
                ["models", "import", wrongWidth, "--device", "pump-1", "--sensor", "temp"], database: fixture.database)
            #expect(mismatch.status != 0 && mismatch.output.contains("has 2 features per reading, but the model expects 5"), "\(mismatch.output)")
        }
    }

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
            // nu bounds the training outlier fraction: about 5% flagged, never most.
            let flagged = try await fixture.count("SELECT count(*) FILTER (WHERE is_anomaly) FROM pgscorer.predictions")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions") == 600)
            #expect(flagged > 0 && flagged < 90)
        }
    }

    @Test("schedule add/list/disable/remove, and SQL and CLI refuse the same invalid schedule")
    func schedules() async throws {
        try await ScorerFixture.with { fixture in
            let added = try await PgScorerProcess.run(
                ["schedule", "add", "fleet", "--cron", "*/5 * * * *", "--window", "5m", "--devices", "pump-%"], database: fixture.database)
            #expect(added.status == 0, "\(added.output)")
            let list = try await PgScorerProcess.run(["schedule", "list"], database: fixture.database)
            #expect(list.output.contains("fleet") && list.output.contains("cron */5 * * * *") && list.output.contains("pump-%"), "\(list.output)")
            let invalid = try await PgScorerProcess.run(
                ["schedule", "add", "broken", "--cron", "*/5 * * *", "--window", "5m"], database: fixture.database)
            #expect(invalid.status != 0 && invalid.output.contains("must have 5 fields"), "\(invalid.output)")
            #expect(try await PgScorerProcess.run(["schedule", "disable", "fleet"], database: fixture.database).status == 0)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.schedules WHERE NOT enabled") == 1)
            #expect(try await PgScorerProcess.run(["schedule", "remove", "fleet"], database: fixture.database).status == 0)
            let missing = try await PgScorerProcess.run(["schedule", "remove", "fleet"], database: fixture.database)
            #expect(missing.status != 0 && missing.output.contains("no schedule named fleet"))
        }
    }

    @Test("status, report and export show what happened")
    func statusReportExport() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
            try await fixture.loadReadings(device: "pump-1", sensor: "temp", start: .utc("2026-11-24T00:00:00Z"), count: 30, featureCount: 2)
            try await fixture.enqueue(.utc("2026-11-24T00:00:00Z"), .utc("2026-11-25T00:00:00Z"))
            let status = try await PgScorerProcess.run(["status", "--json"], database: fixture.database)
            #expect(status.output.contains("\"available\": 1"), "\(status.output)")
            _ = try await PgScorerProcess.run(["worker", "--exit-when-idle", "--no-scheduler"], database: fixture.database)
            let after = try await PgScorerProcess.run(["status"], database: fixture.database)
            #expect(after.output.contains("completed 1"), "\(after.output)")
            let anomalies = try await fixture.count("SELECT count(*) FILTER (WHERE is_anomaly) FROM pgscorer.predictions")
            let report = try await PgScorerProcess.run(["report", "--format", "csv"], database: fixture.database)
            #expect(report.output.contains("series,pump-1,temp,30,\(anomalies),"), "\(report.output)")
            let json = try await PgScorerProcess.run(["report", "--format", "json"], database: fixture.database)
            #expect((try? JSONValue.parse(Array(json.output.utf8.drop { $0 != UInt8(ascii: "{") }))) != nil, "\(json.output)")
            let export = try await PgScorerProcess.run(
                ["export", "predictions", "--since", "2026-11-24T00:10:00Z", "--until", "2026-11-24T00:20:00Z"], database: fixture.database)
            let lines = export.output.split(separator: "\n").filter { $0.hasPrefix("device,") || $0.hasPrefix("pump-1,") }
            #expect(lines.first == "device,sensor,ts,model_id,score,is_anomaly,job_id,scored_at")
            #expect(lines.count == 11, "\(export.output)")
        }
    }

    @Test("with no database configured, pgscorer runs its own embedded cluster and db stop stops it")
    func embeddedDefault() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-home-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        var environment = ProcessInfo.processInfo.environment
        for name in GlobalOptions.libpqVariables + ["DATABASE_URL"] { environment[name] = nil }
        environment["PGSCORER_HOME"] = home.path
        func pgscorer(_ arguments: [String]) async throws -> (Int32, String) {
            try await PgScorerProcess(arguments, environment: environment).finish()
        }
        let migrate = try await pgscorer(["migrate"])
        #expect(migrate.0 == 0, "\(migrate.1)")
        #expect(migrate.1.contains("applied \(Migration.all.count) migration(s)"))
        let status = try await pgscorer(["db", "status"])
        #expect(status.1.contains("running:          yes") && status.1.contains(home.path), "\(status.1)")
        #expect(try await pgscorer(["migrate"]).1.contains("schema is up to date"))
        #expect(try await pgscorer(["db", "stop"]).1.contains("stopped"))
        #expect(try await pgscorer(["db", "status"]).1.contains("running:          no"))
    }
}

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
                ["demo", "--devices", "2", "--sensors", "2", "--hours", "24", "--score-hours", "2", "--workers", "2", "--seconds", "6"],
                database: fixture.database, timeout: .seconds(120))
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("trained 4 models natively"), "\(result.output)")
            #expect(result.output.contains("injected anomalies caught"))
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
        }
    }
}

@Suite("Model folder import")
struct ModelFolderImportTests {
    @Test("file-name patterns give device and sensor")
    func pattern() throws {
        let pattern = try ModelFileNamePattern("model_{device}_{sensor}")
        #expect(pattern.match("model_pump-7_temp")! == ("pump-7", "temp"))
        #expect(pattern.match("model_pump_7_temp_max")! == ("pump", "7_temp_max"))
        #expect(pattern.match("other_pump_temp") == nil)
        let reversed = try ModelFileNamePattern("{sensor}.{device}")
        #expect(reversed.match("temp.pump-1")! == ("pump-1", "temp"))
        #expect(throws: (any Error).self) { try ModelFileNamePattern("model_{device}") }
    }

    @Test("a folder import reports every file and imports the good ones when others fail")
    func folder() async throws {
        try await ScorerFixture.with { fixture in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-models-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let good = try ScorerFixture.model(featureCount: 2).jsonDocument()
            try good.write(to: folder.appendingPathComponent("model_pump-1_temp.json"), atomically: true, encoding: .utf8)
            try good.write(to: folder.appendingPathComponent("model_pump-2_temp.json"), atomically: true, encoding: .utf8)
            try "{\"format\": \"nope\"}".write(to: folder.appendingPathComponent("model_pump-3_temp.json"), atomically: true, encoding: .utf8)
            try good.write(to: folder.appendingPathComponent("unrelated.json"), atomically: true, encoding: .utf8)
            let result = try await PgScorerProcess.run(
                ["models", "import", folder.path, "--name-pattern", "model_{device}_{sensor}"], database: fixture.database)
            #expect(result.status == 1, "\(result.output)")
            #expect(result.output.contains("imported 2 of 4 file(s)"), "\(result.output)")
            #expect(result.output.contains("failed  \(folder.path)/model_pump-3_temp.json: bad model JSON"))
            #expect(result.output.contains("unrelated.json: the name does not match"))
            let imported = try await fixture.connection.query(
                "SELECT device FROM pgscorer.series JOIN pgscorer.models USING (series_id) WHERE active ORDER BY device")
            #expect(try imported.map { try $0.decode(0) as String } == ["pump-1", "pump-2"])
        }
    }
}

@Suite("Long-layout readings")
struct LongLayoutTests {
    @Test("headers tell the layouts apart, case-insensitively and in any column order")
    func detection() throws {
        let columns = CSVLayout.LongColumns()
        #expect(try CSVLayout.detect(header: ["device", "sensor", "ts", "a", "b"], choice: .auto, longColumns: columns)
            == .wide(featureNames: ["a", "b"]))
        #expect(try CSVLayout.detect(header: ["TS", "Device", "Sensor", "Value"], choice: .auto, longColumns: columns)
            == .long(ts: 0, device: 1, sensor: 2, value: 3))
        #expect(try CSVLayout.detect(header: ["Value", "Sensor", "Timestamp", "Device"], choice: .long, longColumns: columns)
            == .long(ts: 2, device: 3, sensor: 1, value: 0))
        var custom = CSVLayout.LongColumns()
        custom.ts = ["when"]
        custom.value = ["reading_celsius"]
        #expect(try CSVLayout.detect(header: ["machine", "when", "sensor", "reading_celsius", "device"], choice: .long, longColumns: custom)
            == .long(ts: 1, device: 4, sensor: 2, value: 3))
        #expect(throws: CSVLayout.HeaderError.self) { try CSVLayout.detect(header: ["a", "b"], choice: .auto, longColumns: columns) }
        #expect(throws: CSVLayout.HeaderError.self) {
            try CSVLayout.detect(header: ["TS", "Device", "Sensor", "Value"], choice: .wide, longColumns: columns)
        }
    }

    @Test("zoneless timestamps are read in --timezone, daylight saving included")
    func timeZones() throws {
        let berlin = TimestampParser(zonelessTimeZone: TimeZone(identifier: "Europe/Berlin"))
        #expect(try berlin.parse("2026-01-15 12:00:00").description == "2026-01-15T11:00:00.000000Z")
        #expect(try berlin.parse("2026-07-15 12:00:00.5").description == "2026-07-15T10:00:00.500000Z")
        #expect(try berlin.parse("2026-07-15T12:00:00Z").description == "2026-07-15T12:00:00.000000Z", "an explicit zone wins")
    }

    @Test("a long CSV loads as one-feature series, with its pitfalls handled")
    func ingestLong() async throws {
        try await ScorerFixture.with { fixture in
            let file = try temporaryFile(
                "long.csv",
                """
                TS,Device,Sensor,Value
                2026-11-24 10:00:00,pump-1,temp,21.5
                2026-11-24 10:00:00.250,pump-1,vibration,0.8
                2026-11-24 10:05:00,pump-2,temp,22
                2026-11-24T10:10:00+01:00,pump-2,temp,22.5

                """)
            let result = try await PgScorerProcess.run(["ingest", file, "--timezone", "Europe/Berlin"], database: fixture.database)
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("4 readings read, 4 new") && result.output.contains("3 new series"), "\(result.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.series WHERE n_features = 1") == 3)
            let rows = try await fixture.connection.query(
                "SELECT r.ts, r.features FROM pgscorer.readings r JOIN pgscorer.series s USING (series_id) WHERE s.device = 'pump-1' ORDER BY ts")
            #expect(try (rows[0].decode(0) as PostgresTimestamp).description == "2026-11-24T09:00:00.000000Z")
            #expect(try (rows[1].decode(0) as PostgresTimestamp).description == "2026-11-24T09:00:00.250000Z")
            #expect(try rows[1].decode(1) as [Double] == [0.8])
            // Default time zone for the long layout is UTC; a bad value names its line.
            let bad = try temporaryFile("bad-long.csv", "device,sensor,timestamp,value\npump-9,temp,2026-11-24 10:00:00,21\npump-9,temp,2026-11-24 10:05:00,hot\n")
            let refused = try await PgScorerProcess.run(["ingest", bad], database: fixture.database)
            #expect(refused.status != 0 && refused.output.contains("line 3: column value: 'hot' is not a number"), "\(refused.output)")
            let utc = try temporaryFile("utc.csv", "device,sensor,timestamp,value\npump-9,temp,2026-11-24 10:00:00,21\n")
            #expect(try await PgScorerProcess.run(["ingest", utc], database: fixture.database).status == 0)
            let stored: PostgresTimestamp = try await fixture.connection.query(
                "SELECT ts FROM pgscorer.readings JOIN pgscorer.series USING (series_id) WHERE device = 'pump-9'").single().decode(0)
            #expect(stored.description == "2026-11-24T10:00:00.000000Z")
        }
    }
}

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
                ["schedule", "add", "s1", "--every", "5m", "--window", "5m", "--devices", "'; DROP TABLE pgscorer.readings; --"],
                database: fixture.database)
            #expect(schedule.status == 0, "\(schedule.output)")
            let export = try await PgScorerProcess.run(
                ["export", "predictions", "--since", "2026-11-24'); DROP TABLE pgscorer.predictions; --"], database: fixture.database)
            #expect(export.status != 0 && export.output.contains("22007"), "\(export.output)")
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
}

@Suite("Pickle import")
struct PickleImportTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the exporter embedded in pgscorer is exactly tools/export_sklearn.py")
    func embeddedCopy() throws {
        let source = try String(contentsOf: Self.root.appendingPathComponent("tools/export_sklearn.py"), encoding: .utf8)
        #expect(source == EmbeddedExporter.source, "run scripts/embed-exporter after editing tools/export_sklearn.py")
    }

    @Test("a folder of pickles: the scikit-learn 0.19.2 pipeline imports, a pickle that runs code is refused and runs nothing")
    func folderOfPickles() async throws {
        try await ScorerFixture.with { fixture in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-pickles-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            try FileManager.default.copyItem(
                at: Self.root.appendingPathComponent("tools/fixtures/legacy-sklearn/pipeline_scaler_ocsvm_sklearn-0.19.2.pkl"),
                to: folder.appendingPathComponent("model_pump-1_temp.pkl"))
            let marker = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-ran-\(UUID().uuidString)")
            // Protocol-0 pickle of os.system("touch MARKER").
            try Data("cposix\nsystem\n(S'touch \(marker.path)'\ntR.".utf8).write(to: folder.appendingPathComponent("model_pump-2_temp.pkl"))
            let result = try await PgScorerProcess.run(
                ["models", "import", folder.path, "--name-pattern", "model_{device}_{sensor}"], database: fixture.database)
            #expect(result.status == 1, "\(result.output)")
            #expect(result.output.contains("imported 1 of 2 file(s)"), "\(result.output)")
            #expect(result.output.contains("refusing to load posix.system"), "\(result.output)")
            #expect(!FileManager.default.fileExists(atPath: marker.path), "the pickle's code ran")
            let model = try await fixture.connection.query(
                "SELECT m.source, m.params ->> 'sklearn_version', m.n_support FROM pgscorer.models m JOIN pgscorer.series s USING (series_id) WHERE s.device = 'pump-1'"
            ).single()
            #expect(try model.decode(0) as String == "sklearn")
            #expect(try model.decode(1) as String == "0.19.2")
            #expect(try model.decode(2) as Int == 2)
        }
    }
}
