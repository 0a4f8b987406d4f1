import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PgClient
import PgScorer
import Synchronization
import TestSupport
import Testing

/// Alert webhooks against a real HTTP receiver on loopback (Hummingbird's live test
/// server) and a real PostgreSQL: the outbox row written with the alert, retries with
/// backoff, giving up, validation, and delivery by a running worker.
@Suite("Alert webhooks")
struct WebhookTests {
    /// Answers `failures` POSTs with 500, then 200; keeps every body.
    final class Receiver: Sendable {
        let bodies = Mutex<[String]>([])
        let failures: Int

        init(failures: Int) { self.failures = failures }

        var application: some ApplicationProtocol {
            let router = Router()
            router.post("/hook") { request, _ -> Response in
                var request = request
                let body = String(buffer: try await request.collectBody(upTo: 1 << 20))
                let count = self.bodies.withLock { bodies in
                    bodies.append(body)
                    return bodies.count
                }
                guard count > self.failures else {
                    // Like many error pages, it quotes the URL (whose path may hold a secret).
                    return Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: "no luck with \(request.uri)")))
                }
                return Response(status: .ok)
            }
            return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        }
    }

    /// pump-1/temp held (quarantined), so a `held` rule opens an alert for it.
    static func heldSeries(_ fixture: ScorerFixture) async throws {
        try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
        try await fixture.connection.execute(
            """
            INSERT INTO pgscorer.series_failures (series_id, consecutive, last_error, last_job_id, held_since)
            SELECT series_id, 3, 'payload does not decode', 1, now() FROM pgscorer.series WHERE device = 'pump-1'
            """)
    }

    static func sender(_ fixture: ScorerFixture, maxAttempts: Int = 12) -> WebhookSender {
        var sender = WebhookSender(databaseURL: fixture.database.url, logger: Logger(label: "test"))
        sender.backoff = RetryBackoff(base: 0.05, maximum: 0.2)
        sender.maxAttempts = maxAttempts
        sender.timeout = .seconds(2)
        return sender
    }

    /// Sends until no delivery is pending (or 10 s pass).
    static func drain(_ sender: WebhookSender, _ fixture: ScorerFixture) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while try await fixture.count("SELECT count(*) FROM pgscorer.alert_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL") > 0,
            ContinuousClock.now < deadline
        {
            try await sender.sendDue(on: fixture.connection)
            try await Task.sleep(for: .milliseconds(30))
        }
    }

    @Test("an opened and a resolved alert are POSTed as JSON; a failing receiver is retried with backoff until it accepts")
    func retries() async throws {
        let receiver = Receiver(failures: 2)
        try await receiver.application.test(.live) { client in
            let port = try #require(client.port)
            try await ScorerFixture.with { fixture in
                try await Self.heldSeries(fixture)
                let rules = AlertRules(connection: fixture.connection)
                try await rules.add(name: "held", kind: .held, selector: .all, for: .zero, webhook: "http://127.0.0.1:\(port)/hook")
                #expect(try await rules.evaluate().counts == (1, 0))
                #expect(try await fixture.count("SELECT count(*) FROM pgscorer.alert_deliveries WHERE event = 'opened'") == 1)
                try await Self.drain(Self.sender(fixture), fixture)
                let delivered = try await fixture.connection.query(
                    "SELECT attempts, delivered_at IS NOT NULL AS delivered, last_error FROM pgscorer.alert_deliveries").single()
                #expect(try delivered.decode("attempts") as Int == 3 && delivered.decode("delivered") as Bool)
                #expect(try delivered.decode("last_error") as String? == nil)
                let bodies = receiver.bodies.withLock { $0 }
                #expect(bodies.count == 3 && Set(bodies).count == 1, "the same payload each time: \(bodies)")
                let opened = try #require(try JSONSerialization.jsonObject(with: Data(bodies[0].utf8)) as? [String: Any])
                #expect(opened["event"] as? String == "opened" && opened["device"] as? String == "pump-1" && opened["rule"] as? String == "held")

                _ = try await Quarantine(connection: fixture.connection).resume(.all)
                #expect(try await rules.evaluate().counts == (0, 1))
                try await Self.drain(Self.sender(fixture), fixture)
                let last = try #require(receiver.bodies.withLock { $0.last })
                #expect(last.contains("\"event\": \"resolved\""), "\(last)")
            }
        }
    }

    @Test("a receiver that never accepts is given up after the last attempt, with its error kept")
    func givesUp() async throws {
        let receiver = Receiver(failures: .max)
        try await receiver.application.test(.live) { client in
            let port = try #require(client.port)
            try await ScorerFixture.with { fixture in
                try await Self.heldSeries(fixture)
                let rules = AlertRules(connection: fixture.connection)
                try await rules.add(name: "held", kind: .held, selector: .all, for: .zero, webhook: "http://127.0.0.1:\(port)/hook")
                try await rules.add(name: "nowhere", kind: .held, selector: .all, for: .zero, webhook: "http://127.0.0.1:1/hook")
                _ = try await rules.evaluate()
                try await Self.drain(Self.sender(fixture, maxAttempts: 3), fixture)
                let rows = try await fixture.connection.query(
                    "SELECT url, attempts, failed_at IS NOT NULL AS failed, last_error FROM pgscorer.alert_deliveries ORDER BY url LIKE '%:1/hook'")
                #expect(rows.count == 2)
                for row in rows {
                    #expect(try row.decode("attempts") as Int == 3 && row.decode("failed") as Bool)
                }
                let receiverError: String? = try rows[0].decode("last_error")
                #expect(receiverError == "HTTP 500 Internal Server Error", "the error page is not kept: \(receiverError ?? "")")
                #expect(try (rows[1].decode("last_error") as String?)?.isEmpty == false)
                #expect(receiver.bodies.withLock { $0.count } == 3)
            }
        }
    }

    @Test("rules list a webhook by scheme and host only, whatever the shape of its URL")
    func listedWithoutSecrets() async throws {
        try await ScorerFixture.with { fixture in
            let shown = [
                "https://hooks.example.com/services/T0/secret": "https://hooks.example.com/…",
                "http://127.0.0.1:8080/hook?token=secret": "http://127.0.0.1:8080/…",
                "https://user:secret@hooks.example.com/x": "https://hooks.example.com/…",
                "https://[::1]:9000#secret": "https://[::1]:9000/…",
                "http://user:secret@": "(hidden)",
                "http://user:secret@/x": "(hidden)",
                "https://a@b:secret@host/": "(hidden)",
                "https://u:pa/secret@h": "(hidden)",
                "http://?token=secret": "(hidden)",
            ]
            for (index, url) in shown.keys.sorted().enumerated() {
                try await fixture.connection.execute(
                    "INSERT INTO pgscorer.alert_rules (name, kind, webhook_url) VALUES ($1, 'stale', $2)", "rule-\(index)", url)
            }
            let rows = try await fixture.connection.query(
                "SELECT r.webhook_url, l.webhook FROM pgscorer.alert_rule_list l JOIN pgscorer.alert_rules r USING (rule_id)")
            #expect(rows.count == shown.count)
            for row in rows {
                let url: String = try row.decode("webhook_url")
                #expect(try row.decode("webhook") as String == shown[url], "\(url)")
            }
        }
    }

    @Test("a webhook that is not an http(s) URL is refused in words")
    func validation() async throws {
        try await ScorerFixture.with { fixture in
            let result = try await PgScorerProcess.run(
                ["alerts", "rule", "add", "r", "--kind", "stale", "--webhook", "ftp://example.com/x"], database: fixture.database)
            #expect(result.status == 1 && result.output.contains("webhook 'ftp://example.com/x' is not an http:// or https:// URL"), "\(result.output)")
            #expect(!result.output.contains("SQLSTATE"))
        }
    }

    @Test("a running worker evaluates the rule and delivers its webhook")
    func workerDelivers() async throws {
        let receiver = Receiver(failures: 1)
        try await receiver.application.test(.live) { client in
            let port = try #require(client.port)
            try await ScorerFixture.with { fixture in
                try await Self.heldSeries(fixture)
                let add = try await PgScorerProcess.run(
                    ["alerts", "rule", "add", "held", "--kind", "held", "--webhook", "http://127.0.0.1:\(port)/hook?token=s3cret"],
                    database: fixture.database)
                #expect(add.status == 0, "\(add.output)")
                let list = try await PgScorerProcess.run(["alerts", "rule", "list"], database: fixture.database)
                #expect(list.output.contains("http://127.0.0.1:\(port)/…") && !list.output.contains("s3cret"), "\(list.output)")
                let worker = try PgScorerProcess(["worker", "--no-scheduler", "--retry-base", "200ms"], database: fixture.database)
                let deadline = ContinuousClock.now + .seconds(20)
                while try await fixture.count("SELECT count(*) FROM pgscorer.alert_deliveries WHERE delivered_at IS NOT NULL") == 0,
                    ContinuousClock.now < deadline
                {
                    try await Task.sleep(for: .milliseconds(100))
                }
                worker.signal(SIGTERM)
                let result = try await worker.finish(timeout: .seconds(30))
                #expect(result.status == 0, "\(result.output)")
                #expect(receiver.bodies.withLock { $0.count } == 2, "one failure, one retry that landed")
                #expect(try await fixture.count("SELECT count(*) FROM pgscorer.alert_deliveries WHERE delivered_at IS NOT NULL AND attempts = 2") == 1)
            }
        }
    }
}
