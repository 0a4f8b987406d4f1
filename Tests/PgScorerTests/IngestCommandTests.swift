import Foundation
import Kernels
import Migrations
import PgClient
import PgScorer
import TestSupport
import Testing

@Suite("Ingest command")
struct IngestCommandTests {
    static let header = "device,sensor,ts,mean,max\n"

    @Test("ingest loads a file once; the same file again adds nothing")
    func ingestIsIdempotent() async throws {
        try await ScorerFixture.with { fixture in
            let file = try temporaryFile(
                "readings.csv",
                IngestCommandTests.header + (0..<50).map { "pump-1,temp,2026-11-24T00:\(String(format: "%02d", $0)):00Z,\(Double($0) / 10),\(Double($0) / 5)" }
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
            #expect(shifted.description == "2026-11-23T23:00:00Z")
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
                "bad.csv", IngestCommandTests.header + "pump-1,temp,2026-11-24T00:01:00Z,1,2\npump-1,temp,2026-11-24T00:02:00Z,1,2\n" + line
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
                IngestCommandTests.header + "pump-1,temp,2026-11-24T00:01:00Z,1,2\npump-1,temp,2026-11-24T00:02:00Z,x,2\n"
                    + "pump-1,temp,2026-11-24T00:03:00Z,1,2\npump-1,temp,2026-11-24T00:04:00Z,1\n")
            let result = try await PgScorerProcess.run(["ingest", file, "--skip-bad"], database: fixture.database)
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("2 readings read, 2 new") && result.output.contains("2 rejected"), "\(result.output)")
            let rejects = try String(contentsOfFile: file + ".rejects.csv", encoding: .utf8)
            #expect(rejects.contains("3,column mean: 'x' is not a number,"))
            #expect(rejects.contains("5,\"expected 5 columns, found 4\""))
        }
    }

    @Test("a feature count that differs from the series' is refused, naming the line")
    func featureCountMismatch() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.loadReadings(
                device: "pump-1", sensor: "temp", start: .utc("2026-11-20T00:00:00Z"), count: 3, featureCount: 3)
            let file = try temporaryFile("two.csv", IngestCommandTests.header + "pump-1,temp,2026-11-24T00:01:00Z,1,2\n")
            let result = try await PgScorerProcess.run(["ingest", file], database: fixture.database)
            #expect(result.status != 0)
            #expect(result.output.contains("line 2") && result.output.contains("pump-1/temp has 3 features per reading, but this line has 2"), "\(result.output)")
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
        #expect(try berlin.parse("2026-01-15 12:00:00").description == "2026-01-15T11:00:00Z")
        #expect(try berlin.parse("2026-07-15 12:00:00.5").description == "2026-07-15T10:00:00.500Z")
        #expect(try berlin.parse("2026-07-15T12:00:00Z").description == "2026-07-15T12:00:00Z", "an explicit zone wins")
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
            #expect(try (rows[0].decode(0) as PostgresTimestamp).description == "2026-11-24T09:00:00Z")
            #expect(try (rows[1].decode(0) as PostgresTimestamp).description == "2026-11-24T09:00:00.250Z")
            #expect(try rows[1].decode(1) as [Double] == [0.8])
            // Default time zone for the long layout is UTC; a bad value names its line.
            let bad = try temporaryFile("bad-long.csv", "device,sensor,timestamp,value\npump-9,temp,2026-11-24 10:00:00,21\npump-9,temp,2026-11-24 10:05:00,hot\n")
            let refused = try await PgScorerProcess.run(["ingest", bad], database: fixture.database)
            #expect(refused.status != 0 && refused.output.contains("line 3: column value: 'hot' is not a number"), "\(refused.output)")
            let utc = try temporaryFile("utc.csv", "device,sensor,timestamp,value\npump-9,temp,2026-11-24 10:00:00,21\n")
            #expect(try await PgScorerProcess.run(["ingest", utc], database: fixture.database).status == 0)
            let stored: PostgresTimestamp = try await fixture.connection.query(
                "SELECT ts FROM pgscorer.readings JOIN pgscorer.series USING (series_id) WHERE device = 'pump-9'").single().decode(0)
            #expect(stored.description == "2026-11-24T10:00:00Z")
        }
    }
}


@Suite("Real data files")
struct RealDataTests {
    @Test("a file of one series: timestamp,value with --device/--sensor, header or not, epoch seconds or milliseconds, any delimiter")
    func oneSeries() async throws {
        try await ScorerFixture.with { fixture in
            let withHeader = try temporaryFile("nyc_taxi.csv", "timestamp,value\n2014-07-01 00:00:00,10844\n2014-07-01 00:30:00,8127\n")
            let a = try await PgScorerProcess.run(["ingest", withHeader, "--device", "nyc", "--sensor", "taxi"], database: fixture.database)
            #expect(a.status == 0 && a.output.contains("2 readings read, 2 new"), "\(a.output)")
            let headerless = try temporaryFile("plain.csv", "2014-07-01T01:00:00Z,7\n2014-07-01t01:30:00z,8\n")
            let h = try await PgScorerProcess.run(["ingest", headerless, "--device", "nyc", "--sensor", "taxi"], database: fixture.database)
            #expect(h.status == 0 && h.output.contains("2 readings read, 2 new"), "a first line that is a reading is no header: \(h.output)")
            try await fixture.connection.execute(
                "DELETE FROM pgscorer.readings WHERE series_id = (SELECT series_id FROM pgscorer.series WHERE device = 'nyc') AND ts >= '2014-07-01T01:00:00Z'")
            let epochSeconds = try temporaryFile("s.csv", "1404172800;1.5;2\n1404174600;1.6;2.1\n")
            let b = try await PgScorerProcess.run(
                ["ingest", epochSeconds, "--device", "pump-9", "--sensor", "temp", "--delimiter", ";"], database: fixture.database)
            #expect(b.status == 0 && b.output.contains("2 readings read, 2 new"), "\(b.output)")
            let epochMillis = try temporaryFile("ms.tsv", "time\tv\n1404172800000\t3\n1404174600500\t4\n")
            let c = try await PgScorerProcess.run(
                ["ingest", epochMillis, "--device", "pump-9", "--sensor", "rpm", "--delimiter", "tab"], database: fixture.database)
            #expect(c.status == 0 && c.output.contains("2 readings read, 2 new"), "\(c.output)")
            let stored = try await fixture.connection.query(
                """
                SELECT s.device || '/' || s.sensor, r.ts, r.features FROM pgscorer.readings r JOIN pgscorer.series s USING (series_id)
                ORDER BY 1, 2
                """)
            let described = try stored.map { "\(try $0.decode(0) as String) \(try $0.decode(1) as PostgresTimestamp) \(try $0.decode(2) as [Double])" }
            #expect(described == [
                "nyc/taxi 2014-07-01T00:00:00Z [10844.0]", "nyc/taxi 2014-07-01T00:30:00Z [8127.0]",
                "pump-9/rpm 2014-07-01T00:00:00Z [3.0]", "pump-9/rpm 2014-07-01T00:30:00.500Z [4.0]",
                "pump-9/temp 2014-07-01T00:00:00Z [1.5, 2.0]", "pump-9/temp 2014-07-01T00:30:00Z [1.6, 2.1]",
            ])
        }
    }

    @Test("a different value for a stored or repeated (series, time) stops the load with both lines; keep and replace settle it; the same value is never a conflict")
    func conflicts() async throws {
        try await ScorerFixture.with { fixture in
            let original = try temporaryFile("a.csv", "timestamp,value\n2026-11-24T00:00:00Z,1\n2026-11-24T00:01:00Z,2\n")
            #expect(try await PgScorerProcess.run(["ingest", original, "--device", "d", "--sensor", "s"], database: fixture.database).status == 0)
            let again = try await PgScorerProcess.run(["ingest", original, "--device", "d", "--sensor", "s"], database: fixture.database)
            #expect(again.status == 0 && again.output.contains("2 readings read, 0 new, 2 already stored"), "\(again.output)")

            let changed = try temporaryFile("b.csv", "timestamp,value\n2026-11-24T00:01:00Z,2.5\n2026-11-24T00:02:00Z,3\n")
            let refused = try await PgScorerProcess.run(["ingest", changed, "--device", "d", "--sensor", "s"], database: fixture.database)
            #expect(refused.status == 1, "\(refused.output)")
            #expect(refused.output.contains("line 2: d/s at 2026-11-24T00:01:00Z is stored as {2} but this line gives {2.5}"), "\(refused.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 2, "nothing of the refused file was stored")
            let kept = try await PgScorerProcess.run(
                ["ingest", changed, "--device", "d", "--sensor", "s", "--on-conflict", "keep"], database: fixture.database)
            #expect(kept.status == 0 && kept.output.contains("1 new") && kept.output.contains("1 conflicting kept as stored"), "\(kept.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings WHERE features = '{2}'") == 1)
            let replaced = try await PgScorerProcess.run(
                ["ingest", changed, "--device", "d", "--sensor", "s", "--on-conflict", "replace"], database: fixture.database)
            #expect(replaced.status == 0 && replaced.output.contains("1 conflicting replaced"), "\(replaced.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings WHERE features = '{2.5}'") == 1)

            // Two values for one time within a file: both lines named; the same value twice is only counted.
            let twice = try temporaryFile("c.csv", "timestamp,value\n2026-11-25T00:00:00Z,7\n2026-11-25T00:01:00Z,8\n2026-11-25T00:00:00Z,7\n2026-11-25T00:00:00Z,9\n")
            let clash = try await PgScorerProcess.run(["ingest", twice, "--device", "e", "--sensor", "s"], database: fixture.database)
            #expect(clash.status == 1 && clash.output.contains("lines 2 and 5 give e/s at 2026-11-25T00:00:00Z two different values, {7} and {9}"), "\(clash.output)")
            let last = try await PgScorerProcess.run(
                ["ingest", twice, "--device", "e", "--sensor", "s", "--on-conflict", "replace"], database: fixture.database)
            #expect(last.status == 0 && last.output.contains("4 readings read, 2 new") && last.output.contains("2 repeated in the file"), "\(last.output)")
            #expect(try await fixture.count(
                "SELECT count(*) FROM pgscorer.readings JOIN pgscorer.series USING (series_id) WHERE device = 'e' AND features = '{9}'") == 1)
        }
    }

    @Test("zoneless local times in a daylight-saving gap or repeated hour are refused; the rest resolve as PostgreSQL resolves them", arguments: [
        "Europe/Berlin", "America/New_York",
    ])
    func daylightSaving(zone: String) async throws {
        try await ScorerFixture.with { fixture in
            let parser = TimestampParser(zonelessTimeZone: TimeZone(identifier: zone))
            // Every 10 minutes across both of 2026's changes, and a plain winter and summer day.
            let days = ["2026-03-08", "2026-03-29", "2026-11-01", "2026-10-25", "2026-01-15", "2026-07-15"]
            var refused: [String] = []
            for day in days {
                for minute in stride(from: 0, to: 24 * 60, by: 10) {
                    let text = String(format: "%@ %02d:%02d:00", day, minute / 60, minute % 60)
                    do {
                        let ours = try parser.parse(Substring(text))
                        let theirs: PostgresTimestamp = try await fixture.connection.query(
                            "SELECT $1::timestamp AT TIME ZONE $2", text, zone).single().decode(0)
                        #expect(ours == theirs, "\(text) in \(zone): \(ours) vs PostgreSQL \(theirs)")
                    } catch {
                        refused.append(text)
                    }
                }
            }
            // Exactly the gap hour and the repeated hour of the zone's own change days.
            let (spring, fall) = zone == "Europe/Berlin" ? ("2026-03-29 02:", "2026-10-25 02:") : ("2026-03-08 02:", "2026-11-01 01:")
            #expect(refused.count == 12 && refused.allSatisfy { $0.hasPrefix(spring) || $0.hasPrefix(fall) }, "\(refused)")

            let file = try temporaryFile("dst.csv", "timestamp,value\n\(spring)30:00,1\n\(fall)30:00,2\n2026-07-15 12:00:00,3\n")
            let result = try await PgScorerProcess.run(
                ["ingest", file, "--device", "d", "--sensor", "s", "--timezone", zone, "--skip-bad"], database: fixture.database)
            #expect(result.status == 0 && result.output.contains("1 new") && result.output.contains("2 rejected"), "\(result.output)")
            let report = try String(contentsOfFile: file + ".rejects.csv", encoding: .utf8)
            #expect(report.contains("does not exist in \(zone)") && report.contains("happens twice in \(zone)"), "\(report)")
        }
    }
}

@Suite("Number parsing")
struct NumberParsingTests {
    @Test("the fast decimal reader gives exactly what Double(_:) gives, on random and awkward numbers")
    func fastDecimals() {
        var generator = SeededGenerator(seed: 11)
        var texts = ["0", "-0", "12.", ".5", "-.25", "+3.5", "007.100", "123456789012345", "1234567890123456", "0.1", "0.3",
                     "9007199254740993", "1e5", "-2.5E-3", "inf", "nan", "", ".", "-", "1.2.3", "12a", "0.000000000000000001"]
        for _ in 0..<20_000 {
            let digits = Int.random(in: 1...15, using: &generator)
            let mantissa = String(UInt64.random(in: 0..<UInt64(pow(10, Double(digits))), using: &generator))
            let point = Int.random(in: 0...mantissa.count, using: &generator)
            var text = mantissa
            text.insert(".", at: text.index(text.startIndex, offsetBy: point))
            texts.append(Bool.random(using: &generator) ? "-" + text : text)
        }
        for text in texts {
            let ours = CSVReadings.number(Substring(text))
            let theirs = Double(text)
            #expect(ours?.bitPattern == theirs?.bitPattern || (ours?.isNaN == true && theirs?.isNaN == true), "\(text): \(String(describing: ours)) vs \(String(describing: theirs))")
        }
    }
}

@Suite("Ingest progress")
struct IngestProgressTests {
    @Test("a load reports its progress: rows, bytes read of the file's size, growing")
    func progress() async throws {
        try await ScorerFixture.with { fixture in
            var text = "timestamp,value\n"
            for minute in 0..<45_000 { text += "\(1_795_000_000 + minute * 60),\(minute % 97)\n" }
            let file = try temporaryFile("progress.csv", text)
            var ingest = CSVIngest()
            ingest.options.device = "d"
            ingest.options.sensor = "s"
            let reports = ProgressLog()
            let result = try await ingest.load(path: file, into: ReadingStore(connection: fixture.connection)) { reports.add($0) }
            #expect(result.summary.inserted == 45_000)
            let seen = reports.all
            #expect(seen.map(\.rows) == [20_000, 40_000], "\(seen.map(\.rows))")
            #expect(seen.allSatisfy { $0.totalBytes == text.utf8.count && $0.bytesRead <= text.utf8.count })
            #expect(seen[0].bytesRead <= seen[1].bytesRead)
        }
    }

    final class ProgressLog: @unchecked Sendable {
        var all: [CSVIngest.Progress] = []
        func add(_ progress: CSVIngest.Progress) { all.append(progress) }
    }

    @Test("ingest says which layout it read and which column is which; a misspelled column is named with the nearest one")
    func understood() async throws {
        try await ScorerFixture.with { fixture in
            let long = try temporaryFile("long.csv", "TS,Device,Sensor,Value\n2026-11-24T00:00:00Z,pump-1,temp,1\n")
            let longRun = try await PgScorerProcess.run(["ingest", long], database: fixture.database)
            #expect(longRun.output.contains("read as the long layout, one feature per reading: ts ← TS, device ← Device, sensor ← Sensor, value ← Value"), "\(longRun.output)")
            let wide = try temporaryFile("wide.csv", IngestCommandTests.header + "pump-2,temp,2026-11-24T00:00:00Z,1,2\n")
            let wideRun = try await PgScorerProcess.run(["ingest", wide], database: fixture.database)
            #expect(wideRun.output.contains("read as the wide layout: device, sensor, ts, then 2 feature(s) per reading: mean, max"), "\(wideRun.output)")
            let single = try temporaryFile("single.csv", "2026-11-24T00:00:00Z,1\n")
            let singleRun = try await PgScorerProcess.run(["ingest", single, "--device", "nyc", "--sensor", "taxi", "--format", "json"], database: fixture.database)
            #expect(singleRun.output.contains("\"layout\" : \"one series nyc/taxi: a timestamp and 1 value(s) per line, no header line\""), "\(singleRun.output)")

            let misspelled = try temporaryFile("misspelled.csv", "TS,Device,Sensr,Value\n2026-11-24T00:00:00Z,pump-1,temp,1\n")
            let refused = try await PgScorerProcess.run(["ingest", misspelled], database: fixture.database)
            #expect(refused.status == 1 && refused.output.contains("no sensor column in the header TS,Device,Sensr,Value"), "\(refused.output)")
            #expect(refused.output.contains("the nearest is 'Sensr': if it is the sensor, say --sensor-col 'Sensr'"), "\(refused.output)")
            #expect(!refused.output.contains("wide layout"), "one problem, not the list of every layout: \(refused.output)")
            let named = try await PgScorerProcess.run(["ingest", misspelled, "--sensor-col", "Sensr"], database: fixture.database)
            #expect(named.status == 0, "\(named.output)")
        }
    }
}
