import PgClient

/// One attempt at a job, as claimed by this worker: the fence is `(jobID, attempt)`.
package struct ClaimedJob: Sendable, Hashable {
    package let jobID: Int64
    package let seriesID: Int64
    /// `device/sensor`, as logs name the series.
    package let seriesName: String
    /// The champion the job was queued with: the model a scoring job scores with; nil
    /// for a training job of a series that has none yet.
    package let modelID: Int64?
    /// The series' challenger when the job was claimed: a scoring job scores the window
    /// with it too (shadow scoring).
    package let challengerModelID: Int64?
    /// Training parameters (JSON text) of a training job; nil for a scoring job.
    package let trainParams: String?
    package var isTraining: Bool { trainParams != nil }
    package let windowStart: PostgresTimestamp
    package let windowEnd: PostgresTimestamp
    package let attempt: Int16
    package let maxAttempts: Int16
    /// When the claim happened, by the database clock.
    package let claimedAt: PostgresTimestamp

    /// A row of `JobQueries.claim` / `claimResuming`.
    init(row: PostgresRow) throws {
        jobID = try row.decode("job_id")
        seriesID = try row.decode("series_id")
        seriesName = try row.decode("series_name")
        let kind: String = try row.decode("kind")
        modelID = try row.decode("model_id")
        challengerModelID = try row.decode("challenger_model_id")
        trainParams = kind == "train" ? try row.decode("train_params") as String? ?? "{}" : nil
        windowStart = try row.decode("window_start")
        windowEnd = try row.decode("window_end")
        attempt = try row.decode("attempt")
        maxAttempts = try row.decode("max_attempts")
        claimedAt = try row.decode("claimed_at")
    }
}

/// A job's place in claim order, (priority, run_at, job_id): where a slot's next
/// claim can resume.
package struct ClaimKey: Sendable, Comparable {
    package let priority: Int16
    package let runAt: PostgresTimestamp
    package let jobID: Int64

    package static func < (a: ClaimKey, b: ClaimKey) -> Bool {
        (a.priority, a.runAt, a.jobID) < (b.priority, b.runAt, b.jobID)
    }
}

/// What one claim statement got.
package struct Claim: Sendable {
    package var jobs: [ClaimedJob]
    /// The largest key among the due jobs claimed (reclaimed leases excluded): a
    /// resuming claim starts after it. Nil when no due job was claimed.
    package var lastKey: ClaimKey?

    /// The rows of `JobQueries.claim` / `claimResuming`.
    init(rows: PostgresRows) throws {
        jobs = []
        for row in rows {
            let job = try ClaimedJob(row: row)
            jobs.append(job)
            if try row.decode("due") as Bool {
                let key = ClaimKey(priority: try row.decode("priority"), runAt: try row.decode("run_at"), jobID: job.jobID)
                lastKey = max(lastKey ?? key, key)
            }
        }
    }
}
