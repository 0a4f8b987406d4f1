import Foundation
import Kernels
import Migrations
import PgClient
import TestSupport
import Testing

import PgScorer

/// A migrated test database with helpers to build a small fleet.
struct ScorerFixture {
    let database: TestDatabase
    let connection: PostgresConnection

    /// Runs `body` with a fresh, migrated database.
    static func with<T>(
        isolation: isolated (any Actor)? = #isolation, _ body: (ScorerFixture) async throws -> T
    ) async throws -> T {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await Migrator().migrate(connection)
            return try await body(ScorerFixture(database: database, connection: connection))
        }
    }

    /// A deterministic rbf model around the origin with `featureCount` features.
    static func model(featureCount: Int, supportVectors: Int = 24, seed: UInt64 = 1) throws -> OneClassSVM {
        var generator = SeededGenerator(seed: seed)
        let vectors = (0..<(supportVectors * featureCount)).map { _ in Double.random(in: -1...1, using: &generator) }
        let duals = (0..<supportVectors).map { _ in Double.random(in: 0.1...1, using: &generator) }
        return try OneClassSVM(
            kernel: .rbf, gamma: 0.5, featureCount: featureCount, supportVectors: vectors, dualCoefficients: duals,
            intercept: -0.35 * duals.reduce(0, +))
    }

    /// Loads `count` readings for (device, sensor), one every `step` seconds from `start`.
    @discardableResult
    func loadReadings(
        device: String, sensor: String, start: PostgresTimestamp, count: Int, step: Int64 = 60, featureCount: Int, seed: UInt64 = 7
    ) async throws -> ReadingStore.LoadSummary {
        var generator = SeededGenerator(seed: seed)
        let readings = (0..<count).map { index in
            ParsedReading(
                device: device, sensor: sensor,
                ts: PostgresTimestamp(microsecondsSince2000: start.microsecondsSince2000 + Int64(index) * step * 1_000_000),
                features: (0..<featureCount).map { _ in Double.random(in: -2...2, using: &generator) }, line: index + 1)
        }
        return try await ReadingStore(connection: connection).load(readings)
    }

    /// Adds an active model for (device, sensor). These synthetic models score the
    /// mechanics, not the data: many flag everything, so their health check fails and
    /// they are activated by force.
    @discardableResult
    func addModel(device: String, sensor: String, featureCount: Int, seed: UInt64 = 1) async throws -> ModelStore.StoredModel {
        try await ModelStore(connection: connection).add(
            try Self.model(featureCount: featureCount, seed: seed), device: device, sensor: sensor, source: "json", force: true)
    }

    /// Queues one job per series with an active model for [start, end).
    @discardableResult
    func enqueue(_ start: PostgresTimestamp, _ end: PostgresTimestamp, maxAttempts: Int16 = 5) async throws -> [Int64] {
        try await connection.query(JobQueries.enqueueWindow.bind(start, end, "%", "%", Int16(0), maxAttempts))
            .map { try $0.decode(0) }
    }

    func count(_ sql: SQLText, _ values: (any PostgresEncodable)?...) async throws -> Int {
        try await connection.query(PostgresQuery(sql, values)).single().decode(0)
    }

    func queue(_ workerID: String) async throws -> JobQueue {
        JobQueue(connection: try await database.connect(), workerID: workerID)
    }
}

extension PostgresTimestamp {
    /// A timestamp from `yyyy-mm-ddThh:mm:ssZ` (UTC), for readable tests.
    static func utc(_ text: String) -> PostgresTimestamp {
        let formatter = ISO8601DateFormatter()
        return PostgresTimestamp(formatter.date(from: text)!)
    }
}
