import Foundation
import PgClient
import TestSupport
import Testing

@Suite("PgClient type round-trips")
struct PostgresTypesTests {
    /// Sends `value` as a parameter, casts it server-side to `sqlType`, decodes it back.
    func roundTrip<T: PostgresEncodable & PostgresDecodable>(
        _ value: T, as sqlType: String, on connection: PostgresConnection
    ) async throws -> T {
        try await connection.query(PostgresQuery(SQLText(unsafeSQL: "SELECT $1::\(sqlType)"), [value])).single().decode(0)
    }

    @Test("integers, floats and booleans survive a round trip, extremes included")
    func scalars() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            #expect(try await roundTrip(Int16.min, as: "int2", on: connection) == Int16.min)
            #expect(try await roundTrip(Int32.max, as: "int4", on: connection) == Int32.max)
            #expect(try await roundTrip(Int.min, as: "int8", on: connection) == Int.min)
            #expect(try await roundTrip(Float(3.25), as: "float4", on: connection) == 3.25)
            #expect(try await roundTrip(-1.0e-300, as: "float8", on: connection) == -1.0e-300)
            #expect(try await roundTrip(Double.infinity, as: "float8", on: connection) == .infinity)
            #expect(try await roundTrip(true, as: "bool", on: connection) == true)
            #expect(try await roundTrip(false, as: "bool", on: connection) == false)
            // Narrower server types widen into Int.
            let widened: Int = try await connection.query("SELECT 7::int2").single().decode(0)
            #expect(widened == 7)
        }
    }

    @Test("text keeps non-ASCII characters and bytea keeps zero bytes")
    func textAndBytes() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            let text = "Zürich · 温度 · 🌡️ · ''; DROP TABLE x; --"
            #expect(try await roundTrip(text, as: "text", on: connection) == text)
            #expect(try await roundTrip("", as: "text", on: connection) == "")
            let bytes = PostgresBytes([0, 1, 0, 255, 0, 0])
            #expect(try await roundTrip(bytes, as: "bytea", on: connection) == bytes)
            #expect(try await roundTrip(PostgresBytes([]), as: "bytea", on: connection) == PostgresBytes([]))
            let length: Int = try await connection.query("SELECT length($1::bytea)", bytes).single().decode(0)
            #expect(length == 6)
        }
    }

    @Test("timestamptz is exact to the microsecond; interval, jsonb, uuid and numeric decode")
    func temporalAndStructured() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            let timestamp = PostgresTimestamp(microsecondsSince2000: 848_356_496_123_457)
            #expect(try await roundTrip(timestamp, as: "timestamptz", on: connection) == timestamp)
            let fromServer: PostgresTimestamp = try await connection.query(
                "SELECT '2026-11-18 22:34:56.123457+00'::timestamptz"
            ).single().decode(0)
            #expect(fromServer == timestamp)
            #expect(timestamp.description == "2026-11-18T22:34:56.123457Z")

            let date = Date(timeIntervalSince1970: 1_700_000_000.25)
            #expect(try await roundTrip(date, as: "timestamptz", on: connection) == date)

            let interval: PostgresInterval = try await connection.query("SELECT '1 year 2 mons 3 days 04:05:06.5'::interval")
                .single().decode(0)
            #expect(interval == PostgresInterval(months: 14, days: 3, microseconds: 14_706_500_000))
            let intervalText: String = try await connection.query("SELECT interval '5 minutes'").single().decode(0)
            #expect(intervalText == "00:05:00")
            #expect(try await roundTrip(interval, as: "interval", on: connection) == interval)

            let json = PostgresJSONB(#"{"gamma": 0.5, "kernel": "rbf"}"#)
            let decodedJSON: String = try await connection.query("SELECT $1::jsonb ->> 'kernel'", json).single().decode(0)
            #expect(decodedJSON == "rbf")
            let jsonText: String = try await connection.query("SELECT '{\"a\": [1, 2]}'::jsonb").single().decode(0)
            #expect(jsonText == #"{"a": [1, 2]}"#)

            let uuid = UUID()
            #expect(try await roundTrip(uuid, as: "uuid", on: connection) == uuid)

            let numeric: String = try await connection.query("SELECT -12345.006700::numeric").single().decode(0)
            #expect(numeric == "-12345.006700")
            let small: Double = try await connection.query("SELECT 0.000123::numeric").single().decode(0)
            #expect(small == 0.000123)
        }
    }

    @Test("float8[] round-trips empty, large and special values; NULL elements are refused")
    func float8Arrays() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            let values: [Double] = [0, -0.5, .infinity, -.infinity, 1e-308, .greatestFiniteMagnitude]
            #expect(try await roundTrip(values, as: "float8[]", on: connection) == values)
            #expect(try await roundTrip([Double](), as: "float8[]", on: connection) == [])
            let large = (0..<100_000).map { Double($0) * 0.001 }
            #expect(try await roundTrip(large, as: "float8[]", on: connection) == large)
            let nan: [Double] = try await connection.query("SELECT ARRAY['NaN'::float8]").single().decode(0)
            #expect(nan.count == 1 && nan[0].isNaN)
            #expect(try await roundTrip([1, 2, 3] as [Int], as: "int8[]", on: connection) == [1, 2, 3])
            #expect(try await roundTrip(["a", "ü"], as: "text[]", on: connection) == ["a", "ü"])
            let sum: Double = try await connection.query("SELECT sum(x) FROM unnest($1::float8[]) x", [1.5, 2.5]).single().decode(0)
            #expect(sum == 4)

            let error = await #expect(throws: PostgresError.self) {
                let _: [Double] = try await connection.query("SELECT ARRAY[1.0, NULL]::float8[]").single().decode(0)
            }
            #expect(error?.code == .decoding)
            #expect(error?.message.contains("NULL") == true)
        }
    }

    @Test("NULL decodes as nil for optionals and is a clear error otherwise")
    func nulls() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            let row = try await connection.query("SELECT NULL::int8 AS missing, NULL::float8[] AS features").single()
            let missing: Int? = try row.decode("missing")
            let features: [Double]? = try row.decode("features")
            #expect(missing == nil && features == nil)
            #expect(row.isNull(0))
            let nullParameter: Int? = nil
            let echoed: Int? = try await connection.query("SELECT $1::int8", nullParameter).single().decode(0)
            #expect(echoed == nil)
            let error = #expect(throws: PostgresError.self) {
                let _: Int = try row.decode("missing")
            }
            #expect(error?.message.contains("\"missing\" is NULL") == true)
        }
    }

    @Test("decoding a column as the wrong type names the column and both types")
    func wrongType() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            let row = try await connection.query("SELECT 'hello'::text AS greeting, 1.5::float8 AS ratio").single()
            let error = #expect(throws: PostgresError.self) {
                let _: Int = try row.decode("greeting")
            }
            #expect(error?.code == .decoding)
            #expect(error?.message.contains("greeting") == true)
            #expect(error?.message.contains("text") == true)
            #expect(throws: PostgresError.self) { let _: Bool = try row.decode(1) }
            #expect(throws: PostgresError.self) { let _: Int = try row.decode(7) }
            #expect(throws: PostgresError.self) { let _: Int = try row.decode("nope") }
        }
    }
}

@Suite("PgClient parameters")
struct PostgresParameterTests {
    @Test("adjacent text parameters stay separate values")
    func adjacentTextParameters() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            let row = try await connection.query("SELECT $1::text, $2::text, $3::text, $4::int8", "abc", "", "def", 5).single()
            #expect(try row.decode(0) as String == "abc")
            #expect(try row.decode(1) as String == "")
            #expect(try row.decode(2) as String == "def")
            #expect(try row.decode(3) as Int == 5)
        }
    }
}
