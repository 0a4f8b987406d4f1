import Logging
import PgClient

/// Fires due schedule ticks. Any number of processes may run it at once: each tick is
/// taken by inserting its `schedule_runs` row, and only the process that inserted it
/// queues the tick's jobs, in the same transaction. Time is the database's clock.
package struct Scheduler: Sendable {
    let connection: PostgresConnection
    let workerID: String
    let logger: Logger

    package init(connection: PostgresConnection, workerID: String, logger: Logger) {
        self.connection = connection
        self.workerID = workerID
        self.logger = logger
    }

    /// A tick this call fired, with the number of jobs it queued.
    package struct FiredTick: Sendable, Equatable {
        package let scheduleID: Int64
        package let scheduledFor: PostgresTimestamp
        package let jobsCreated: Int
    }

    /// Fires every due tick of every enabled schedule; returns the ticks this process fired.
    package func fireDueTicks() async throws -> [FiredTick] {
        var fired: [FiredTick] = []
        for schedule in try await Schedule.all(enabledOnly: true, on: connection) {
            let timing: ScheduleTiming
            do {
                // A schedule that fires on closing windows is fired by the closer.
                guard let clock = try schedule.timing() else { continue }
                timing = clock
            } catch {
                logger.error("schedule has an invalid cron; skipped", metadata: ["schedule": "\(schedule.name)", "error": "\(error)"])
                continue
            }
            let catchUpLimit: Int? = if case .catchUp(let limit) = schedule.missedTicks { limit } else { nil }
            let ticks = timing.dueTicks(
                now: schedule.now.unixMicroseconds, lastFired: schedule.lastTick?.unixMicroseconds,
                activeSince: schedule.enabledAt.unixMicroseconds, createdAt: schedule.createdAt.unixMicroseconds,
                catchUpLimit: catchUpLimit)
            for tick in ticks {
                let scheduledFor = PostgresTimestamp(unixMicroseconds: tick)
                if let created = try await fire(schedule, at: scheduledFor) {
                    ScorerMetrics.ticksFired.increment()
                    logger.info(
                        "schedule tick fired",
                        metadata: ["schedule": "\(schedule.name)", "tick": "\(scheduledFor)", "jobs": "\(created)"])
                    fired.append(FiredTick(scheduleID: schedule.scheduleID, scheduledFor: scheduledFor, jobsCreated: created))
                }
            }
        }
        return fired
    }

    /// Takes and queues one tick; nil if another process had already taken it.
    private func fire(_ schedule: Schedule, at tick: PostgresTimestamp) async throws -> Int? {
        try await connection.transaction { connection in
            guard try await connection.query(ScheduleQueries.takeTick.bind(schedule.scheduleID, tick, workerID)).count == 1 else {
                return nil
            }
            let queue = schedule.kind == "train" ? ScheduleQueries.queueTrainingTickJobs : ScheduleQueries.queueTickJobs
            return try await connection.query(queue.bind(schedule.scheduleID, tick)).single().decode(0)
        }
    }
}
