import Logging
import PgClient
import ServiceLifecycle

extension Worker {
    /// One scoring slot: claims a batch, scores and completes it, and again, on its own
    /// connection, until the process stops (or, with --exit-when-idle, the queue is empty).
    func runSlot(_ slot: Int) async {
        var logger = logger
        logger[metadataKey: "slot"] = "\(slot)"
        var connection: PostgresConnection?
        var failures = 0
        var claims = SlotClaims(lease: configuration.lease, frontClaimInterval: configuration.frontClaimInterval)
        var claimSize = ClaimSize.Tracker(configuration.claimSize)
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
                let allowed = budget.reserve(upTo: claimSize.next)
                guard allowed > 0 else {
                    logger.debug("--max-jobs reached; slot exits")
                    break
                }
                let jobs: [ClaimedJob]
                do {
                    jobs = try await claims.claim(upTo: allowed, from: queue)
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
                let read = try await process(jobs, queue: queue, logger: logger)
                claimSize.finished(jobs: read.scored, readings: read.readings)
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
}
