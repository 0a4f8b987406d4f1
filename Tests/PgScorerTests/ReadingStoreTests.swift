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
}
