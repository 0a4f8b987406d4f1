import ArgumentParser
import PgScorer

/// `pgscorer jobs`: retry or cancel one job by hand (by SQL: pgscorer.retry_job(ID),
/// pgscorer.cancel_job(ID)).
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "Retry or cancel a job by hand.", subcommands: [Retry.self, Cancel.self])

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a failed, cancelled or retryable job back in the queue, due now (one more attempt if it had used all).",
            discussion: "The same as SELECT pgscorer.retry_job(ID); in SQL.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The job's id (pgscorer status and the dashboard show them).") var job: Int64

        func run() async throws {
            try await global.withDatabase { try await JobControl(connection: $0.connection).retry(job) }
            print("job \(job) is queued again")
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a queued or running job (a running attempt's result is then discarded by the fence).",
            discussion: "The same as SELECT pgscorer.cancel_job(ID); in SQL.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The job's id.") var job: Int64

        func run() async throws {
            try await global.withDatabase { try await JobControl(connection: $0.connection).cancel(job) }
            print("job \(job) is cancelled")
        }
    }
}
