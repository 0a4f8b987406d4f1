import Foundation
import Logging
import PgClient

/// A claimed batch from scoring to completion: the scored jobs completed in one fenced
/// transaction, training jobs run one by one, failures recorded, lost attempts logged.
extension Worker {
    /// Scores a claimed batch and completes what scored in one transaction; records the
    /// failures, logs the attempts found lost, and on shutdown releases the unstarted rest.
    /// Returns how many jobs scored and the readings they read (what sizes the next claim).
    func process(_ claimed: [ClaimedJob], queue: JobQueue, logger: Logger) async throws -> (scored: Int, readings: Int) {
        let started = ContinuousClock.now
        defer { tally.batchFinished(after: ContinuousClock.now - started) }
        let jobs = claimed.filter { !$0.isTraining }
        let training = claimed.filter(\.isTraining)
        for (index, job) in training.enumerated() {
            if stopping {
                let unstarted = Array(training[index...])
                let released = try await queue.release(unstarted)
                logger.info("shutting down: released unstarted training jobs", metadata: ["jobs": "\(released)"])
                break
            }
            try await train(job, queue: queue, logger: logger)
        }
        guard !jobs.isEmpty else { return (0, 0) }
        let outcome = try await scorer.score(
            jobs, on: queue.connection, isLost: { self.leases.isLost($0) }, shouldStop: { self.stopping })
        let read = (scored: outcome.scored.count, readings: outcome.scored.reduce(0) { $0 + $1.scores.count })
        if !outcome.unstarted.isEmpty {
            let released = try await queue.release(outcome.unstarted)
            logger.info("shutting down: released unstarted jobs", metadata: ["jobs": "\(released)"])
        }
        for job in outcome.lost {
            ScorerMetrics.jobs(.lost).increment()
            try await queue.recordLostAttempt(job, startedAt: job.claimedAt)
            logger.warning("job no longer ours (cancelled or taken over); skipped", metadata: metadata(job))
        }
        for failure in outcome.failed { try await record(failure, queue: queue, logger: logger) }
        let completed: Set<Int64>
        do {
            completed = try await ScorerMetrics.timed(.complete) { try await queue.complete(outcome.scored) }
        } catch let error as PostgresError where !error.isConnectionLoss {
            // The write failed (a full disk, a timeout): nothing of it landed; retry later.
            for result in outcome.scored {
                let failure = JobFailure(
                    job: result.job, reason: "writing the results failed: \(error)", retryable: true,
                    durationMilliseconds: result.durationMilliseconds)
                try await record(failure, queue: queue, logger: logger)
            }
            return read
        }
        let landed = outcome.scored.filter { completed.contains($0.job.jobID) }
        tally.completed(landed)
        ScorerMetrics.jobs(.completed).increment(by: landed.count)
        ScorerMetrics.readingsScored.increment(by: landed.reduce(0) { $0 + $1.scores.count })
        ScorerMetrics.anomalies.increment(by: landed.reduce(0) { $0 + $1.anomalies })
        for result in outcome.scored {
            if let problem = result.shadowProblem {
                logger.warning("challenger could not shadow-score; the job completed with the champion", metadata: [
                    "job.id": "\(result.job.jobID)", "series": "\(result.job.seriesName)", "error": "\(problem)",
                ])
            }
            var details = metadata(result.job)
            details["rows"] = "\(result.scores.count)"
            details["anomalies"] = "\(result.anomalies)"
            details["duration"] = "\(String(format: "%.1f", result.durationMilliseconds))ms"
            if completed.contains(result.job.jobID) {
                logger.debug("job completed", metadata: details)
            } else {
                ScorerMetrics.jobs(.lost).increment()
                try await queue.recordLostAttempt(result.job, startedAt: result.startedAt)
                logger.warning("lease lost before completion; result discarded by the fence", metadata: details)
            }
        }
        return read
    }

    /// Runs one training job: a model stored in its completion, or a recorded failure.
    func train(_ job: ClaimedJob, queue: JobQueue, logger: Logger) async throws {
        guard !leases.isLost(job) else {
            ScorerMetrics.jobs(.lost).increment()
            try await queue.recordLostAttempt(job, startedAt: job.claimedAt)
            return
        }
        do {
            switch try await TrainingJobRunner().run(job, queue: queue) {
            case .trained(let stored, let rows):
                ScorerMetrics.jobs(.completed).increment()
                logger.info(
                    "trained a new model version", metadata: [
                        "job.id": "\(job.jobID)", "series": "\(job.seriesName)", "model": "\(stored.modelID)", "version": "\(stored.version)",
                        "role": "\(stored.role.rawValue)", "health": "\(stored.health.verdict.rawValue)", "rows": "\(rows)",
                    ])
            case .lost:
                ScorerMetrics.jobs(.lost).increment()
                try await queue.recordLostAttempt(job, startedAt: job.claimedAt)
                logger.warning("training job no longer ours (cancelled or taken over); its model was not stored", metadata: metadata(job))
            }
        } catch let failure as JobFailure {
            try await record(failure, queue: queue, logger: logger)
        }
    }

    func record(_ failure: JobFailure, queue: JobQueue, logger: Logger) async throws {
        var generator = SystemRandomNumberGenerator()
        let (state, delay) = try await queue.record(failure, backoff: configuration.backoff, using: &generator)
        if state == .failed { tally.failed(1) }
        ScorerMetrics.jobs(state == .failed ? .failed : state == nil ? .lost : .retry).increment()
        var details = metadata(failure.job)
        details["error"] = "\(failure.reason)"
        details["state"] = "\(state?.rawValue ?? "lost")"
        switch state {
        case .retryable?: details["retry.in"] = "\(String(format: "%.1f", delay))s"
        case nil: details["fence"] = "lease lost"
        default: break
        }
        logger.warning("job attempt failed", metadata: details)
    }

    func metadata(_ job: ClaimedJob) -> Logger.Metadata {
        ["job.id": "\(job.jobID)", "series": "\(job.seriesName)", "attempt": "\(job.attempt)"]
    }
}
