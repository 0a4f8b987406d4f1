import Metrics

/// What a scorer process counts and times, through swift-metrics: the process that
/// runs the command chooses the backend (`pgscorer worker --metrics-listen` and
/// `pgscorer serve` export them in Prometheus' text format; without one they cost
/// nothing). Names and labels are Prometheus'; no label names a series, so the number
/// of time series stays fixed however large the fleet (per-series detail is in SQL).
package enum ScorerMetrics {
    /// How an attempt at a job ended, the `outcome` label of `pgscorer_jobs_total`.
    package enum Outcome: String, CaseIterable, Sendable {
        case completed
        /// Failed, to be tried again.
        case retry
        /// Failed for good (attempts used up, or retrying cannot help).
        case failed
        /// No longer this worker's when it finished (cancelled or taken over); discarded.
        case lost
    }

    /// The phases of a claimed batch, the `phase` label of `pgscorer_batch_phase_seconds`.
    package enum Phase: String, CaseIterable, Sendable {
        case claim, read, score, complete
    }

    static func jobs(_ outcome: Outcome) -> Counter {
        Counter(label: "pgscorer_jobs_total", dimensions: [("outcome", outcome.rawValue)])
    }

    static func phase(_ phase: Phase) -> Metrics.Timer {
        Metrics.Timer(label: "pgscorer_batch_phase_seconds", dimensions: [("phase", phase.rawValue)])
    }

    static var readingsScored: Counter { Counter(label: "pgscorer_readings_scored_total") }
    static var anomalies: Counter { Counter(label: "pgscorer_anomalies_total") }
    static var reconnects: Counter { Counter(label: "pgscorer_db_reconnects_total") }
    static var ticksFired: Counter { Counter(label: "pgscorer_ticks_fired_total") }
    /// Jobs per claim statement that found work: how full the batches run.
    static var claimBatchSize: Recorder { Recorder(label: "pgscorer_claim_batch_size", aggregate: true) }
    static var modelCacheModels: Gauge { Gauge(label: "pgscorer_model_cache_models") }
    static var modelCacheBytes: Gauge { Gauge(label: "pgscorer_model_cache_bytes") }
    static var modelCacheLoads: Counter { Counter(label: "pgscorer_model_cache_loads_total") }

    /// Times `body` as one `phase` of a batch.
    static func timed<T>(_ phase: Phase, _ body: () async throws -> T) async rethrows -> T {
        let started = ContinuousClock.now
        defer { Self.phase(phase).recordInterval(since: started) }
        return try await body()
    }
}

extension Metrics.Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let (seconds, attoseconds) = elapsed.components
        recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
