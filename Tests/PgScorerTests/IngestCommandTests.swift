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
            #expect(result.output.contains("line 2") && result.output.contains("has 2 features, but the series has 3"), "\(result.output)")
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

