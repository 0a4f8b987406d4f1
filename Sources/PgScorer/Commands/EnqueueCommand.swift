import ArgumentParser
import PgClient

/// `pgscorer enqueue`: queue jobs for a past window (backfill), outside any schedule.
struct EnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Queue one job per selected series scoring the readings in [--since, --until).",
        discussion: "Series need an active model. A window already pending for a series is not queued twice.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Start of the window (inclusive), e.g. 2026-11-24T00:00:00Z.") var since: String
    @Option(help: "End of the window (exclusive).") var until: String
    @Option(help: "Device name or SQL LIKE pattern (default: all).") var device = "%"
    @Option(help: "Sensor name or SQL LIKE pattern (default: all).") var sensor = "%"
    @Option(help: "Priority: lower runs first.") var priority: Int16 = 0
    @Option(name: .customLong("max-attempts"), help: "Attempts before a job stays failed.") var maxAttempts: Int16 = 5

    func validate() throws {
        guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be between 1 and 100") }
    }

    func run() async throws {
        let logger = global.bootstrapLogging()
        let connection = try await global.connectCurrent(logger: logger)
        let bounds = try await connection.query(
            "SELECT $1::timestamptz, $2::timestamptz, $2::timestamptz > $1::timestamptz", since, until
        ).single()
        guard try bounds.decode(2) as Bool else {
            throw ValidationError("--until (\(until)) must be after --since (\(since))")
        }
        let start: PostgresTimestamp = try bounds.decode(0)
        let end: PostgresTimestamp = try bounds.decode(1)
        let rows = try await connection.query(JobQueries.enqueueWindow.bind(start, end, device, sensor, priority, maxAttempts))
        print("queued \(rows.count) job(s) for [\(start), \(end))")
        await connection.close()
    }
}
