import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PgClient
import ServiceLifecycle

/// Sends alert webhooks: takes due rows of `pgscorer.alert_deliveries` (written with the
/// alert's change, an outbox), POSTs each payload as JSON, and marks it delivered on a
/// 2xx answer; anything else is tried again with exponential backoff (`backoff`), and
/// given up after `maxAttempts` with the last error kept. Runs on its own connection and
/// task, so a slow or dead receiver never holds up scoring or the other upkeep. Woken
/// by `NOTIFY pgscorer_alert_deliveries`, else looks every `poll`.
package struct WebhookSender: Service {
    package var backoff = RetryBackoff()
    package var maxAttempts = 12
    package var timeout: Duration = .seconds(10)
    package var poll: Duration = .seconds(5)
    package var batchSize = 20
    let connection: PersistentConnection
    let logger: Logger

    package init(databaseURL: String, logger: Logger) {
        self.logger = logger
        connection = PersistentConnection(databaseURL: databaseURL, applicationName: "pgscorer webhooks", logger: logger)
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            await connection.run { connection in
                try await connection.listen("pgscorer_alert_deliveries")
                while !Task.isCancelled {
                    while try await sendDue(on: connection) > 0 {}
                    // Until a retry falls due, a NOTIFY of a new delivery, or the next look.
                    let next: Double? = try await connection.query(PostgresQuery(AlertQueries.nextDelivery)).single().decode("seconds")
                    let wait = min(poll, .milliseconds(Int(max(next ?? .infinity, 0.01).clamped(to: 0.01...3600) * 1000)))
                    _ = try await connection.nextNotification(timeout: wait)
                }
            }
        }
    }

    /// Sends what is due now, one batch; returns how many it tried.
    @discardableResult
    package func sendDue(on connection: PostgresConnection) async throws -> Int {
        let lease = timeout.seconds * 2 + 5
        let due = try await connection.query(AlertQueries.takeDeliveries.bind(batchSize, lease)).map {
            (id: try $0.decode("delivery_id") as Int64, url: try $0.decode("url") as String, payload: try $0.decode("payload") as String,
             attempts: try $0.decode("attempts") as Int)
        }
        // All of a batch at once: one dead receiver (a connect that times out) must not
        // hold up the others' deliveries.
        let outcomes = await withTaskGroup(of: (Int, String?).self) { group in
            for (index, delivery) in due.enumerated() {
                group.addTask { (index, await post(delivery.payload, to: delivery.url)) }
            }
            var outcomes = [String?](repeating: nil, count: due.count)
            for await (index, problem) in group { outcomes[index] = problem }
            return outcomes
        }
        var generator = SystemRandomNumberGenerator()
        for (delivery, problem) in zip(due, outcomes) {
            if let problem {
                let givingUp = delivery.attempts >= maxAttempts
                let delay = backoff.delay(afterAttempt: delivery.attempts, using: &generator)
                try await connection.execute(AlertQueries.deliveryFailed.bind(delivery.id, problem, delay, givingUp))
                logger.warning(
                    givingUp ? "alert webhook failed; giving up" : "alert webhook failed; will retry",
                    metadata: [
                        "delivery": "\(delivery.id)", "url": "\(Self.redacted(delivery.url))", "attempt": "\(delivery.attempts)",
                        "error": "\(problem)",
                        "retry.in": "\(givingUp ? "never" : String(format: "%.1fs", delay))",
                    ])
            } else {
                try await connection.execute(AlertQueries.delivered.bind(delivery.id))
                logger.info("alert webhook delivered", metadata: ["delivery": "\(delivery.id)", "url": "\(Self.redacted(delivery.url))"])
            }
        }
        return due.count
    }

    /// The URL as logs show it: scheme and host only, since paths and queries of webhook
    /// URLs often carry secret tokens.
    static func redacted(_ url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return "(a URL)" }
        return "\(scheme)://\(host)\(components.port.map { ":\($0)" } ?? "")/…"
    }

    /// POSTs `payload`; nil when the receiver answered 2xx, else what went wrong.
    private func post(_ payload: String, to url: String) async -> String? {
        do {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "pgscorer/\(PgScorerVersion.current)")
            request.body = .bytes(ByteBuffer(string: payload))
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(Int64(timeout.seconds)))
            let accepted = (200..<300).contains(response.status.code)
            // The status decides. The body is drained (up to 64 KB) so the connection can be
            // reused, and not kept: a receiver's error page may quote the URL, whose path can
            // hold a secret, and readers see `last_error`.
            var drained = 0
            for try await part in response.body {
                drained += part.readableBytes
                if drained > 65_536 { break }
            }
            return accepted ? nil : "HTTP \(response.status.code) \(response.status.reasonPhrase)"
        } catch {
            return "\(error)"
        }
    }
}

extension Comparable {
    fileprivate func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}
