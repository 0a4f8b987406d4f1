import Synchronization

/// How many more jobs this process may claim (`--max-jobs`); unlimited when nil.
/// Slots reserve before they claim and give back what the claim did not find, so the
/// process never claims more than its budget however many slots it runs.
final class ClaimBudget: Sendable {
    private let remaining: Mutex<Int?>

    init(limit: Int?) { remaining = Mutex(limit) }

    /// Reserves up to `wanted` claims; 0 once the budget is spent.
    func reserve(upTo wanted: Int) -> Int {
        remaining.withLock { remaining in
            guard let left = remaining else { return wanted }
            let granted = min(wanted, left)
            remaining = left - granted
            return granted
        }
    }

    /// Returns reserved claims that were not used.
    func giveBack(_ unused: Int) {
        guard unused > 0 else { return }
        remaining.withLock { remaining in
            if let left = remaining { remaining = left + unused }
        }
    }
}
