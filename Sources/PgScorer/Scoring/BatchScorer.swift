import Kernels
import PgClient

/// The readings of one job's window, as read for scoring.
struct WindowReadings: Sendable {
    var timestamps: [PostgresTimestamp] = []
    /// Row-major: the features of each reading, one after another.
    var features: [Double] = []
    var featureCounts: [Int] = []
}

/// Scores a claimed batch: its windows read in one query, its models prefetched in
/// another (and cached), then one batched kernel call per job. Failures come back
/// classified as retryable or permanent where they arise; only the loss of the
/// connection is thrown.
package struct BatchScorer: Sendable {
    let models: ModelCache

    package init(models: ModelCache = ModelCache()) { self.models = models }

    /// What became of a batch's jobs.
    package struct Outcome: Sendable {
        package var scored: [ScoredJob] = []
        package var failed: [JobFailure] = []
        /// Found no longer this worker's (cancelled or taken over) before scoring.
        package var lost: [ClaimedJob] = []
        /// Not started because the worker began to stop: to be released.
        package var unstarted: [ClaimedJob] = []
    }

    /// Scores `jobs`; `isLost` and `shouldStop` are asked before each job.
    package func score(
        _ jobs: [ClaimedJob], on connection: PostgresConnection, isLost: (ClaimedJob) -> Bool = { _ in false },
        shouldStop: () -> Bool = { false }
    ) async throws -> Outcome {
        var outcome = Outcome()
        let reading = ContinuousClock.now
        let windows: [Int64: WindowReadings]
        do {
            windows = try await ScorerMetrics.timed(.read) {
                let windows = try await readWindows(jobs, on: connection)
                try await models.prefetch(Set(jobs.compactMap(\.modelID) + jobs.compactMap(\.challengerModelID)), loading: connection)
                return windows
            }
        } catch let error as PostgresError where !error.isConnectionLoss {
            // A statement timeout, say: worth another attempt later, for every job of the batch.
            let elapsed = (ContinuousClock.now - reading).seconds * 1000
            outcome.failed = jobs.map {
                JobFailure(job: $0, reason: "reading the windows or models failed: \(error)", retryable: true, durationMilliseconds: elapsed)
            }
            return outcome
        }
        let scoring = ContinuousClock.now
        defer { ScorerMetrics.phase(.score).recordInterval(since: scoring) }
        for (index, job) in jobs.enumerated() {
            if shouldStop() {
                outcome.unstarted = Array(jobs[index...])
                break
            }
            if isLost(job) {
                outcome.lost.append(job)
                continue
            }
            do {
                outcome.scored.append(try await score(job, readings: windows[job.jobID] ?? WindowReadings(), on: connection))
            } catch let failure as JobFailure {
                outcome.failed.append(failure)
            }
        }
        return outcome
    }

    /// Reads and scores one job (tests, and anything scoring a single job). Throws a
    /// `JobFailure`, or the loss of the connection.
    package func score(_ job: ClaimedJob, on connection: PostgresConnection) async throws -> ScoredJob {
        let readings = try await readWindows([job], on: connection)[job.jobID] ?? WindowReadings()
        return try await score(job, readings: readings, on: connection)
    }

    /// Reads every job's window in one statement; jobs without readings get none.
    private func readWindows(_ jobs: [ClaimedJob], on connection: PostgresConnection) async throws -> [Int64: WindowReadings] {
        let rows = try await connection.query(
            ReadingQueries.windows.bind(jobs.map(\.jobID), jobs.map(\.seriesID), jobs.map(\.windowStart), jobs.map(\.windowEnd)))
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

    private func score(_ job: ClaimedJob, readings: WindowReadings, on connection: PostgresConnection) async throws -> ScoredJob {
        let started = ContinuousClock.now
        func failure(_ reason: String, retryable: Bool) -> JobFailure {
            JobFailure(job: job, reason: reason, retryable: retryable, durationMilliseconds: (ContinuousClock.now - started).seconds * 1000)
        }
        guard let modelID = job.modelID else { throw failure("a scoring job without a model", retryable: false) }
        let scorer: OneClassSVMScorer
        do {
            scorer = try await models.scorer(for: modelID, loading: connection)
        } catch let unusable as ModelCache.Unusable {
            throw failure(unusable.description, retryable: false)
        } catch let error as PostgresError where !error.isConnectionLoss {
            throw failure("loading model \(modelID) failed: \(error)", retryable: true)
        }
        let featureCount = scorer.model.featureCount
        if let mismatch = readings.featureCounts.firstIndex(where: { $0 != featureCount }) {
            throw failure(
                "reading at \(readings.timestamps[mismatch]) of series \(job.seriesID) has \(readings.featureCounts[mismatch]) features but model \(modelID) expects \(featureCount)",
                retryable: false)
        }
        let scores: [Double]
        do {
            scores = try scorer.decisionFunction(readings.features)
        } catch {
            throw failure("model \(modelID) cannot score the window: \(error)", retryable: false)
        }
        var result = ScoredJob(
            job: job, modelID: modelID, timestamps: readings.timestamps, scores: scores, startedAt: job.claimedAt,
            durationMilliseconds: (ContinuousClock.now - started).seconds * 1000)
        if let challenger = job.challengerModelID, challenger != modelID, !scores.isEmpty {
            // The challenger's trouble is not the job's: it completes with the champion's scores.
            do {
                let shadow = try await models.scorer(for: challenger, loading: connection)
                result.shadow = ScoredJob.Shadow(modelID: challenger, scores: try shadow.decisionFunction(readings.features))
            } catch let error as PostgresError where error.isConnectionLoss {
                throw error
            } catch {
                result.shadowProblem = "challenger model \(challenger) cannot score the window: \(error)"
            }
        }
        return result
    }
}
