import Logging
import PgClient

/// Fires due schedule ticks. Any number of processes may run it at once: each tick is
/// taken by inserting its `schedule_runs` row, and only the process that inserted it
/// queues the tick's jobs, in the same transaction. Time is the database's clock.
struct Scheduler: Sendable {
    let connection: PostgresConnection
    let workerID: String
    let logger: Logger

    /// A tick this call fired, with the number of jobs it queued.
    struct FiredTick: Sendable, Equatable {
        let scheduleID: Int64
        let scheduledFor: PostgresTimestamp
        let jobsCreated: Int
    }

    /// Fires every due tick of every enabled schedule; returns the ticks this process fired.
    func fireDueTicks() async throws -> [FiredTick] {
        var fired: [FiredTick] = []
        for row in try await connection.query(ScheduleQueries.dueState.bind()) {
            let scheduleID: Int64 = try row.decode(0)
            let name: String = try row.decode(1)
            let timing: ScheduleTiming
            if let cron: String = try row.decode(2) {
                do {
                    timing = .cron(try CronExpression(cron))
                } catch {
                    logger.error("schedule has an invalid cron; skipped", metadata: ["schedule": "\(name)", "error": "\(error)"])
                    continue
                }
            } else {
                timing = .every(microseconds: try row.decode(3))
            }
            let policy: String = try row.decode(4)
            let catchUpLimit: Int = try row.decode(5)
            let lastFired: PostgresTimestamp? = try row.decode(6)
            let now: PostgresTimestamp = try row.decode(7)
            let ticks = timing.dueTicks(
                now: now.unixMicroseconds, lastFired: lastFired?.unixMicroseconds,
                catchUpLimit: policy == "catch_up" ? catchUpLimit : nil)
            for tick in ticks {
                let scheduledFor = PostgresTimestamp(unixMicroseconds: tick)
                if let created = try await fire(scheduleID: scheduleID, at: scheduledFor) {
                    logger.info(
                        "schedule tick fired",
                        metadata: ["schedule": "\(name)", "tick": "\(scheduledFor)", "jobs": "\(created)"])
                    fired.append(FiredTick(scheduleID: scheduleID, scheduledFor: scheduledFor, jobsCreated: created))
                }
            }
        }
        return fired
    }

    /// Takes and queues one tick; nil if another process had already taken it.
    private func fire(scheduleID: Int64, at tick: PostgresTimestamp) async throws -> Int? {
        try await connection.transaction { connection in
            guard try await connection.query(ScheduleQueries.takeTick.bind(scheduleID, tick, workerID)).count == 1 else {
                return nil
            }
            return try await connection.query(ScheduleQueries.queueTickJobs.bind(scheduleID, tick)).single().decode(0)
        }
    }

    /// Creates the partitions the coming weeks need, and fails jobs whose lease
    /// expired on their last attempt.
    func maintain() async throws {
        _ = try await connection.query(ScheduleQueries.ensurePartitions.bind())
        try await connection.execute(JobQueries.failExhaustedLeases.bind())
    }
}
