import Foundation

/// How a `pgscorer worker` process runs; see `WorkerCommand` for the flags and defaults.
struct WorkerConfiguration: Sendable {
    var databaseURL: String
    /// Unique per process: host, pid and a random suffix.
    var workerID: String = WorkerConfiguration.makeWorkerID()
    /// Scoring slots, each with its own connection.
    var concurrency: Int = WorkerConfiguration.defaultConcurrency
    /// Jobs claimed per statement (and completed per transaction).
    var batchSize: Int = 32
    var lease: Duration = .seconds(60)
    /// How long an idle slot waits for a wake-up before claiming again.
    var poll: Duration = .seconds(1)
    /// A slot resumes each claim where its previous one ended, and scans the queue from
    /// the front (where new urgent jobs and expired leases are found) at least this often.
    var frontClaimInterval: Duration = .seconds(1)
    var runScheduler: Bool = true
    var exitWhenIdle: Bool = false
    /// Exit once this many jobs have been claimed and finished (nil: no limit).
    var maxJobs: Int? = nil
    var backoff = RetryBackoff()

    /// Leases are renewed three times per lease period.
    var heartbeatInterval: Duration { lease / 3 }

    /// Twice the cores, at most 16: a slot spends part of its time waiting on the
    /// database, and another slot can use the core meanwhile.
    static var defaultConcurrency: Int { min(2 * ProcessInfo.processInfo.activeProcessorCount, 16) }

    static func makeWorkerID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        return "\(host):\(getpid()):\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }
}
