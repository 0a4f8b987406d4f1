import Kernels
import PgClient

/// Decoded, scoring-ready models by model id, shared by a worker's slots. A model row's
/// payload never changes meaning for its id (a new version is a new row), so entries
/// stay valid; the least recently used are dropped beyond `capacity`.
actor ModelCache {
    private var entries: [Int64: (scorer: OneClassSVMScorer, lastUse: UInt64)] = [:]
    private var clock: UInt64 = 0
    let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    /// The scorer for `modelID`, loading and decoding its payload on a miss.
    /// Throws `ScoringFailure.permanent` if the payload is missing or does not decode.
    func scorer(for modelID: Int64, loading connection: PostgresConnection) async throws -> OneClassSVMScorer {
        clock += 1
        if let entry = entries[modelID] {
            entries[modelID]?.lastUse = clock
            return entry.scorer
        }
        let rows = try await connection.query(JobQueries.modelPayload.bind(modelID))
        guard let row = rows.first else { throw ScoringFailure.permanent("model \(modelID) does not exist") }
        let payload: PostgresBytes = try row.decode(0)
        let model: OneClassSVM
        do {
            model = try OneClassSVM(encoded: payload.bytes)
        } catch {
            throw ScoringFailure.permanent("model \(modelID): \(error)")
        }
        let scorer = OneClassSVMScorer(model)
        if entries.count >= capacity, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key {
            entries[oldest] = nil
        }
        entries[modelID] = (scorer, clock)
        return scorer
    }
}

/// Why a job could not be scored. Permanent failures (bad model, wrong feature count)
/// fail the job at once; retrying cannot fix them.
enum ScoringFailure: Error, CustomStringConvertible {
    case permanent(String)

    var description: String {
        switch self {
        case .permanent(let reason): reason
        }
    }
}
