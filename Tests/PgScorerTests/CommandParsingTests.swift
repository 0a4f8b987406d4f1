import ArgumentParser
import Foundation
import PgClient
import TestSupport
import PgScorer
import PgScorerCLI
import Testing

@Suite("Command-line parsing")
struct CommandParsingTests {
    @Test("every subcommand parses its documented flags", arguments: [
        ["demo", "--device-count", "3", "--sensor-count", "2", "--hours", "24", "--workers", "2", "--seed", "7", "--keep-schedule"],
        ["migrate"], ["ingest", "readings.csv", "--skip-bad"], ["ingest", "-"],
        ["models", "import", "m.json", "--device", "d", "--sensor", "s", "--no-activate"], ["models", "list", "--active"],
        ["models", "show", "3"], ["models", "export", "3", "-o", "out.json"], ["models", "activate", "3"],
        ["train", "--kernel", "rbf", "--nu", "0.05", "--gamma", "0.5", "--scaler", "standard", "--device", "pump-*"],
        ["schedule", "add", "fleet", "--cron", "*/5 * * * *", "--window", "5m", "--device", "pump-*", "--catch-up", "3"],
        ["schedule", "add", "fleet", "--every", "30s", "--window", "1h"], ["schedule", "list"], ["schedule", "disable", "fleet"],
        ["enqueue", "--since", "2026-11-24T00:00:00Z", "--until", "2026-11-25T00:00:00Z"],
        ["worker", "--concurrency", "4", "--batch", "16", "--lease", "2m", "--poll", "250ms", "--no-scheduler", "--exit-when-idle"],
        ["worker", "--max-jobs", "1000"], ["worker", "--batch", "auto"],
        ["status", "--json"], ["report", "--since", "2026-11-24", "--format", "csv"],
        ["export", "predictions", "--since", "2026-11-24"], ["db", "status"], ["db", "stop"],
    ])
    func parses(arguments: [String]) throws {
        _ = try PgScorerCommand.parseAsRoot(arguments)
    }

    @Test("bad arguments are refused with a message naming the flag", arguments: [
        (["schedule", "add", "x", "--window", "5m"], "exactly one of --cron, --every and --on-close"),
        (["schedule", "add", "x", "--every", "soon", "--window", "5m"], "--every"),
        (["worker", "--batch", "0"], "--batch must be auto or a number from 1 to 1000"),
        (["worker", "--batch", "1001"], "--batch must be auto or a number from 1 to 1000"),
        (["worker", "--batch", "lots"], "--batch"),
        (["worker", "--max-jobs", "0"], "--max-jobs"),
        (["worker", "--lease", "soon"], "lease"),
        (["train", "--nu", "1.5"], "--nu"),
        (["train", "--gamma", "-1"], "--gamma"),
        (["train", "--kernel", "laplacian"], "--kernel"),
        (["demo", "--sensor-count", "9"], "--sensor-count"),
        (["export", "predictions", "--since", "2026-01-01", "--format", "parquet"], "--format parquet: use csv, or jsonl"),
    ] as [([String], String)])
    func refuses(arguments: [String], message: String) {
        do {
            _ = try PgScorerCommand.parseAsRoot(arguments)
            Issue.record("\(arguments) should be refused")
        } catch {
            #expect(PgScorerCommand.message(for: error).contains(message), "\(PgScorerCommand.message(for: error))")
        }
    }

    @Test("durations parse as the flags document, compound and in words, and print as typed", arguments: [
        ("500ms", Duration.milliseconds(500), "500ms"), ("5m", .seconds(300), "5m"), ("1.5h", .seconds(5400), "1h30m"),
        ("2d", .seconds(172_800), "2d"), ("1h30m", .seconds(5400), "1h30m"), ("1 hour", .seconds(3600), "1h"),
        ("5 minutes", .seconds(300), "5m"), ("5min", .seconds(300), "5m"), ("1 day 2 hours", .seconds(93_600), "1d2h"),
    ])
    func durations(text: String, duration: Duration, printed: String) {
        #expect(DurationText.parse(text) == duration)
        #expect(DurationText.format(duration) == printed)
    }

    @Test("--help prints duration defaults the way the flags take them")
    func helpDefaults() async throws {
        let (status, help) = try await PgScorerProcess(["worker", "--help"], environment: ProcessInfo.processInfo.environment).finish()
        #expect(status == 0)
        #expect(help.contains("(default: 1m)") && help.contains("(default: 30s)") && help.contains("(default: 5s)"), "\(help)")
        #expect(!help.contains("seconds)"), "\(help)")
    }

    @Test("text that is not a duration is refused", arguments: ["5", "-1s", "soon", "5 parsecs", "", "m"])
    func notDurations(text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test("time bounds: ISO 8601 (zoneless is UTC), dates, now and durations ago; a backwards range is refused")
    func timeBounds() throws {
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        #expect(try TimeRange.parseBound("2026-11-24", option: "--since", now: now).description == "2026-11-24T00:00:00Z")
        #expect(try TimeRange.parseBound("2026-11-24 13:05", option: "--since", now: now).description == "2026-11-24T13:05:00Z")
        #expect(try TimeRange.parseBound("2026-11-24T13:05:00+01:00", option: "--since", now: now).description == "2026-11-24T12:05:00Z")
        #expect(try TimeRange.parseBound("now", option: "--until", now: now) == PostgresTimestamp(now))
        #expect(try TimeRange.parseBound("6h", option: "--since", now: now) == PostgresTimestamp(now.addingTimeInterval(-6 * 3600)))
        #expect(throws: PgScorerError.self) { try TimeRange.parseBound("banana", option: "--since", now: now) }
        #expect(throws: PgScorerError.self) { try TimeRange(since: "2026-11-25", until: "2026-11-24", now: now) }
    }

    @Test("timestamps: ISO 8601 with a zone; none, or out of range, is refused", arguments: [
        ("2026-11-24T13:05:00Z", "2026-11-24T13:05:00Z"), ("2026-11-24 13:05:00.25+01:00", "2026-11-24T12:05:00.250Z"),
        ("2024-02-29T00:00Z", "2024-02-29T00:00:00Z"), ("2026-11-24T13:05:00.1234567-0530", "2026-11-24T18:35:00.123456Z"),
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


@Suite("Series selection")
struct SeriesSelectionTests {
    @Test("names are exact; * and % are patterns; _ is an underscore", arguments: [
        ("pump_1", "pump\\_1"), ("pump-*", "pump-%"), ("pump-%", "pump-%"), ("a\\b", "a\\\\b"), ("*", "%"),
    ])
    func likePatterns(typed: String, pattern: String) {
        #expect(SeriesSelector.likePattern(typed) == pattern)
        #expect(SeriesSelector.likePattern(nil) == "%")
    }

    @Test("--device selects the same way in every command, and a selector matching nothing says so")
    func selection() async throws {
        try await ScorerFixture.with { fixture in
            for device in ["pump_1", "pumpX1", "fan-1"] { try await fixture.addModel(device: device, sensor: "temp", featureCount: 2) }
            let exact = try await PgScorerProcess.run(["models", "list", "--device", "pump_1", "--format", "csv"], database: fixture.database)
            #expect(exact.output.contains("pump_1") && !exact.output.contains("pumpX1"), "\(exact.output)")
            let pattern = try await PgScorerProcess.run(["models", "list", "--device", "pump*", "--format", "csv"], database: fixture.database)
            #expect(pattern.output.contains("pump_1") && pattern.output.contains("pumpX1") && !pattern.output.contains("fan-1"), "\(pattern.output)")
            let enqueue = try await PgScorerProcess.run(
                ["enqueue", "--since", "2026-11-24", "--until", "2026-11-25", "--device", "pump_1"], database: fixture.database)
            #expect(enqueue.status == 0 && enqueue.output.contains("queued 1 job(s)"), "\(enqueue.output)")
            for arguments in [
                ["train", "--device", "nope"], ["enqueue", "--since", "2026-11-24", "--until", "2026-11-25", "--device", "nope"],
                ["export", "predictions", "--since", "2026-11-24", "--device", "nope"],
            ] {
                let result = try await PgScorerProcess.run(arguments, database: fixture.database)
                #expect(result.status == 1 && result.output.contains("no series matches --device nope"), "\(arguments): \(result.output)")
            }
            let none = try await PgScorerProcess.run(["models", "list", "--device", "nope"], database: fixture.database)
            #expect(none.status == 0 && none.output.contains("no model version matches --device nope"), "\(none.output)")
            let backwards = try await PgScorerProcess.run(
                ["train", "--since", "2026-11-25", "--until", "2026-11-24"], database: fixture.database)
            #expect(backwards.status == 64 && backwards.output.contains("must be after"), "a usage mistake: \(backwards.output)")
            let banana = try await PgScorerProcess.run(["train", "--since", "banana"], database: fixture.database)
            #expect(banana.status == 64 && banana.output.contains("--since 'banana' is not a time"), "a usage mistake: \(banana.output)")
        }
    }
}

@Suite("CPU check")
struct CPUCheckTests {
    @Test("a CPU without AVX2/FMA gets a message naming the generic build, not an illegal instruction")
    func olderCPU() async throws {
        let old = try temporaryFile("cpuinfo", "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) CPU E5-2670 0 @ 2.60GHz\nflags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx\n")
        var environment = ProcessInfo.processInfo.environment
        environment["PGSCORER_CPUINFO"] = old
        let refused = try await PgScorerProcess(["status"], environment: environment).finish()
        #if arch(x86_64)
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.output.contains("this CPU lacks avx2 and fma") && refused.output.contains("PGSCORER_TARGET_CPU=generic"), "\(refused.output)")
        #endif
        let capable = try temporaryFile("cpuinfo", "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma bmi2\n")
        environment["PGSCORER_CPUINFO"] = capable
        environment["DATABASE_URL"] = "host=/nonexistent port=1 connect_timeout=1"
        let passed = try await PgScorerProcess(["status"], environment: environment).finish()
        #expect(!passed.output.contains("this CPU lacks"), "\(passed.output)")
    }
}
