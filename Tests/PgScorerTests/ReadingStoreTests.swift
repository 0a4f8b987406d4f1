import Foundation
import PgClient
import PgScorer
import TestSupport
import Testing

@Suite("Reading store")
struct ReadingStoreTests {
    @Test("many new series over several blocks: each found or created once, every reading stored once, a second load adds nothing")
    func manySeriesInBlocks() async throws {
        try await ScorerFixture.with { fixture in
            // 2,500 series × 48 readings, interleaved as a wide file of a fleet is: 120,000
            // readings, three blocks, each naming series the previous ones did not.
            var readings: [ParsedReading] = []
            let start = PostgresTimestamp.utc("2026-11-30T20:00:00Z")  // the load crosses into December
            for minute in 0..<48 {
                for series in 0..<2_500 {
                    readings.append(ParsedReading(
                        device: "pump-\(series / 5)", sensor: "s\(series % 5)",
                        ts: PostgresTimestamp(unixMicroseconds: start.unixMicroseconds + Int64(minute) * 300_000_000),
                        features: [Double(series), Double(minute)], line: readings.count + 2))
                }
            }
            #expect(readings.count > 2 * ReadingStore.blockSize)
            let store = ReadingStore(connection: fixture.connection)
            let first = try await store.load(readings)
            #expect(first.inserted == 120_000 && first.newSeries == 2_500, "\(first)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.series") == 2_500)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 120_000)
            #expect(try await fixture.count(
                "SELECT count(*) FROM pgscorer.readings r JOIN pgscorer.series s USING (series_id) WHERE r.features[1] <> (substr(s.device, 6)::int * 5 + substr(s.sensor, 2)::int)") == 0,
                "every reading in its own series")
            let again = try await store.load(readings)
            #expect(again.inserted == 0 && again.alreadyStored == 120_000 && again.newSeries == 0, "\(again)")
        }
    }
    @Test("readings written by SQL: a series that does not exist or a different feature count is refused by name; a writing transaction keeps its series")
    func readingsCheckedAgainstTheirSeries() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.loadReadings(device: "pump-1", sensor: "temp", start: .utc("2026-12-01T00:00:00Z"), count: 3, featureCount: 2)
            let seriesID = try await fixture.count("SELECT series_id FROM pgscorer.series")
            func refusal(_ sql: SQLText) async -> PostgresError? {
                do {
                    _ = try await fixture.connection.execute(sql)
                    return nil
                } catch { return error as? PostgresError }
            }
            let missing = await refusal(
                "INSERT INTO pgscorer.readings (series_id, ts, n_features, features) VALUES (999999, '2026-12-01T01:00:00Z', 2, '{1,2}')")
            #expect(missing?.sqlState == "23503")  // foreign_key_violation, as the foreign key raised
            #expect(missing?.message == "readings refer to series 999999, which does not exist", "\(String(describing: missing))")
            // One statement of several rows: the row that does not fit is found among those that do.
            let wrongCount = await refusal(SQLText(unsafeSQL: """
                INSERT INTO pgscorer.readings (series_id, ts, n_features, features)
                SELECT \(seriesID), '2026-12-02T00:00:00Z'::timestamptz + i * interval '1 minute', CASE WHEN i = 7 THEN 3 ELSE 2 END,
                       CASE WHEN i = 7 THEN '{1,2,3}'::float8[] ELSE '{1,2}' END
                FROM generate_series(1, 10) i
                """))
            #expect(wrongCount?.message == "readings of series \(seriesID) have 3 features, but the series has 2", "\(String(describing: wrongCount))")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 3, "nothing of the refused statements stored")

            // A transaction that wrote readings of the series holds it until it ends, as a
            // foreign key would: a delete of the series waits (and here times out).
            let writer = try await fixture.database.connect()
            _ = try await writer.execute("BEGIN")
            _ = try await writer.execute(SQLText(unsafeSQL: "INSERT INTO pgscorer.readings (series_id, ts, n_features, features) VALUES (\(seriesID), '2026-12-03T00:00:00Z', 2, '{1,2}')"))
            let deleter = try await fixture.database.connect()
            _ = try await deleter.execute("SET lock_timeout = '300ms'")
            var deleteError: PostgresError?
            do {
                _ = try await deleter.execute("DELETE FROM pgscorer.series")
            } catch { deleteError = error as? PostgresError }
            #expect(deleteError?.sqlState == SQLState.lockNotAvailable, "\(String(describing: deleteError))")
            _ = try await writer.execute("COMMIT")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 4)
        }
    }
}
