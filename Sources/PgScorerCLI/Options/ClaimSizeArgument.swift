import ArgumentParser
import PgScorer

/// `--batch`: `auto` or a number of jobs (its range is checked by the command, which
/// names the flag and the range).
struct ClaimSizeArgument: ExpressibleByArgument, Sendable {
    let size: ClaimSize

    init(_ size: ClaimSize) { self.size = size }

    init?(argument: String) {
        if argument == "auto" {
            size = .byReadings
        } else if let jobs = Int(argument) {
            size = .fixed(jobs)
        } else {
            return nil
        }
    }

    /// Whether it is `auto` or a number from 1 to `ClaimSize.maximum`.
    var isValid: Bool {
        if case .fixed(let jobs) = size { return (1...ClaimSize.maximum).contains(jobs) }
        return true
    }

    var defaultValueDescription: String { size.description }
}
