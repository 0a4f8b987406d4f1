/// Exponential backoff with full jitter for retried jobs: attempt n waits a random
/// time in [base·2^(n-1)/2, base·2^(n-1)], capped at `maximum`.
package struct RetryBackoff: Sendable {
    package var base: Double = 5
    package var maximum: Double = 3_600

    package init(base: Double = 5, maximum: Double = 3_600) {
        self.base = base
        self.maximum = maximum
    }

    /// Seconds to wait before the next try after failed attempt `attempt` (1-based).
    package func delay(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Double {
        let ceiling = min(maximum, base * Double(1 << min(max(attempt - 1, 0), 30)))
        return Double.random(in: (ceiling / 2)...ceiling, using: &generator)
    }
}
