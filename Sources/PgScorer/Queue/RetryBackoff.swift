/// Exponential backoff with full jitter for retried jobs: attempt n waits a random
/// time in [base·2^(n-1)/2, base·2^(n-1)], capped at `maximum`.
struct RetryBackoff: Sendable {
    var base: Double = 5
    var maximum: Double = 3_600

    /// Seconds to wait before the next try after failed attempt `attempt` (1-based).
    func delay(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Double {
        let ceiling = min(maximum, base * Double(1 << min(max(attempt - 1, 0), 30)))
        return Double.random(in: (ceiling / 2)...ceiling, using: &generator)
    }
}
