import Kernels
import PgClient

/// Decoded, scoring-ready models by model id, shared by a worker's slots. A model row's
/// payload never changes meaning for its id (a new version is a new row), so entries
/// stay valid; the least recently used are dropped to keep the scorers' memory within
/// `capacityBytes`. A model larger than the whole cache is used and not kept.
package actor ModelCache {
    private var entries: [Int64: (scorer: OneClassSVMScorer, lastUse: UInt64)] = [:]
    private var clock: UInt64 = 0
    package let capacityBytes: Int
    /// The scorers' memory now.
    package private(set) var bytes = 0

    /// 256 MiB: thousands of typical per-sensor models.
    package static let defaultCapacityBytes = 256 << 20

    package init(capacityBytes: Int = ModelCache.defaultCapacityBytes) { self.capacityBytes = capacityBytes }

    package var count: Int { entries.count }

    /// A model that cannot be scored with: it does not exist or its payload does not decode.
    struct Unusable: Error, CustomStringConvertible {
        let description: String
    }

    /// Loads the models of `modelIDs` that are not cached yet in one query (a batch's
    /// models). A payload that does not decode is left out; `scorer(for:)` then reports
    /// it for its own job.
    func prefetch(_ modelIDs: Set<Int64>, loading connection: PostgresConnection) async throws {
        let missing = Array(modelIDs.filter { entries[$0] == nil })
        guard !missing.isEmpty else { return }
        for row in try await connection.query(ModelQueries.payloads.bind(missing)) {
            let modelID: Int64 = try row.decode(0)
            let payload: PostgresBytes = try row.decode(1)
            guard entries[modelID] == nil, let model = try? OneClassSVM(encoded: payload.bytes) else { continue }
            insert(OneClassSVMScorer(model), for: modelID)
        }
    }

    /// The scorer for `modelID`, loading and decoding its payload on a miss. Throws
    /// `Unusable` if the payload is missing or does not decode.
    func scorer(for modelID: Int64, loading connection: PostgresConnection) async throws -> OneClassSVMScorer {
        clock += 1
        if let entry = entries[modelID] {
            entries[modelID]?.lastUse = clock
            return entry.scorer
        }
        let rows = try await connection.query(ModelQueries.payload.bind(modelID))
        guard let row = rows.first else { throw Unusable(description: "model \(modelID) does not exist") }
        let payload: PostgresBytes = try row.decode(0)
        let model: OneClassSVM
        do {
            model = try OneClassSVM(encoded: payload.bytes)
        } catch {
            throw Unusable(description: "model \(modelID): \(error)")
        }
        let scorer = OneClassSVMScorer(model)
        insert(scorer, for: modelID)
        return scorer
    }

    private func insert(_ scorer: OneClassSVMScorer, for modelID: Int64) {
        // Two slots can miss the same model across their awaits; the second replaces the first.
        if let replaced = entries.removeValue(forKey: modelID) { bytes -= replaced.scorer.memoryBytes }
        let size = scorer.memoryBytes
        guard size <= capacityBytes else { return }
        clock += 1
        while bytes + size > capacityBytes, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            bytes -= entries.removeValue(forKey: oldest)!.scorer.memoryBytes
        }
        entries[modelID] = (scorer, clock)
        bytes += size
        ScorerMetrics.modelCacheLoads.increment()
        ScorerMetrics.modelCacheModels.record(entries.count)
        ScorerMetrics.modelCacheBytes.record(bytes)
    }
}
