import Synchronization

/// Wakes idle waiters: `ring()` releases everyone waiting, or the next waiter if
/// nobody is. Waits end on a ring, a timeout or cancellation, whichever comes first.
final class Doorbell: Sendable {
    private struct State {
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextID = 0
        var rungWhileIdle = false
        var cancelled: Set<Int> = []
    }
    private let state = Mutex(State())

    func ring() {
        let waiters = state.withLock { state in
            if state.waiters.isEmpty { state.rungWhileIdle = true }
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        waiters.forEach { $0.resume() }
    }

    /// Waits for a ring, at most `timeout`.
    func wait(upTo timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForRing() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForRing() async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.rungWhileIdle || state.cancelled.remove(id) != nil {
                        state.rungWhileIdle = false
                        return true
                    }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                if let waiter = state.waiters.removeValue(forKey: id) { return Optional(waiter) }
                state.cancelled.insert(id)
                return nil
            }
            waiter?.resume()
        }
    }
}
