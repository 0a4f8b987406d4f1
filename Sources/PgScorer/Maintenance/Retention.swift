import PgClient

/// Deletes what retention says is old enough: finished jobs, attempt logs, fired ticks
/// and the gateway's rejected readings in small batches (no long locks, no bloat spike), and whole monthly partitions
/// of readings, predictions and raw samples past their horizon (with samples, the state
/// of their windows). Each age comes from
/// `pgscorer.settings` unless given here; nil there means keep.
package struct Retention: Sendable {
    /// What there is to prune, each with the key of its setting.
    package enum Kind: String, Sendable, CaseIterable, Encodable {
        case jobs, jobRuns = "job_runs", scheduleRuns = "schedule_runs", rejectedReadings = "rejected_readings", predictions, readings,
            samples

        var setting: String { "retention.\(rawValue)" }
        /// Partitioned kinds lose whole months.
        package var isPartitioned: Bool { self == .predictions || self == .readings || self == .samples }
    }

    /// Ages that override the settings.
    package var overrides: [Kind: Duration] = [:]
    /// Rows per DELETE.
    package var batchSize: Int32 = 5_000
    /// At most this many batches of one kind per call (the maintenance service comes back).
    package var maxBatches = Int.max

    package init() {}

    /// What one pass removed (or, dry, would remove).
    package struct Outcome: Sendable, Encodable {
        package var rows: [String: Int] = [:]
        package var partitions: [String] = []
        package var total: Int { rows.values.reduce(0, +) + partitions.count }
    }

    /// Prunes every kind once through (batches until one comes back short, or
    /// `maxBatches`); with `dryRun`, counts instead.
    package func run(on connection: PostgresConnection, dryRun: Bool = false) async throws -> Outcome {
        var outcome = Outcome()
        for kind in Kind.allCases {
            let age = overrides[kind].map(DurationText.interval)
            if kind.isPartitioned {
                let query = age.map { RetentionQueries.dropOldPartitions.bind(kind.rawValue, $0, dryRun) }
                    ?? RetentionQueries.dropOldPartitionsBySetting.bind(kind.rawValue, kind.setting, dryRun)
                outcome.partitions += try await connection.query(query).map { try $0.decode("partition") }
                continue
            }
            var removed = 0
            for _ in 0..<maxBatches {
                let query = age.map { RetentionQueries.prune.bind(kind.rawValue, $0, batchSize, dryRun) }
                    ?? RetentionQueries.pruneBySetting.bind(kind.rawValue, kind.setting, batchSize, dryRun)
                let count: Int = try await connection.query(query).single().decode("removed")
                removed += count
                if dryRun || count < batchSize { break }
            }
            outcome.rows[kind.rawValue] = removed
        }
        return outcome
    }
}

/// Applies retention continuously: a bounded pass per interval.
package struct RetentionKeeper: MaintenanceTask {
    package let interval: Duration
    package var name: String { "retention" }

    package init(interval: Duration) { self.interval = interval }

    package func runOnce(on connection: PostgresConnection) async throws -> Int {
        var retention = Retention()
        retention.maxBatches = 20
        return try await retention.run(on: connection).total
    }
}
