import Metrics

/// What the window closer of a process did (`WindowKeeper`). Per aggregation state
/// (late samples, watermark lag) is read from the database by the process that exports
/// the queue's gauges.
package enum WindowMetrics {
    static var closed: Counter { Counter(label: "pgscorer_windows_closed_total") }
    /// Closed windows written again because late samples changed them.
    static var rewritten: Counter { Counter(label: "pgscorer_windows_rewritten_total") }
    /// Scoring jobs queued again for rewritten readings that had been scored.
    static var rescored: Counter { Counter(label: "pgscorer_windows_rescored_total") }

    static func record(_ outcome: WindowCloser.Outcome) {
        if outcome.closed > 0 { closed.increment(by: outcome.closed) }
        if outcome.rewritten > 0 { rewritten.increment(by: outcome.rewritten) }
        if outcome.rescored > 0 { rescored.increment(by: outcome.rescored) }
    }
}
