import Foundation
import Logging
import PgClient
import ServiceLifecycle

/// A `pgscorer worker` process: `concurrency` scoring slots that claim, score and
/// complete jobs, each on its own connection, plus a heartbeat that renews leases, a
/// listener that wakes idle slots on NOTIFY, and (optionally) the scheduler. Upkeep
/// (reaping leases and dead workers, making partitions) is `MaintenanceService`'s.
///
/// Graceful shutdown: slots stop claiming, finish the job in hand, give the rest of
/// their batch back without using up an attempt, and the process deregisters.
/// Cancellation (a second signal) stops at once; leases then expire and other
/// workers take the jobs over.
package final class Worker: Service, Sendable {
    package let configuration: WorkerConfiguration
    let logger: Logger
    private let leases = LeaseRegistry()
    private let jobsDoorbell = Doorbell()
    private let schedulesDoorbell = Doorbell()
    private let scorer: BatchScorer
    private let budget: ClaimBudget
    /// Jobs, readings and anomalies this process has scored.
    package let tally = WorkerTally()

    package init(configuration: WorkerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.budget = ClaimBudget(limit: configuration.maxJobs)
        self.scorer = BatchScorer(models: ModelCache(capacityBytes: configuration.modelCacheBytes))
        var logger = logger
        logger[metadataKey: "worker"] = "\(configuration.workerID)"
        self.logger = logger
    }

    /// The alert webhook sender a worker process runs beside its upkeep.
    package var webhooks: WebhookSender {
        var sender = WebhookSender(databaseURL: configuration.databaseURL, logger: logger)
        sender.backoff = configuration.backoff
        return sender
    }

    /// The upkeep a worker process runs beside its slots, with the configured intervals.
    package var maintenance: MaintenanceService {
        MaintenanceService(
            tasks: [
                LeaseReaper(interval: configuration.leaseReaperInterval),
                PartitionKeeper(interval: configuration.partitionKeeperInterval),
                WorkerReaper(interval: configuration.workerReaperInterval),
                RetentionKeeper(interval: configuration.retentionInterval),
                AlertEvaluator(interval: configuration.alertInterval, logger: logger),
                SeriesHealthKeeper(interval: configuration.seriesHealthInterval),
            ], databaseURL: configuration.databaseURL, logger: logger)
    }

    package func run() async throws {
        let control = try await connection(for: "control").connect()
        try await control.execute(
            WorkerQueries.register.bind(
                configuration.workerID, ProcessInfo.processInfo.hostName, Int32(getpid()), Int32(configuration.concurrency),
                PgScorerVersion.current, configuration.lease.seconds))
        if configuration.runScheduler {
            // Fire what is due before any slot looks for work, so --exit-when-idle
            // does not find an empty queue a moment before the first tick's jobs.
            _ = try await Scheduler(connection: control, workerID: configuration.workerID, logger: logger).fireDueTicks()
        }
        logger.info(
            "worker started",
            metadata: [
                "concurrency": "\(configuration.concurrency)", "batch.size": "\(configuration.batchSize)",
                "lease": "\(DurationText.format(configuration.lease))", "scheduler": "\(configuration.runScheduler)",
            ])
        await withTaskGroup(of: Void.self) { background in
            background.addTask { await self.listen() }
            background.addTask { await self.heartbeat() }
            background.addTask { await self.summarize() }
            if configuration.runScheduler { background.addTask { await self.schedule() } }
            await withTaskGroup(of: Void.self) { slots in
                for slot in 0..<configuration.concurrency {
                    slots.addTask { await self.runSlot(slot) }
                }
                await withGracefulShutdownHandler {
                    await slots.waitForAll()
                } onGracefulShutdown: {
                    self.jobsDoorbell.ring()
                    self.schedulesDoorbell.ring()
                }
            }
            background.cancelAll()
        }
        _ = try? await control.execute(WorkerQueries.deregister.bind(configuration.workerID))
        await control.close()
        logger.info("worker stopped")
    }

    /// True once the process should stop taking new work.
    private var stopping: Bool { Task.isCancelled || Task.isShuttingDownGracefully }

    // MARK: Scoring slots

    private func runSlot(_ slot: Int) async {
        var logger = logger
        logger[metadataKey: "slot"] = "\(slot)"
        var connection: PostgresConnection?
        var failures = 0
        var claims = SlotClaims()
        while !stopping {
            do {
                let current: PostgresConnection
                if let connection {
                    current = connection
                } else {
                    current = try await self.connection(for: "slot \(slot)").connect()
                }
                connection = current
                let queue = JobQueue(connection: current, workerID: configuration.workerID)
                let allowed = budget.reserve(upTo: configuration.batchSize)
                guard allowed > 0 else {
                    logger.debug("--max-jobs reached; slot exits")
                    break
                }
                let jobs: [ClaimedJob]
                do {
                    jobs = try await claim(upTo: allowed, from: queue, state: &claims)
                } catch {
                    budget.giveBack(allowed)
                    throw error
                }
                budget.giveBack(allowed - jobs.count)
                failures = 0
                if jobs.isEmpty {
                    if configuration.exitWhenIdle, try await queue.pendingCount() == 0 {
                        logger.debug("queue drained; slot exits")
                        jobsDoorbell.ring()  // let the other idle slots look too
                        break
                    }
                    // Idle. While draining, other slots' running jobs may end (or fail into a
                    // retry) at any moment: look again soon rather than after a full poll.
                    let idle = configuration.exitWhenIdle ? min(configuration.poll, .milliseconds(100)) : configuration.poll
                    await jobsDoorbell.wait(upTo: idle)
                    continue
                }
                leases.add(jobs)
                defer { leases.remove(jobs) }
                try await process(jobs, queue: queue, logger: logger)
            } catch let error as PostgresError where error.isConnectionLoss {
                failures += 1
                ScorerMetrics.reconnects.increment()
                logger.warning("database connection lost; reconnecting", metadata: ["error": "\(error)"])
                if let connection { await connection.close() }
                connection = nil
                await PersistentConnection.pause(afterFailures: failures)
            } catch is CancellationError {
                break
            } catch {
                failures += 1
                logger.error("slot error; retrying", metadata: ["error": "\(error)"])
                await PersistentConnection.pause(afterFailures: failures)
            }
        }
        if let connection { await connection.close() }
    }

    /// Where a slot's claims stand: the key its next claim resumes after, and when it
    /// last claimed from the front.
    private struct SlotClaims {
        var resumeAfter: ClaimKey?
        var lastFrontClaim: ContinuousClock.Instant?
    }

    /// Claims up to `limit` jobs for a slot: resuming after its previous claim, so the
    /// index scan does not wade through the entries of jobs claimed since the last vacuum
    /// (a long transaction elsewhere can hold thousands back), and from the front, with
    /// expired leases, at least every `frontClaimInterval` and whenever resuming finds
    /// nothing. A job that lands before a slot's key waits at most that interval.
    private func claim(upTo limit: Int, from queue: JobQueue, state: inout SlotClaims) async throws -> [ClaimedJob] {
        let started = ContinuousClock.now
        let jobs = try await claimJobs(upTo: limit, from: queue, state: &state)
        // Only claims that found work: an idle slot's empty claims would drown the figures.
        if !jobs.isEmpty {
            ScorerMetrics.phase(.claim).recordInterval(since: started)
            ScorerMetrics.claimBatchSize.record(jobs.count)
        }
        return jobs
    }

    private func claimJobs(upTo limit: Int, from queue: JobQueue, state: inout SlotClaims) async throws -> [ClaimedJob] {
        if let key = state.resumeAfter, let front = state.lastFrontClaim,
            ContinuousClock.now - front < configuration.frontClaimInterval
        {
            let resumed = try await queue.claim(limit: limit, lease: configuration.lease, resumingAfter: key)
            if !resumed.jobs.isEmpty {
                // A short batch means the end is near: look at the front next time.
                state.resumeAfter = resumed.jobs.count == limit ? resumed.lastKey : nil
                return resumed.jobs
            }
        }
        let front = try await queue.claim(limit: limit, lease: configuration.lease, resumingAfter: nil)
        state.lastFrontClaim = .now
        state.resumeAfter = front.lastKey
        return front.jobs
    }

    /// Scores a claimed batch and completes what scored in one transaction; records the
    /// failures, logs the attempts found lost, and on shutdown releases the unstarted rest.
    private func process(_ claimed: [ClaimedJob], queue: JobQueue, logger: Logger) async throws {
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
        guard !jobs.isEmpty else { return }
        let outcome = try await scorer.score(
            jobs, on: queue.connection, isLost: { self.leases.isLost($0) }, shouldStop: { self.stopping })
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
            return
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
    }

    /// Runs one training job: a model stored in its completion, or a recorded failure.
    private func train(_ job: ClaimedJob, queue: JobQueue, logger: Logger) async throws {
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

    private func record(_ failure: JobFailure, queue: JobQueue, logger: Logger) async throws {
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

    private func metadata(_ job: ClaimedJob) -> Logger.Metadata {
        ["job.id": "\(job.jobID)", "series": "\(job.seriesName)", "attempt": "\(job.attempt)"]
    }

    /// Logs what the process did in the last `summaryInterval` at info level, when it
    /// did anything: the line an operator reads at the default log level.
    private func summarize() async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: configuration.summaryInterval) } catch { return }
            let interval = tally.takeInterval()
            guard interval.batches > 0 else { continue }
            logger.info(
                "scored in the last \(DurationText.format(configuration.summaryInterval))",
                metadata: [
                    "jobs": "\(interval.counts.jobsCompleted)", "jobs.failed": "\(interval.counts.jobsFailed)",
                    "readings": "\(interval.counts.readingsScored)", "anomalies": "\(interval.counts.anomalies)",
                    "batches": "\(interval.batches)", "batch.p95": "\(String(format: "%.1f", interval.p95BatchMilliseconds))ms",
                ])
        }
    }

    // MARK: Heartbeat, listener, scheduler

    /// Renews the leases of held attempts and the worker's heartbeat, three times per lease.
    private func heartbeat() async {
        await connection(for: "heartbeat").run { connection in
            let queue = JobQueue(connection: connection, workerID: self.configuration.workerID)
            while !Task.isCancelled {
                try await Task.sleep(for: self.configuration.heartbeatInterval)
                let held = self.leases.held
                let renewed = try await queue.renewLeases(held, lease: self.configuration.lease)
                self.leases.keepOnly(renewed, among: held)
                try await connection.execute(WorkerQueries.heartbeat.bind(self.configuration.workerID))
            }
        }
    }

    /// Turns NOTIFYs into wake-ups: new jobs for the slots, edited schedules for the scheduler.
    private func listen() async {
        await connection(for: "listener").run { connection in
            try await connection.listen("pgscorer_jobs")
            try await connection.listen("pgscorer_schedules")
            // Anything queued while we were not listening.
            self.jobsDoorbell.ring()
            self.schedulesDoorbell.ring()
            while !Task.isCancelled {
                guard let notification = try await connection.nextNotification(timeout: .seconds(5)) else { continue }
                if notification.channel == "pgscorer_jobs" { self.jobsDoorbell.ring() } else { self.schedulesDoorbell.ring() }
            }
        }
    }

    /// Fires due schedule ticks every poll interval, sooner when schedules change.
    private func schedule() async {
        await connection(for: "scheduler").run { connection in
            let scheduler = Scheduler(connection: connection, workerID: self.configuration.workerID, logger: self.logger)
            while !self.stopping {
                if try await !scheduler.fireDueTicks().isEmpty { self.jobsDoorbell.ring() }
                await self.schedulesDoorbell.wait(upTo: self.configuration.poll)
            }
        }
    }

    private func connection(for purpose: String) -> PersistentConnection {
        PersistentConnection(
            databaseURL: configuration.databaseURL, applicationName: "pgscorer worker (\(purpose))", logger: logger)
    }
}
