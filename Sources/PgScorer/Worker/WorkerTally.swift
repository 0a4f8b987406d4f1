import Synchronization

/// What a worker process has done: jobs completed and failed, readings scored and
/// anomalies found, in all and since the last periodic summary. Its slots add to it;
/// the command prints the total at the end, the worker logs each interval.
package final class WorkerTally: Sendable {
    package struct Counts: Sendable, Encodable {
        package var jobsCompleted = 0
        package var jobsFailed = 0
        package var readingsScored = 0
        package var anomalies = 0
    }

    /// What happened since the previous `takeInterval()`.
    package struct Interval: Sendable {
        package var counts = Counts()
        package var batches = 0
        /// The 95th percentile of the batches' durations (claim to completion), 0 if none.
        package var p95BatchMilliseconds = 0.0
    }

    private struct State {
        var total = Counts()
        var interval = Counts()
        var batchMilliseconds: [Double] = []
    }

    private let state = Mutex(State())

    init() {}

    func completed(_ results: [ScoredJob]) {
        state.withLock { state in
            for result in results {
                for keyPath in [\State.total, \State.interval] {
                    state[keyPath: keyPath].jobsCompleted += 1
                    state[keyPath: keyPath].readingsScored += result.scores.count
                    state[keyPath: keyPath].anomalies += result.anomalies
                }
            }
        }
    }

    func failed(_ jobs: Int) {
        state.withLock { state in
            state.total.jobsFailed += jobs
            state.interval.jobsFailed += jobs
        }
    }

    func batchFinished(after duration: Duration) {
        state.withLock { $0.batchMilliseconds.append(duration.seconds * 1000) }
    }

    package var snapshot: Counts { state.withLock { $0.total } }

    /// The interval's figures, starting the next interval.
    package func takeInterval() -> Interval {
        state.withLock { state in
            var interval = Interval(counts: state.interval, batches: state.batchMilliseconds.count)
            let sorted = state.batchMilliseconds.sorted()
            if !sorted.isEmpty { interval.p95BatchMilliseconds = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.95))] }
            state.interval = Counts()
            state.batchMilliseconds.removeAll(keepingCapacity: true)
            return interval
        }
    }
}
