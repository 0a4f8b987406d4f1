import Foundation
import Logging
import PgClient
import PgScorer
import TestSupport
import Testing

/// The gateway's writes against a real PostgreSQL: exactly once, conflicts and bad
/// readings as dead letters, nothing lost.
@Suite("Telemetry writer")
struct TelemetryWriterTests {
    static let start = PostgresTimestamp.utc("2026-12-01T00:00:00Z")

    static func reading(_ device: String, _ sensor: String, minute: Int, _ features: [Double]) -> Telemetry {
        Telemetry(
            device: device, sensor: sensor, ts: PostgresTimestamp(unixMicroseconds: start.unixMicroseconds + Int64(minute) * 60_000_000),
            features: features, payload: "\(device)/\(sensor)@\(minute)=\(features)")
    }

    static func item(_ readings: [Telemetry], rejections: [Rejection] = [], source: TelemetrySource = .mqtt) -> TelemetryBatchItem {
        TelemetryBatchItem(source: source, receivedAt: PostgresTimestamp(Date()), decoded: DecodedTelemetry(readings: readings, rejections: rejections))
    }

    @Test("new readings are stored; the same again is a no-op counted as duplicates; another value is a dead letter with both values")
    func exactlyOnce() async throws {
        try await ScorerFixture.with { fixture in
            var writer = TelemetryWriter(connection: fixture.connection, logger: Logger(label: "test"))
            let first = (0..<100).map { Self.reading("pump-\($0 % 4)", "temp", minute: $0 / 4, [Double($0)]) }
            let stored = try await writer.store([Self.item(Array(first[..<50])), Self.item(Array(first[50...]), source: .http)])
            #expect(stored.map(\.stored) == [50, 50] && stored.allSatisfy { $0.duplicates == 0 && $0.rejections.isEmpty })
            // A redelivery (the fast way fails on the key and the batch is settled key by key),
            // with one reading changed and one new.
            var again = Array(first[..<10])
            again[3].features = [-1]
            again.append(Self.reading("pump-9", "temp", minute: 0, [7]))
            let outcome = try await writer.store([Self.item(again)])
            #expect(outcome[0].stored == 1 && outcome[0].duplicates == 9 && outcome[0].rejections.count == 1, "\(outcome)")
            let conflict = try #require(outcome[0].rejections.first)
            #expect(conflict.reason == .conflict)
            #expect(conflict.detail == "pump-3/temp at 2026-12-01T00:00:00Z is stored as 3.0; this reading gives -1.0", "\(conflict.detail)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 101)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings WHERE features = '{-1}'") == 0, "the stored value stays")
            let row = try await fixture.connection.query(
                "SELECT source, device, sensor, ts, payload, reason FROM pgscorer.rejected_readings").single()
            #expect(try row.decode("source") as String == "mqtt" && row.decode("device") as String == "pump-3" && row.decode("reason") as String == "conflict")
            #expect(try row.decode("ts") as PostgresTimestamp == Self.start)
            #expect(try row.decode("payload") as String == again[3].payload)
        }
    }

    @Test("within one batch: a repeat with the same value is a duplicate, another value a conflict with the first; a wrong feature count is refused")
    func withinABatch() async throws {
        try await ScorerFixture.with { fixture in
            var writer = TelemetryWriter(connection: fixture.connection, logger: Logger(label: "test"))
            let batch = [
                Self.reading("pump-1", "vib", minute: 0, [1, 2]),
                Self.reading("pump-1", "vib", minute: 0, [1, 2]),
                Self.reading("pump-1", "vib", minute: 0, [1, 3]),
                Self.reading("pump-1", "vib", minute: 1, [1, 2, 3]),
                Self.reading("pump-1", "vib", minute: 2, [4, 5]),
            ]
            let decodeFailure = Rejection(.malformed, "the message is not JSON or a number", device: "pump-1", sensor: "vib", payload: "{oops")
            let outcome = try await writer.store([Self.item(Array(batch[..<2])), Self.item(Array(batch[2...]), rejections: [decodeFailure])])
            #expect(outcome[0].stored == 1 && outcome[0].duplicates == 1)
            #expect(outcome[1].stored == 1 && outcome[1].rejections.map(\.reason).sorted { $0.rawValue < $1.rawValue } == [.conflict, .features, .malformed])
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 2)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.rejected_readings") == 3)
            #expect(try await fixture.count(
                "SELECT count(*) FROM pgscorer.rejected_readings WHERE reason = 'features' AND detail = 'pump-1/vib has 2 features per reading, but this one has 3'") == 1)
        }
    }

    @Test("two gateways write the same keys at once with different values: each key stored once, every loser a dead letter")
    func concurrentWriters() async throws {
        try await ScorerFixture.with { fixture in
            let other = try await fixture.database.connect()
            defer { Task { await other.close() } }
            let one = (0..<2_000).map { Self.reading("pump-\($0 % 20)", "temp", minute: $0 / 20, [1]) }
            let two = (0..<2_000).map { Self.reading("pump-\($0 % 20)", "temp", minute: $0 / 20, [$0 % 2 == 0 ? 1 : 2]) }
            async let first = { () async throws -> [StoreOutcome] in
                var writer = TelemetryWriter(connection: fixture.connection, logger: Logger(label: "test"))
                return try await writer.store([Self.item(one)])
            }()
            async let second = { () async throws -> [StoreOutcome] in
                var writer = TelemetryWriter(connection: other, logger: Logger(label: "test"))
                return try await writer.store([Self.item(two)])
            }()
            let outcomes = try await first + second
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 2_000)
            let stored = outcomes.map(\.stored).reduce(0, +), duplicates = outcomes.map(\.duplicates).reduce(0, +)
            let rejected = outcomes.map(\.rejections.count).reduce(0, +)
            #expect(stored == 2_000 && stored + duplicates + rejected == 4_000, "\(stored) \(duplicates) \(rejected)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.rejected_readings WHERE reason = 'conflict'") == rejected)
            #expect(rejected == 1_000, "the odd half of one writer differs from the other")
        }
    }

    @Test("a series removed while the writer remembered it: the batch fails whole (no dead letters), and once forgotten it is stored anew")
    func removedSeries() async throws {
        try await ScorerFixture.with { fixture in
            var writer = TelemetryWriter(connection: fixture.connection, logger: Logger(label: "test"))
            _ = try await writer.store([Self.item([Self.reading("pump-1", "temp", minute: 0, [1])])])
            try await fixture.connection.executeScript(
                "DELETE FROM pgscorer.readings; DELETE FROM pgscorer.series WHERE device = 'pump-1'")
            let again = [Self.item((1...5).map { Self.reading("pump-1", "temp", minute: $0, [Double($0)]) })]
            await #expect(throws: PostgresError.self) { _ = try await writer.store(again) }
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.rejected_readings") == 0, "not the readings' fault")
            writer.forgetSeries()  // as the flusher does before it tries again
            let outcome = try await writer.store(again)
            #expect(outcome[0].stored == 5)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings r JOIN pgscorer.series s USING (series_id) WHERE s.device = 'pump-1'") == 5)
        }
    }

    @Test("a reading the database refuses is found by halving the batch and becomes a dead letter; the rest is stored")
    func refusedReading() async throws {
        try await ScorerFixture.with { fixture in
            var writer = TelemetryWriter(connection: fixture.connection, logger: Logger(label: "test"))
            // A CHECK added by an operator that this one reading breaks.
            try await fixture.connection.execute("ALTER TABLE pgscorer.readings ADD CONSTRAINT below_1000 CHECK (features[1] < 1000)")
            var batch = (0..<64).map { Self.reading("pump-1", "temp", minute: $0, [Double($0)]) }
            batch[37].features = [5_000]
            let outcome = try await writer.store([Self.item(Array(batch[..<32])), Self.item(Array(batch[32...]))])
            #expect(outcome.map(\.stored) == [32, 31])
            let refused = try #require(outcome[1].rejections.first)
            #expect(refused.reason == .malformed && refused.detail.contains("below_1000"), "\(refused.detail)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 63)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.rejected_readings WHERE ts = $1", batch[37].ts) == 1)
        }
    }
}
