import Foundation
import Logging
import PgClient
import ServiceLifecycle

/// A `pgscorer worker` process: `concurrency` scoring slots that claim, score and
/// complete jobs, each on its own connection, plus a heartbeat that renews leases, a
/// listener that wakes idle slots on NOTIFY, and (optionally) the scheduler.
///
/// Graceful shutdown: slots stop claiming, finish the job in hand, give the rest of
/// their batch back without using up an attempt, and the process deregisters.
/// Cancellation (a second signal) stops at once; leases then expire and other
/// workers take the jobs over.
final class Worker: Service, Sendable {
    let configuration: WorkerConfiguration
    let logger: Logger
    private let leases = LeaseRegistry()
    private let jobsDoorbell = Doorbell()
    private let schedulesDoorbell = Doorbell()
    private let scorer = JobScorer(models: ModelCache())
    private let budget: ClaimBudget

    init(configuration: WorkerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.budget = ClaimBudget(limit: configuration.maxJobs)
        var logger = logger
        logger[metadataKey: "worker"] = "\(configuration.workerID)"
        self.logger = logger
    }

    func run() async throws {
        let control = try await connect(purpose: "control")
        try await control.execute(
            """
            INSERT INTO pgscorer.workers (worker_id, hostname, pid, concurrency, version) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (worker_id) DO UPDATE SET heartbeat_at = now()
            """, configuration.workerID, ProcessInfo.processInfo.hostName, Int32(getpid()),
            Int32(configuration.concurrency), PgScorerCommand.configuration.version)
        if configuration.runScheduler {
            // Fire what is due before any slot looks for work, so --exit-when-idle
            // does not find an empty queue a moment before the first tick's jobs.
            let scheduler = Scheduler(connection: control, workerID: configuration.workerID, logger: logger)
            try await scheduler.maintain()
            _ = try await scheduler.fireDueTicks()
        }
        logger.info(
            "worker started",
            metadata: [
                "concurrency": "\(configuration.concurrency)", "batch.size": "\(configuration.batchSize)",
                "lease": "\(configuration.lease)", "scheduler": "\(configuration.runScheduler)",
            ])
        await withTaskGroup(of: Void.self) { background in
            background.addTask { await self.listen() }
            background.addTask { await self.heartbeat() }
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
        _ = try? await control.execute("DELETE FROM pgscorer.workers WHERE worker_id = $1", configuration.workerID)
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
                    current = try await connect(purpose: "slot \(slot)")
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
                logger.warning("database connection lost; reconnecting", metadata: ["error": "\(error)"])
                if let connection { await connection.close() }
                connection = nil
                await pause(afterFailures: failures)
            } catch is CancellationError {
                break
            } catch {
                failures += 1
                logger.error("slot error; retrying", metadata: ["error": "\(error)"])
                await pause(afterFailures: failures)
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

    /// Scores a claimed batch (windows and models read for the whole batch) and completes
    /// it in one transaction. Failed jobs are recorded one by one; on shutdown the
    /// unstarted rest is released.
    private func process(_ jobs: [ClaimedJob], queue: JobQueue, logger: Logger) async throws {
        let windows: [Int64: WindowReadings]
        let reading = ContinuousClock.now
        do {
            windows = try await scorer.readWindows(jobs, on: queue.connection)
            try await scorer.models.prefetch(jobs.map(\.modelID), loading: queue.connection)
        } catch let error as PostgresError where !error.isConnectionLoss {
            // A statement timeout, say: worth another attempt later, for every job of the batch.
            for job in jobs {
                try await recordFailure(
                    job, error: "reading the windows or models failed: \(error)", permanent: false, started: reading, queue: queue, logger: logger)
            }
            return
        }
        var results: [ScoredJob] = []
        for (index, job) in jobs.enumerated() {
            if stopping {
                let released = try await queue.release(Array(jobs[index...]))
                logger.info("shutting down: released unstarted jobs", metadata: ["jobs": "\(released)"])
                break
            }
            if leases.isLost(job) {
                try await queue.recordLostAttempt(job, startedAt: job.claimedAt)
                logger.warning("job no longer ours (cancelled or taken over); skipped", metadata: metadata(job))
                continue
            }
            let started = ContinuousClock.now
            do {
                results.append(try await scorer.score(job, readings: windows[job.jobID] ?? WindowReadings(), on: queue.connection))
            } catch let failure as ScoringFailure {
                try await recordFailure(job, error: "\(failure)", permanent: true, started: started, queue: queue, logger: logger)
            } catch let error as PostgresError where !error.isConnectionLoss {
                // A statement or lock timeout, a full disk: worth another attempt later.
                try await recordFailure(job, error: "\(error)", permanent: false, started: started, queue: queue, logger: logger)
            }
        }
        let completed: Set<Int64>
        do {
            completed = try await queue.complete(results)
        } catch let error as PostgresError where !error.isConnectionLoss {
            // The write failed (a full disk, a timeout): nothing of it landed; retry later.
            for result in results {
                try await recordFailure(
                    result.job, error: "writing the results failed: \(error)", permanent: false,
                    started: .now - .milliseconds(Int64(result.durationMilliseconds)), queue: queue, logger: logger)
            }
            return
        }
        for result in results {
            var details = metadata(result.job)
            details["rows"] = "\(result.scores.count)"
            details["anomalies"] = "\(result.anomalies)"
            details["duration"] = "\(String(format: "%.1f", result.durationMilliseconds))ms"
            if completed.contains(result.job.jobID) {
                logger.debug("job completed", metadata: details)
            } else {
                try await queue.recordLostAttempt(result.job, startedAt: result.startedAt)
                logger.warning("lease lost before completion; result discarded by the fence", metadata: details)
            }
        }
    }

    private func recordFailure(
        _ job: ClaimedJob, error: String, permanent: Bool, started: ContinuousClock.Instant, queue: JobQueue, logger: Logger
    ) async throws {
        var generator = SystemRandomNumberGenerator()
        let delay = configuration.backoff.delay(afterAttempt: Int(job.attempt), using: &generator)
        let duration = (ContinuousClock.now - started).seconds * 1000
        let state = try await queue.fail(
            job, error: error, retryAfter: delay, permanent: permanent, startedAt: job.claimedAt, durationMilliseconds: duration)
        var details = metadata(job)
        details["error"] = "\(error)"
        switch state {
        case "retryable"?: details["retry.in"] = "\(String(format: "%.1f", delay))s"
        case nil: details["fence"] = "lease lost"
        default: break
        }
        logger.warning("job attempt failed", metadata: details.merging(["state": "\(state ?? "lost")"]) { $1 })
    }

    private func metadata(_ job: ClaimedJob) -> Logger.Metadata {
        ["job.id": "\(job.jobID)", "series": "\(job.seriesID)", "attempt": "\(job.attempt)"]
    }

    // MARK: Heartbeat, listener, scheduler

    /// Renews the leases of held attempts and the worker's heartbeat, three times per lease.
    private func heartbeat() async {
        await withConnection(purpose: "heartbeat") { connection in
            let queue = JobQueue(connection: connection, workerID: self.configuration.workerID)
            while !Task.isCancelled {
                try await Task.sleep(for: self.configuration.heartbeatInterval)
                let held = self.leases.held
                let renewed = try await queue.renewLeases(held, lease: self.configuration.lease)
                self.leases.keepOnly(renewed, among: held)
                try await connection.execute(
                    "UPDATE pgscorer.workers SET heartbeat_at = now() WHERE worker_id = $1", self.configuration.workerID)
            }
        }
    }

    /// Turns NOTIFYs into wake-ups: new jobs for the slots, edited schedules for the scheduler.
    private func listen() async {
        await withConnection(purpose: "listener") { connection in
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

    /// Fires due schedule ticks every poll interval (sooner when schedules change),
    /// and does the periodic maintenance.
    private func schedule() async {
        await withConnection(purpose: "scheduler") { connection in
            let scheduler = Scheduler(connection: connection, workerID: self.configuration.workerID, logger: self.logger)
            var lastMaintenance: ContinuousClock.Instant?
            while !self.stopping {
                if lastMaintenance.map({ ContinuousClock.now - $0 > .seconds(60) }) ?? true {
                    try await scheduler.maintain()
                    lastMaintenance = .now
                }
                if try await !scheduler.fireDueTicks().isEmpty { self.jobsDoorbell.ring() }
                await self.schedulesDoorbell.wait(upTo: self.configuration.poll)
            }
        }
    }

    /// Runs `body` with a connection, reconnecting with backoff when it is lost,
    /// until the task is cancelled or `body` returns.
    private func withConnection(purpose: String, _ body: @Sendable (PostgresConnection) async throws -> Void) async {
        var failures = 0
        while !Task.isCancelled {
            do {
                let connection = try await connect(purpose: purpose)
                failures = 0
                do {
                    try await body(connection)
                } catch {
                    await connection.close()
                    throw error
                }
                await connection.close()
                return
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                failures += 1
                logger.warning("\(purpose) connection failed; reconnecting", metadata: ["error": "\(error)"])
                await pause(afterFailures: failures)
            }
        }
    }

    private func connect(purpose: String) async throws -> PostgresConnection {
        try await PostgresConnection.connect(
            configuration.databaseURL, applicationName: "pgscorer worker (\(purpose))", logger: logger)
    }

    /// Backs off after repeated failures: 0.2 s doubling to at most 10 s.
    private func pause(afterFailures failures: Int) async {
        let seconds = min(10, 0.2 * Double(1 << min(failures, 6)))
        try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
    }
}
