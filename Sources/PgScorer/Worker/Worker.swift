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
    let leases = LeaseRegistry()
    let jobsDoorbell = Doorbell()
    let schedulesDoorbell = Doorbell()
    let scorer: BatchScorer
    let budget: ClaimBudget
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
                WindowKeeper(interval: configuration.windowCloseInterval),
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
                "concurrency": "\(configuration.concurrency)", "batch": "\(configuration.claimSize)",
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
    var stopping: Bool { Task.isCancelled || Task.isShuttingDownGracefully }

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

    func connection(for purpose: String) -> PersistentConnection {
        PersistentConnection(
            databaseURL: configuration.databaseURL, applicationName: "pgscorer worker (\(purpose))", logger: logger)
    }
}
