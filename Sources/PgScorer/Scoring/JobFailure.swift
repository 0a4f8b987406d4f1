/// Why one job's attempt failed, classified where the failure arose: `retryable`
/// failures (a statement timeout, a full disk) are worth another attempt after backoff;
/// permanent ones (a payload that does not decode, a feature count that differs from
/// the model's) fail the job at once.
package struct JobFailure: Error, Sendable, CustomStringConvertible {
    package let job: ClaimedJob
    package let reason: String
    package let retryable: Bool
    package let durationMilliseconds: Double

    package init(job: ClaimedJob, reason: String, retryable: Bool, durationMilliseconds: Double = 0) {
        self.job = job
        self.reason = reason
        self.retryable = retryable
        self.durationMilliseconds = durationMilliseconds
    }

    package var description: String { reason }
}
