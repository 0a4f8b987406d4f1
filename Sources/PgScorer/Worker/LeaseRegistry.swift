import Synchronization

/// The attempts this process holds, for the heartbeat to renew, and the ones it found
/// lost (cancelled or taken over) so slots can skip them.
final class LeaseRegistry: Sendable {
    private struct State {
        var held: [Int64: ClaimedJob] = [:]
        var lost: Set<Int64> = []
    }
    private let state = Mutex(State())

    func add(_ jobs: [ClaimedJob]) {
        state.withLock { state in for job in jobs { state.held[job.jobID] = job } }
    }

    func remove(_ jobs: [ClaimedJob]) {
        state.withLock { state in
            for job in jobs {
                state.held[job.jobID] = nil
                state.lost.remove(job.jobID)
            }
        }
    }

    var held: [ClaimedJob] { state.withLock { Array($0.held.values) } }

    /// Marks as lost the held attempts that are not in `renewed`.
    func keepOnly(_ renewed: Set<Int64>, among attempted: [ClaimedJob]) {
        state.withLock { state in
            for job in attempted where !renewed.contains(job.jobID) && state.held[job.jobID] == job {
                state.lost.insert(job.jobID)
            }
        }
    }

    func isLost(_ job: ClaimedJob) -> Bool { state.withLock { $0.lost.contains(job.jobID) } }
}
