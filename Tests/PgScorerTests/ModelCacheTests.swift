import Kernels
import Foundation
import PgClient
import TestSupport
import Testing

import PgScorer

@Suite("Model cache")
struct ModelCacheTests {
    @Test("the cache keeps its models within its bytes, dropping the least recently used; a model larger than it still scores")
    func boundedByBytes() async throws {
        try await ScorerFixture.with { fixture in
            for device in 0..<4 { try await fixture.addModel(device: "pump-\(device)", sensor: "temp", featureCount: 8, seed: UInt64(device)) }
            for device in 0..<4 {
                try await fixture.loadReadings(device: "pump-\(device)", sensor: "temp", start: .utc("2026-11-24T00:00:00Z"), count: 10, featureCount: 8)
            }
            try await fixture.enqueue(.utc("2026-11-24T00:00:00Z"), .utc("2026-11-25T00:00:00Z"))
            let one = OneClassSVMScorer(try ScorerFixture.model(featureCount: 8)).memoryBytes
            let cache = ModelCache(capacityBytes: one * 2 + one / 2)
            let queue = try await fixture.queue("w")
            let jobs = try await queue.claim(limit: 10, lease: .seconds(60))
            let outcome = try await BatchScorer(models: cache).score(jobs, on: queue.connection)
            #expect(outcome.scored.count == 4 && outcome.failed.isEmpty)
            #expect(await cache.count == 2, "two models fit")
            #expect(await cache.bytes <= cache.capacityBytes)

            let tiny = ModelCache(capacityBytes: one / 2)
            let again = try await BatchScorer(models: tiny).score(jobs, on: queue.connection)
            #expect(again.scored.count == 4, "models larger than the cache are used, not kept")
            #expect(await tiny.count == 0)
            #expect(ByteSize.parse("256MB") == 256 << 20 && ByteSize.parse("1.5GB") == 3 << 29 && ByteSize.parse("lots") == nil)
            #expect(ByteSize.format(256 << 20) == "256MB")
        }
    }
}
