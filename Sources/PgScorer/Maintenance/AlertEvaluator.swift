import Foundation
import Logging
import PgClient

/// Evaluates the alert rules periodically (a maintenance task). One process evaluates
/// at a time; the others skip. When no evaluation has finished for five intervals, a
/// skipping process says so: alerting has stalled somewhere.
package struct AlertEvaluator: MaintenanceTask {
    package let interval: Duration
    let logger: Logger
    package var name: String { "alerts" }

    package init(interval: Duration, logger: Logger) {
        self.interval = interval
        self.logger = logger
    }

    package func runOnce(on connection: PostgresConnection) async throws -> Int {
        let evaluation = try await AlertRules(connection: connection).evaluate()
        if evaluation.skipped, Self.stalled(lastEvaluatedAt: evaluation.lastEvaluatedAt, interval: interval, now: Date()) {
            logger.warning(
                "alert evaluation keeps being skipped: another session holds it and no evaluation has finished lately",
                metadata: ["alerts.last_evaluated_at": "\(evaluation.lastEvaluatedAt.map { "\($0)" } ?? "never")"])
        }
        return evaluation.opened + evaluation.resolved
    }

    /// True when the last finished evaluation is more than five intervals old (or none finished).
    static func stalled(lastEvaluatedAt: PostgresTimestamp?, interval: Duration, now: Date) -> Bool {
        guard let lastEvaluatedAt else { return true }
        let age = now.timeIntervalSince1970 - Double(lastEvaluatedAt.unixMicroseconds) / 1_000_000
        return age > 5 * interval.seconds
    }
}
