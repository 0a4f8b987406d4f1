import Logging
import PgClient
import ServiceLifecycle

/// Runs maintenance tasks, each at its own interval, on a connection of its own, until
/// graceful shutdown. A failing task is logged and tried again at its next turn.
package struct MaintenanceService: Service {
    let tasks: [any MaintenanceTask]
    let connection: PersistentConnection
    let logger: Logger

    package init(tasks: [any MaintenanceTask], databaseURL: String, logger: Logger) {
        self.tasks = tasks
        self.logger = logger
        connection = PersistentConnection(databaseURL: databaseURL, applicationName: "pgscorer maintenance", logger: logger)
    }

    package func run() async throws {
        guard !tasks.isEmpty else { return }
        await cancelWhenGracefulShutdown {
            await connection.run { connection in
                var due = tasks.map { $0.runsAtStart ? ContinuousClock.now : .now + $0.interval }
                while !Task.isCancelled {
                    for (index, task) in tasks.enumerated() where due[index] <= .now {
                        due[index] = .now + task.interval
                        do {
                            let changed = try await task.runOnce(on: connection)
                            if changed > 0 { logger.info("\(task.name): \(changed) row(s)", metadata: ["task": "\(task.name)"]) }
                        } catch let error as PostgresError where error.isConnectionLoss {
                            throw error
                        } catch is CancellationError {
                            return
                        } catch where Task.isCancelled {
                            return  // shutdown cancelled the statement (the server reports 57014)
                        } catch {
                            logger.error("\(task.name) failed", metadata: ["task": "\(task.name)", "error": "\(error)"])
                        }
                    }
                    try await Task.sleep(until: due.min()!, clock: .continuous)
                }
            }
        }
    }
}
