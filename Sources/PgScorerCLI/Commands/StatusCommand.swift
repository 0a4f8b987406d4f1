import ArgumentParser
import Foundation
import PgScorer

/// `pgscorer status`: what the queue, the workers and the schedules are doing now.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Queue depth by state, oldest waiting job, workers and gateways (alive or not), rejected readings, schedule ticks and recent failures.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var read: ReadOptions
    @Option(help: "table or json.") var format: SummaryFormat = .table
    @Flag(help: "Same as --format json.") var json = false

    func run() async throws {
        let status = try await global.withDatabase(readURL: read.url) { try await StatusReport.load(from: $0.connection) }
        if json || format == .json { return try JSONOutput.print(status) }
        let depth = status.queue.map { "\($0.state) \($0.jobs)" }
        print("queue: " + (depth.isEmpty ? "empty" : depth.joined(separator: ", ")))
        print(String(format: "oldest waiting job: %.1f s", status.oldestWaitSeconds))
        print("workers: \(status.workers.count)\(status.workers.contains { !$0.alive } ? " (\(status.workers.filter { !$0.alive }.count) not alive)" : "")")
        for worker in status.workers {
            print(String(
                format: "  %@  heartbeat %.1f s ago, %d running%@", worker.workerID, worker.heartbeatAgeSeconds, worker.runningJobs,
                worker.alive ? "" : "  NOT ALIVE"))
        }
        if !status.gateways.isEmpty {
            print("gateways: \(status.gateways.count)\(status.gateways.contains { !$0.alive } ? " (\(status.gateways.filter { !$0.alive }.count) not alive)" : "")")
            for gateway in status.gateways {
                print(String(format: "  %@  heartbeat %.1f s ago%@", gateway.gatewayID, gateway.heartbeatAgeSeconds, gateway.alive ? "" : "  NOT ALIVE")
                    + ": received \(gateway.received), stored \(gateway.stored), duplicates \(gateway.duplicates), rejected \(gateway.rejected)"
                    + (gateway.lastStoredAt.map { ", last stored \($0)" } ?? "") + " — \(gateway.inputs)")
            }
        }
        let rejected = status.rejectedLastHour.sorted { $0.key < $1.key }
        if !rejected.isEmpty {
            print("rejected readings in the last hour: " + rejected.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                + " — SELECT * FROM pgscorer.rejected_readings ORDER BY rejected_id DESC LIMIT 20;")
        }
        print("schedules:")
        for schedule in status.schedules {
            print("  \(schedule.name) (\(schedule.enabled ? schedule.timing : "disabled")): last tick \(schedule.lastTick?.description ?? "never"), next \(schedule.nextTick?.description ?? "-")")
        }
        if !status.aggregations.isEmpty {
            print("aggregations:")
            for a in status.aggregations {
                print("  \(a.name) (\(a.window) windows of \(a.sensors) → \(a.target)): \(a.sources) series, \(a.openWindows) open, \(a.closedWindows) closed, late dropped \(a.lateDropped), recomputed \(a.lateRecomputed)"
                    + (a.closedUntil.map { ", closed until \($0)" } ?? ""))
            }
            for late in status.lateSeries {
                print("    late: \(late.device)/\(late.sensor) (\(late.aggregation)): dropped \(late.dropped), recomputed \(late.recomputed), last at \(late.lastAt)")
            }
        }
        print("held series:\(status.heldSeries.isEmpty ? " none" : " (pgscorer series resume releases them)")")
        for held in status.heldSeries {
            print("  \(held.device)/\(held.sensor) since \(held.heldSince), after \(held.consecutive) permanent failures: \(held.lastError)")
        }
        print("open alerts: \(status.openAlerts)\(status.openAlerts > 0 ? " (pgscorer alerts list --open)" : "")")
        let health = status.seriesHealth
        if let checkedAt = health.checkedAt {
            let problems = health.problems.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            print("series health: \(health.unhealthy) of \(health.checked) series need a look"
                + (problems.isEmpty ? "" : " (\(problems); pgscorer health lists them)") + ", as of \(String(checkedAt.description.prefix(19))) UTC")
        } else {
            print("series health: not checked yet (workers keep it every 5 minutes; pgscorer health checks now)")
        }
        let models = status.unhealthyModels
        print("model health: " + (models.warn + models.fail == 0 ? "no model warns or fails" :
            "\(models.fail) fail (\(models.activeFail) active anyway), \(models.warn) warn — SELECT * FROM pgscorer.unhealthy_models"))
        print("recent failures:\(status.recentFailures.isEmpty ? " none" : "")")
        for failure in status.recentFailures {
            print("  job \(failure.jobID) \(failure.device)/\(failure.sensor) attempt \(failure.attempt) \(failure.outcome): \(failure.error)")
        }
    }
}
