import ArgumentParser
import PgScorer

/// `pgscorer enqueue`: queue jobs for a past window (backfill), outside any schedule.
struct EnqueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Queue one job per selected series scoring the readings in [--since, --until).",
        discussion: "Series need an active model. A window already pending for a series is not queued twice.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Start of the window (inclusive): ISO 8601 (no zone means UTC), a date, now, or a duration ago (6h).")
    var since: String
    @Option(help: "End of the window (exclusive), in the same forms.") var until = "now"
    @OptionGroup var selection: SelectionOptions
    @Option(help: "Priority: lower runs first.") var priority: Int16 = 0
    @Option(name: .customLong("max-attempts"), help: "Attempts before a job stays failed.") var maxAttempts: Int16 = 5
    @Option(help: "table or json: how to print the summary.") var format: SummaryFormat = .table

    func validate() throws {
        guard (1...100).contains(maxAttempts) else { throw ValidationError("--max-attempts must be between 1 and 100") }
    }

    func run() async throws {
        let range = try TimeRange(since: since, until: until)
        let outcome = try await global.withDatabase { session in
            try await Backfill(connection: session.connection).enqueue(range, selection.selector, priority: priority, maxAttempts: maxAttempts)
        }
        if format == .json { return try JSONOutput.print(outcome) }
        print("queued \(outcome.jobIDs.count) job(s) for [\(range.since!), \(range.until!)) of \(outcome.seriesMatched) matching series"
            + (outcome.jobIDs.count < outcome.seriesMatched ? " (the others have no active model, or the window pending already)" : ""))
    }
}
