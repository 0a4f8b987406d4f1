/// Where a job is in its life (`pgscorer.job_state`): `available → running →
/// completed`, or `retryable` (after backoff, claimable again), `failed` once its
/// attempts are used up or a failure is permanent, or `cancelled` by an operator.
package enum JobState: String, Sendable, CaseIterable, Codable {
    case available, running, retryable, completed, failed, cancelled
}
