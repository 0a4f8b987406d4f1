import Foundation

/// How a `pgscorer worker` process runs; `pgscorer worker --help` lists the flags and defaults.
package struct WorkerConfiguration: Sendable {
    package var databaseURL: String
    /// Unique per process: host, pid and a random suffix.
    package var workerID: String = WorkerConfiguration.makeWorkerID()
    /// Scoring slots, each with its own connection.
    package var concurrency: Int = WorkerConfiguration.defaultConcurrency
    /// Jobs claimed per statement (and completed per transaction).
    package var claimSize = ClaimSize.byReadings
    package var lease: Duration = .seconds(60)
    /// How long an idle slot waits for a wake-up before claiming again.
    package var poll: Duration = .seconds(1)
    /// A slot resumes each claim where its previous one ended, and scans the queue from
    /// the front (where new urgent jobs and expired leases are found) at least this often.
    package var frontClaimInterval: Duration = .seconds(1)
    package var runScheduler: Bool = true
    /// Run `Worker.maintenance` beside the slots.
    package var runMaintenance: Bool = true
    package var exitWhenIdle: Bool = false
    /// Exit once this many jobs have been claimed and finished (nil: no limit).
    package var maxJobs: Int? = nil
    package var backoff = RetryBackoff()
    /// How often exhausted leases are failed (`LeaseReaper`).
    package var leaseReaperInterval: Duration = .seconds(60)
    /// How often partitions are made ahead of need (`PartitionKeeper`).
    package var partitionKeeperInterval: Duration = .seconds(3600)
    /// How often the rows of silent workers are removed (`WorkerReaper`).
    package var workerReaperInterval: Duration = .seconds(60)
    /// How often alert rules are evaluated (`AlertEvaluator`; nothing is read without rules).
    package var alertInterval: Duration = .seconds(60)
    /// Memory for decoded models (least recently used dropped beyond it).
    package var modelCacheBytes = ModelCache.defaultCapacityBytes
    /// How often retention deletes what `pgscorer.settings` says is old enough (`RetentionKeeper`).
    package var retentionInterval: Duration = .seconds(60)
    /// How often due windows of aggregations are closed (`WindowKeeper`; nothing is
    /// read without aggregations).
    package var windowCloseInterval: Duration = .seconds(1)
    /// How often series health (`pgscorer.series_health_current`) is recomputed.
    package var seriesHealthInterval: Duration = .seconds(300)
    /// How often the worker logs what it scored since the last such line (info level).
    package var summaryInterval: Duration = .seconds(60)

    package init(databaseURL: String) { self.databaseURL = databaseURL }

    /// Leases are renewed three times per lease period.
    package var heartbeatInterval: Duration { lease / 3 }

    /// Twice the cores, at most 16: a slot spends part of its time waiting on the
    /// database, and another slot can use the core meanwhile.
    package static var defaultConcurrency: Int { min(2 * ProcessInfo.processInfo.activeProcessorCount, 16) }

    package static func makeWorkerID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        return "\(host):\(getpid()):\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
    }
}
