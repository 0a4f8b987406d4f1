/// How many jobs a slot claims at a time (`--batch`). Every claim costs a claim
/// statement, a window read and a completion transaction with its commit, whatever its
/// size, so jobs of a few readings each (an hourly tick of a large fleet) are best taken
/// by the hundred, and jobs of thousands of readings a few at a time.
package enum ClaimSize: Sendable, Equatable, CustomStringConvertible {
    /// Always this many.
    case fixed(Int)
    /// Sized to the work (the default): `initial` jobs first; then as many as held
    /// `targetReadings` readings at the readings per job of the slot's last batch,
    /// never fewer than `initial` and at most `maximum`.
    case byReadings

    static let initial = 32
    static let targetReadings = 12_000
    package static let maximum = 1_000

    package var description: String {
        switch self {
        case .fixed(let jobs): "\(jobs)"
        case .byReadings: "auto"
        }
    }

    /// A slot's claim size as its batches go.
    struct Tracker {
        let size: ClaimSize
        private(set) var next: Int

        init(_ size: ClaimSize) {
            self.size = size
            if case .fixed(let jobs) = size { next = jobs } else { next = ClaimSize.initial }
        }

        /// Takes in a batch in which `jobs` jobs scored `readings` readings between them.
        mutating func finished(jobs: Int, readings: Int) {
            guard size == .byReadings, jobs > 0 else { return }
            let perJob = max(1, readings / jobs)
            next = min(ClaimSize.maximum, max(ClaimSize.initial, ClaimSize.targetReadings / perJob))
        }
    }
}
