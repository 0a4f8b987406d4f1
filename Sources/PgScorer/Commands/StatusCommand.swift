import ArgumentParser
import Foundation
import Kernels
import PgClient

/// `pgscorer status`: what the queue, the workers and the schedules are doing now.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Queue depth by state, oldest waiting job, live workers, schedule ticks and recent failures.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON for machines.") var json = false

    func run() async throws {
        let logger = global.bootstrapLogging()
        let connection = try await global.connectCurrent(logger: logger)
        let queue = try await connection.query(
            """
            SELECT state, jobs, coalesce(extract(epoch FROM oldest_wait), 0)::float8 FROM pgscorer.queue_depth
            ORDER BY array_position(ARRAY['available','running','retryable','completed','failed','cancelled'], state)
            """)
        let workers = try await connection.query(
            "SELECT worker_id, extract(epoch FROM heartbeat_age)::float8, running_jobs, concurrency FROM pgscorer.worker_health ORDER BY worker_id")
        let failures = try await connection.query(
            "SELECT finished_at, job_id, device, sensor, attempt, outcome, coalesce(error, '') FROM pgscorer.recent_failures ORDER BY finished_at DESC LIMIT 10")
        let schedules = try await ScheduleOverview.load(connection)
        let oldestWait = try queue.map { try $0.decode(2) as Double }.max() ?? 0

        if json {
            var document: [String] = []
            let states = try queue.map { "\(JSONText.quote(try $0.decode(0) as String)): \(try $0.decode(1) as Int)" }
            document.append("\"queue\": {\(states.joined(separator: ", "))}")
            document.append("\"oldest_wait_seconds\": \(oldestWait)")
            document.append("\"workers\": [" + (try workers.map {
                "{\"worker_id\": \(JSONText.quote(try $0.decode(0) as String)), \"heartbeat_age_seconds\": \(try $0.decode(1) as Double), \"running_jobs\": \(try $0.decode(2) as Int)}"
            }).joined(separator: ", ") + "]")
            document.append("\"schedules\": [" + schedules.map {
                "{\"name\": \(JSONText.quote($0.name)), \"enabled\": \($0.enabled), \"last_tick\": \(JSONText.quote($0.lastTick?.description)), \"next_tick\": \(JSONText.quote($0.nextTick?.description))}"
            }.joined(separator: ", ") + "]")
            document.append("\"recent_failures\": [" + (try failures.map {
                "{\"job_id\": \(try $0.decode(1) as Int), \"series\": \(JSONText.quote("\(try $0.decode(2) as String)/\(try $0.decode(3) as String)")), \"attempt\": \(try $0.decode(4) as Int), \"outcome\": \(JSONText.quote(try $0.decode(5) as String)), \"error\": \(JSONText.quote(try $0.decode(6) as String))}"
            }).joined(separator: ", ") + "]")
            print("{" + document.joined(separator: ", ") + "}")
        } else {
            let depth = try queue.map { "\(try $0.decode(0) as String) \(try $0.decode(1) as Int)" }
            print("queue: " + (depth.isEmpty ? "empty" : depth.joined(separator: ", ")))
            print(String(format: "oldest waiting job: %.1f s", oldestWait))
            print("workers: \(workers.count)")
            for worker in workers {
                print(String(format: "  %@  heartbeat %.1f s ago, %d running", try worker.decode(0) as String, try worker.decode(1) as Double, try worker.decode(2) as Int))
            }
            print("schedules:")
            for schedule in schedules {
                print("  \(schedule.name) (\(schedule.enabled ? schedule.timing : "disabled")): last tick \(schedule.lastTick?.description ?? "never"), next \(schedule.nextTick?.description ?? "-")")
            }
            print("recent failures:\(failures.isEmpty ? " none" : "")")
            for failure in failures {
                print("  job \(try failure.decode(1) as Int) \(try failure.decode(2) as String)/\(try failure.decode(3) as String) attempt \(try failure.decode(4) as Int) \(try failure.decode(5) as String): \(try failure.decode(6) as String)")
            }
        }
        await connection.close()
    }
}

/// JSON string quoting for the commands' --json output (nil is null).
enum JSONText {
    static func quote(_ text: String?) -> String {
        text.map { JSONValue.string($0).serialized } ?? "null"
    }
}
