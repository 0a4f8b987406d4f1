import Synchronization

/// What a worker process has done so far: jobs completed and failed, readings scored
/// and anomalies found. Its slots add to it; the command prints it at the end.
package final class WorkerTally: Sendable {
    package struct Counts: Sendable, Encodable {
        package var jobsCompleted = 0
        package var jobsFailed = 0
        package var readingsScored = 0
        package var anomalies = 0
    }

    private let counts = Mutex(Counts())

    init() {}

    func completed(_ results: [ScoredJob]) {
        counts.withLock { counts in
            counts.jobsCompleted += results.count
            for result in results {
                counts.readingsScored += result.scores.count
                counts.anomalies += result.anomalies
            }
        }
    }

    func failed(_ jobs: Int) { counts.withLock { $0.jobsFailed += jobs } }

    package var snapshot: Counts { counts.withLock { $0 } }
}
