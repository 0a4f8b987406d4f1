import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PgClient
import PgScorer
import PgScorerWeb
import Synchronization
import TestSupport
import Testing

/// What `pgscorer serve` guarantees against a hostile page or client: loopback names
/// only (no DNS rebinding), actions only from its own pages, no inline script, nothing
/// cached, trickled headers cut off, probes that leak nothing, refusals logged, and a
/// reader login for a read-only server.
@Suite("Dashboard security")
struct DashboardSecurityTests {
    @Test("Host names: localhost, [::1], parsed 127/8 addresses and the listen address; never a name that only starts with 127.")
    func hostNames() {
        let check = HostCheck(listenHost: "127.0.0.1")
        for host in ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "[::1]", "::1"] { #expect(check.accepts(host: host), "\(host)") }
        for host in ["127.evil.example", "127.0.0.1.nip.io", "127.0.0.1@evil.example", "evil.example", "", "127.0.0.256", "127.0.0", "0x7f.0.0.1", "127.0.0.1."] {
            #expect(!check.accepts(host: host), "\(host)")
        }
        #expect(HostCheck(listenHost: "dash.local").accepts(host: "dash.local"))
        #expect(HostCheck.split(authority: "127.0.0.1@evil.example:8080").host == "127.0.0.1@evil.example")
        #expect(HostCheck.split(authority: "[::1]:8080") == ("[::1]", 8080))
        #expect(HostCheck.split(authority: "127.0.0.1:80x").host == "")

        #expect(check.acceptsOrigin("http://127.0.0.1:8080", authority: "127.0.0.1:8080"))
        #expect(check.acceptsOrigin("http://localhost:8080", authority: "127.0.0.1:8080"))
        #expect(check.acceptsOrigin("http://[::1]:8080", authority: "[::1]:8080"))
        for (origin, authority) in [
            ("null", "127.0.0.1:8080"), ("http://127.evil.example:8080", "127.0.0.1:8080"), ("https://127.0.0.1:8080", "127.0.0.1:8080"),
            ("http://127.0.0.1:9999", "127.0.0.1:8080"), ("http://127.0.0.1:8080", "127.evil.example:8080"), ("garbage", "127.0.0.1:8080"),
            ("http://user@127.0.0.1:8080", "127.0.0.1:8080"),
        ] {
            #expect(!check.acceptsOrigin(origin, authority: authority), "\(origin) for \(authority)")
        }
        // Behind an auth file the server may have any name: the Origin names the Host.
        #expect(DashboardRoutes.originNamesHost(origin: "https://Dash.Example.com", authority: "dash.example.com"))
        #expect(!DashboardRoutes.originNamesHost(origin: "null", authority: "dash.example.com"))
        #expect(!DashboardRoutes.originNamesHost(origin: "http://evil.example", authority: "dash.example.com"))
    }

    @Test("DNS rebinding: a page under another name gets no token, and its forged POST cancels nothing")
    func rebinding() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
            let jobs = try await fixture.enqueue(.utc("2026-01-01T00:00:00Z"), .utc("2026-01-02T00:00:00Z"))
            try #require(!jobs.isEmpty)
            let server = DashboardTests.server(fixture, allowActions: true)
            defer { Task { await server.shutdown() } }
            try await server.makeApplication().test(.live) { client in
                let port = try #require(client.port)
                for host in ["127.evil.example", "127.0.0.1.nip.io", "127.0.0.1@evil.example", "evil.example"] {
                    let response = try RawHTTP.exchange(port: port, "GET /jobs/\(jobs[0]) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n\r\n")
                    #expect(response.hasPrefix("HTTP/1.1 403") && !response.contains("csrf"), "Host \(host): \(response.prefix(300))")
                }
                let page = try RawHTTP.exchange(port: port, "GET /jobs/\(jobs[0]) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n")
                let token = try #require(page.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1, "\(page.prefix(500))")
                func cancel(host: String, origin: String) throws -> String {
                    let body = "csrf=\(token)"
                    return try RawHTTP.exchange(
                        port: port,
                        "POST /jobs/\(jobs[0])/cancel HTTP/1.1\r\nHost: \(host)\r\nOrigin: \(origin)\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
                }
                let forged = try cancel(host: "127.evil.example:\(port)", origin: "http://127.evil.example:\(port)")
                #expect(forged.hasPrefix("HTTP/1.1 403"), "\(forged.prefix(300))")
                let sandboxed = try cancel(host: "127.0.0.1:\(port)", origin: "null")
                #expect(sandboxed.hasPrefix("HTTP/1.1 403") && sandboxed.contains("another site"), "\(sandboxed.prefix(300))")
                #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE job_id = $1 AND state = 'available'", jobs[0]) == 1)
                let own = try cancel(host: "localhost:\(port)", origin: "http://localhost:\(port)")
                #expect(own.hasPrefix("HTTP/1.1 303"), "\(own.prefix(300))")
                #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE job_id = $1 AND state = 'cancelled'", jobs[0]) == 1)
            }
        }
    }

    @Test("pages: no inline script (the CSP forbids it), not cached, no referrer; the script is served by the server")
    func pageHeaders() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
            let server = DashboardTests.server(fixture)
            defer { Task { await server.shutdown() } }
            try await server.makeApplication().test(.live) { client in
                for path in ["/", "/series?device=pump-1&sensor=temp", "/jobs", "/models", "/schedules", "/health"] {
                    let (headers, body) = try await client.execute(uri: path, method: .get) { ($0.headers, String(buffer: $0.body)) }
                    let policy = headers[.contentSecurityPolicy] ?? ""
                    #expect(policy.contains("script-src 'self'") && !policy.contains("script-src 'unsafe-inline'"), "\(path): \(policy)")
                    #expect(headers[.cacheControl] == "no-store", "\(path)")
                    #expect(headers[.init("Referrer-Policy")!] == "no-referrer", "\(path)")
                    #expect(body.contains("<script src=\"/assets/pgscorer.js\" defer></script>"), "\(path)")
                    #expect(body.components(separatedBy: "<script").count == 2, "\(path): one script tag, and it has a src")
                }
                let (status, type, script) = try await client.execute(uri: "/assets/pgscorer.js", method: .get) {
                    ($0.status, $0.headers[.contentType], String(buffer: $0.body))
                }
                #expect(status == .ok && type?.hasPrefix("text/javascript") == true && script.contains("autorefresh"))
            }
        }
    }

    @Test("a client that trickles its request head is cut off after the header timeout")
    func headerTimeout() async throws {
        try await ScorerFixture.with { fixture in
            var configuration = DashboardServer.Configuration(databaseURL: fixture.database.url)
            configuration.port = 0
            configuration.headerTimeout = .seconds(1)
            let server = DashboardServer(configuration: configuration, logger: Logger(label: "test"))
            defer { Task { await server.shutdown() } }
            try await server.makeApplication().test(.live) { client in
                let connection = try RawHTTP(port: try #require(client.port), timeout: .seconds(2))
                defer { connection.close() }
                let start = ContinuousClock.now
                var open = connection.send("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                while open, ContinuousClock.now - start < .seconds(30) {
                    try await Task.sleep(for: .milliseconds(200))
                    open = connection.send("X-Slow: a\r\n")
                }
                // The timeout is 1 s; the bound leaves room for a loaded machine (before: ≥ 65 s).
                #expect(!open, "the server kept a trickling request open for 30 s")
                #expect(ContinuousClock.now - start < .seconds(15), "cut off after \(ContinuousClock.now - start)")
            }
        }
    }

    @Test("/readyz without credentials names no database detail; refused logins are logged with user, address and Origin")
    func probesAndRefusals() async throws {
        let log = CapturedLog()
        let logger = Logger(label: "test") { _ in log }
        var configuration = DashboardServer.Configuration(databaseURL: "host=/nonexistent-socket-folder dbname=secret_db connect_timeout=2")
        configuration.port = 0
        configuration.access = AccessPolicy(users: ["alice": "correct-horse"], tokens: [])
        let server = DashboardServer(configuration: configuration, logger: logger)
        defer { Task { await server.shutdown() } }
        try await server.makeApplication().test(.live) { client in
            let (status, body) = try await client.execute(uri: "/readyz", method: .get) { ($0.status, String(buffer: $0.body)) }
            #expect(status == .serviceUnavailable && body.hasPrefix("not ready"))
            #expect(!body.contains("nonexistent") && !body.contains("secret_db") && !body.contains("socket"), "\(body)")
            let (refused, _) = try await client.execute(
                uri: "/jobs", method: .get,
                headers: [.authorization: "Basic " + Data("mallory:guess-guess".utf8).base64EncodedString(), .origin: "http://evil.example"]
            ) { ($0.status, String(buffer: $0.body)) }
            #expect(refused == .unauthorized)
        }
        let lines = log.lines
        #expect(lines.contains { $0.contains("login refused") && $0.contains("http.user=mallory") && $0.contains("http.peer=127.0.0.1:") && $0.contains("http.origin=http://evil.example") }, "\(lines)")
        #expect(lines.contains { $0.contains("not ready") && $0.contains("nonexistent") }, "the reason is in the log: \(lines)")
    }

    @Test("a read-only server reads through a reader login when given one; that login cannot take the gauges' lease")
    func readerLogin() async throws {
        try await ScorerFixture.with { fixture in
            let reader = try await SecurityTests.login(fixture, role: "pgscorer_reader")
            try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
            var configuration = DashboardServer.Configuration(databaseURL: fixture.database.url)
            configuration.port = 0
            configuration.readerURL = reader.url
            let server = DashboardServer(configuration: configuration, logger: Logger(label: "test"))
            defer { Task { await server.shutdown() } }
            try await server.check()
            try await server.makeApplication().test(.live) { client in
                let (status, page) = try await client.execute(uri: "/models", method: .get) { ($0.status, String(buffer: $0.body)) }
                #expect(status == .ok && page.contains("pump-1"), "\(page.prefix(400))")
                let (_, metrics) = try await client.execute(uri: "/metrics", method: .get) { ($0.status, String(buffer: $0.body)) }
                #expect(metrics.contains("pgscorer_queue_gauges_exporter 0"), "\(metrics.suffix(400))")
                let logins: [String] = try await fixture.connection.query(
                    "SELECT DISTINCT usename::text FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'pgscorer serve%'"
                ).map { try $0.decode(0) }
                #expect(logins == [reader.url.components(separatedBy: "user=").last!], "\(logins)")
            }
        }
    }
}

/// Collects log lines (message and metadata) for tests that check what was logged.
final class CapturedLog: LogHandler, @unchecked Sendable {
    private let storage = Mutex<[String]>([])
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var lines: [String] { storage.withLock { $0 } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let fields = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        storage.withLock { $0.append("\(event.level) \(event.message) \(fields)") }
    }
}
