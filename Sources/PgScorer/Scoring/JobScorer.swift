import Kernels
import PgClient

/// The readings of one job's window, as read for scoring.
struct WindowReadings: Sendable {
    var timestamps: [PostgresTimestamp] = []
    /// Row-major: the features of each reading, one after another.
    var features: [Double] = []
    var featureCounts: [Int] = []
}

/// Scores claimed jobs: the windows of a whole batch read in one query, then per job
/// its model (cached) and one batched kernel call.
struct JobScorer: Sendable {
    let models: ModelCache

    /// Reads every job's window in one statement; jobs without readings get none.
    func readWindows(_ jobs: [ClaimedJob], on connection: PostgresConnection) async throws -> [Int64: WindowReadings] {
        let rows = try await connection.query(
            JobQueries.windowReadings.bind(jobs.map(\.jobID), jobs.map(\.seriesID), jobs.map(\.windowStart), jobs.map(\.windowEnd)))
        var windows: [Int64: WindowReadings] = [:]
        var currentJob: Int64?
        var window = WindowReadings()
        for row in rows {
            let jobID: Int64 = try row.decode(0)
            if jobID != currentJob {
                if let currentJob { windows[currentJob] = window }
                window = windows.removeValue(forKey: jobID) ?? WindowReadings()
                currentJob = jobID
            }
            window.timestamps.append(try row.decode(1))
            window.featureCounts.append(try row.appendFloat8Array(2, to: &window.features))
        }
        if let currentJob { windows[currentJob] = window }
        return windows
    }

    func score(_ job: ClaimedJob, readings: WindowReadings, on connection: PostgresConnection) async throws -> ScoredJob {
        let started = ContinuousClock.now
        let scorer = try await models.scorer(for: job.modelID, loading: connection)
        let featureCount = scorer.model.featureCount
        if let mismatch = readings.featureCounts.firstIndex(where: { $0 != featureCount }) {
            throw ScoringFailure.permanent(
                "reading at \(readings.timestamps[mismatch]) of series \(job.seriesID) has \(readings.featureCounts[mismatch]) features but model \(job.modelID) expects \(featureCount)")
        }
        let scores = try scorer.decisionFunction(readings.features)
        let elapsed = ContinuousClock.now - started
        return ScoredJob(
            job: job, timestamps: readings.timestamps, scores: scores, startedAt: job.claimedAt,
            durationMilliseconds: elapsed.seconds * 1000)
    }

    /// Reads and scores one job (tests, and anything scoring a single job).
    func score(_ job: ClaimedJob, on connection: PostgresConnection) async throws -> ScoredJob {
        let readings = try await readWindows([job], on: connection)[job.jobID] ?? WindowReadings()
        return try await score(job, readings: readings, on: connection)
    }
}
