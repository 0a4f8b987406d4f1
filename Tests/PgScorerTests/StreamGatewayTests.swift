import Foundation
import Logging
import Migrations
import PgClient
import PgScorer
import TestSupport
import Synchronization
import Testing

/// `pgscorer stream` as devices meet it: a real mosquitto broker, mosquitto_pub, HTTP
/// over a socket, a real PostgreSQL (restarted, or stopped, under it).
@Suite("Stream gateway", .serialized)  // each brings a broker, gateways and thousands of messages: one at a time, beside the rest of the suite
struct StreamGatewayTests {
    /// A running gateway and the port of its HTTP listener (if it has one).
    struct Gateway {
        let process: PgScorerProcess
        let port: Int?

        static func start(_ arguments: [String], environment: [String: String]) async throws -> Gateway {
            let process = try PgScorerProcess(["stream"] + arguments, environment: environment)
            var port: Int?
            try await Waiting.until("the gateway to start", timeout: .seconds(30)) {
                let output = (try? String(contentsOfFile: process.outputPath, encoding: .utf8)) ?? ""
                guard process.process.isRunning else { throw TestEnvironmentError("the gateway exited: \(output)") }
                // Publishing before the gateway subscribed would be lost to it (a new session).
                if arguments.contains("--mqtt"), !output.contains("gateway subscribed at") { return false }
                guard arguments.contains("--listen") else { return true }
                guard let range = output.range(of: "gateway listening at http://127.0.0.1:") else { return false }
                port = Int(output[range.upperBound...].prefix { $0.isNumber })
                return port != nil
            }
            return Gateway(process: process, port: port)
        }

        static func start(_ arguments: [String], database: TestDatabase) async throws -> Gateway {
            var environment = ProcessInfo.processInfo.environment
            environment["DATABASE_URL"] = database.url
            return try await start(arguments, environment: environment)
        }

        func stop() async throws -> String {
            process.signal(SIGTERM)
            let (status, output) = try await process.finish(timeout: .seconds(60))
            #expect(status == 0, "the gateway stopped with \(status): \(output)")
            return output
        }
    }

    static func json(_ minute: Int, _ value: Double) -> String {
        let ts = PostgresTimestamp(unixMicroseconds: PostgresTimestamp.utc("2026-11-01T00:00:00Z").unixMicroseconds + Int64(minute) * 60_000_000)
        return "{\"ts\":\"\(ts)\",\"value\":\(value)}"
    }

    @Test("MQTT: redelivered readings stored once; a conflict and every kind of bad message a dead letter with its reason and payload; the gateway runs on")
    func mqttExactlyOnce() async throws {
        let broker = try MosquittoBroker()
        defer { broker.stop() }
        try await broker.ready()
        try await ScorerFixture.with { fixture in
            let mqtt = ["--mqtt", "mqtt://127.0.0.1:\(broker.port)", "--client-id", "test-gateway"]
            // A gateway that subscribed to another shape leaves its subscription in the
            // broker's persistent session: what arrives on it now is a dead letter (topic).
            let earlier = try await Gateway.start(mqtt + ["--topic", "old/{device}/{sensor}"], database: fixture.database)
            try await broker.publish("old/pump-0/temp", ["1"])
            try await Waiting.until("the first gateway to store its reading") { try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 1 }
            _ = try await earlier.stop()
            let gateway = try await Gateway.start(mqtt + ["--topic", "plant/{device}/{sensor}", "--listen", "127.0.0.1:0"], database: fixture.database)
            let readings = (0..<300).map { Self.json($0, Double($0) / 10) }
            try await broker.publish("plant/pump-1/temp", readings)
            try await broker.publish("plant/pump-1/temp", readings)  // QoS 1 redelivers; here all of them
            try await broker.publish("plant/pump-1/temp", [Self.json(5, 99)])
            try await broker.publish("plant/pump-1/temp", ["{\"ts\":", "{\"ts\":\"2026-12-01T06:00:00Z\",\"values\":[1,2]}",
                                                            "{\"ts\":\"1999-12-31T23:00:00Z\",\"value\":1}", "{\"ts\":\"2026-12-01T06:00:00\",\"value\":1}"])
            try await broker.publish("old/pump-1/temp", ["2"])
            try await broker.publish("plant/pump-2/hum", ["55.5"])
            try await Waiting.until("every message settled") {
                let readings = try await fixture.count("SELECT count(*) FROM pgscorer.readings")
                let rejected = try await fixture.count("SELECT count(*) FROM pgscorer.rejected_readings")
                return readings == 302 && rejected == 6
            }
            let reasons = try await fixture.connection.query(
                "SELECT reason, payload, detail FROM pgscorer.rejected_readings ORDER BY rejected_id"
            ).map { (try $0.decode("reason") as String, try $0.decode("payload") as String, try $0.decode("detail") as String) }
            #expect(reasons.map(\.0).sorted() == ["conflict", "features", "malformed", "time", "time", "topic"], "\(reasons)")
            let conflict = try #require(reasons.first { $0.0 == "conflict" })
            #expect(conflict.1 == Self.json(5, 99) && conflict.2.contains("is stored as 0.5"), "\(conflict)")
            #expect(reasons.first { $0.0 == "malformed" }?.1 == "{\"ts\":")
            #expect(reasons.first { $0.0 == "topic" }?.2 == "the topic 'old/pump-1/temp' has none of the shapes plant/{device}/{sensor}")
            #expect(try await fixture.count(
                "SELECT count(*) FROM pgscorer.readings r JOIN pgscorer.series s USING (series_id) WHERE s.device = 'pump-1' AND r.features[1] * 10 = (extract(epoch FROM r.ts - '2026-11-01') / 60)") == 300,
                "each reading once, with its first value")
            #expect(gateway.process.process.isRunning)
            let metrics = try await GatewayHTTP.get(port: gateway.port!, path: "/metrics").body
            #expect(metrics.contains("pgscorer_gateway_duplicates_total{source=\"mqtt\"} 300"), "\(metrics)")
            #expect(metrics.contains("pgscorer_gateway_rejected_total{source=\"mqtt\",reason=\"conflict\"} 1"))
            #expect(metrics.contains("pgscorer_gateway_mqtt_connected 1"))
            let registered = try await fixture.count("SELECT count(*) FROM pgscorer.gateway_health WHERE alive AND inputs LIKE '%plant/{device}/{sensor}%'")
            #expect(registered == 1)
            try await Waiting.until("a heartbeat with every count") {
                try await fixture.count("SELECT received FROM pgscorer.gateways") == 607
            }
            let status = try await PgScorerProcess.run(["status"], database: fixture.database)
            #expect(status.output.contains("gateways: 1\n"), "\(status.output)")
            #expect(status.output.contains("received 607, stored 301, duplicates 300, rejected 6"), "\(status.output)")
            #expect(status.output.contains("rejected readings in the last hour: conflict 1, features 1, malformed 1, time 2, topic 1"), "\(status.output)")
            _ = try await gateway.stop()
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.gateways") == 0, "a stopped gateway leaves")
        }
    }

    @Test("MQTT over TLS with a login: mqtts:// with --mqtt-ca and user:password in the URL; a wrong CA never connects")
    func mqttTLS() async throws {
        let broker = try await onOwnThread { try MosquittoBroker(secure: true, users: ["gateway": "gw-secret", "pump-1": "device-secret"]) }
        defer { broker.stop() }
        try await broker.ready()
        try await ScorerFixture.with { fixture in
            let gateway = try await Gateway.start(
                ["--mqtt", "mqtts://gateway:gw-secret@127.0.0.1:\(broker.port)", "--mqtt-ca", broker.caFile, "--topic", "plant/{device}/{sensor}"],
                database: fixture.database)
            #expect(try await broker.publish("plant/pump-1/temp", (0..<20).map { Self.json($0, Double($0)) }) == 0)
            try await Waiting.until("the readings over TLS") { try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 20 }
            let output = try await gateway.stop()
            #expect(!output.contains("gw-secret"), "the password is never printed")
            // The system's CAs do not know this one: the gateway keeps trying and says why.
            let untrusted = try PgScorerProcess(
                ["stream", "--mqtt", "mqtts://gateway:gw-secret@127.0.0.1:\(broker.port)", "--topic", "plant/{device}/{sensor}"],
                database: fixture.database)
            try await Waiting.until("the gateway to say it cannot connect") {
                ((try? String(contentsOfFile: untrusted.outputPath, encoding: .utf8)) ?? "").contains("cannot reach the MQTT broker")
            }
            untrusted.signal(SIGTERM)
            let refused = try await untrusted.finish(timeout: .seconds(30))
            #expect(!refused.output.contains("gateway subscribed"), "\(refused.output)")
        }
    }

    @Test("HTTP: tokens write only their own device (401 without, 403 for another, nothing stored), revocation holds within a second")
    func httpTokens() async throws {
        try await ScorerFixture.with { fixture in
            let gateway = try await Gateway.start(["--listen", "127.0.0.1:0"], database: fixture.database)
            let port = try #require(gateway.port)
            let added = try await PgScorerProcess.run(["devices", "token", "add", "pump-1", "--sensor", "temp*"], database: fixture.database)
            #expect(added.status == 0, "\(added.output)")
            let token = try #require(added.output.split(separator: "\n").first { $0.hasPrefix("pgs_") }.map(String.init))
            let line = "temp,device=pump-1 value=21.5 1764680000000000000\n"
            #expect(try await GatewayHTTP.post(port: port, path: "/write", body: line, token: token).status == 204)
            #expect(try await GatewayHTTP.post(port: port, path: "/write", body: line, token: token, scheme: "Token").status == 204, "Influx's header")
            // Gzipped, as Telegraf sends by default: two more readings.
            let zipped = try GatewayHTTP.gzip("temp,device=pump-1 value=1 1764680120000000000\ntemp,device=pump-1 value=2 1764680180000000000\n")
            let inflated = try await GatewayHTTP.post(port: port, path: "/api/v2/write?precision=ns", bytes: zipped, token: token, scheme: "Token", encoding: "gzip")
            #expect(inflated.status == 204, "\(inflated.body)")
            let garbled = try await GatewayHTTP.post(port: port, path: "/write", bytes: Array(zipped.prefix(12)), token: token, encoding: "gzip")
            #expect(garbled.status == 400 && garbled.body.contains("cannot be inflated"), "\(garbled.body)")
            #expect(try await GatewayHTTP.post(port: port, path: "/write", body: line, token: token).status == 204)
            let unauthenticated = try await GatewayHTTP.post(port: port, path: "/write", body: line)
            #expect(unauthenticated.status == 401 && unauthenticated.body.contains("device token"))
            #expect(try await GatewayHTTP.post(port: port, path: "/write", body: line, token: "pgs_guessed").status == 401)
            let foreign = try await GatewayHTTP.post(
                port: port, path: "/write", body: "temp_in,device=pump-1 value=1 1764680060000000000\nhum,device=pump-1 value=1 1764680060000000000\n", token: token)
            #expect(foreign.status == 403 && foreign.body.contains("not pump-1/hum; nothing was stored"), "\(foreign.body)")
            let other = try await GatewayHTTP.post(port: port, path: "/write", body: "temp,device=pump-2 value=1\n", token: token)
            #expect(other.status == 403 && other.body.contains("not pump-2/temp"))
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 3, "the first line once, and the gzipped two")
            // JSON lines and CSV through /ingest; a bad line answered in the summary.
            let jsonLines = """
                {"device":"pump-1","sensor":"temp","ts":"2026-12-02T10:00:00Z","value":1}
                {"device":"pump-1","sensor":"temp","ts":"2026-12-02T10:05:00Z","value":"warm"}
                """
            let summary = try await GatewayHTTP.post(port: port, path: "/ingest", body: jsonLines, token: token, contentType: "application/x-ndjson")
            #expect(summary.status == 200 && summary.body.contains("\"stored\":1") && summary.body.contains("line 2: \\\"value\\\" is not a number"), "\(summary.body)")
            let csv = "ts,device,sensor,value\n2026-12-02T11:00:00Z,pump-1,temp,3\n2026-12-02T11:05:00Z,pump-1,temp,4\n"
            #expect(try await GatewayHTTP.post(port: port, path: "/ingest", body: csv, token: token, contentType: "text/csv").status == 204)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.readings") == 6)
            // Revoked: refused within a second, without a restart.
            let revoked = try await PgScorerProcess.run(["devices", "token", "revoke", "1"], database: fixture.database)
            #expect(revoked.status == 0, "\(revoked.output)")
            try await Task.sleep(for: .milliseconds(1_050))
            #expect(try await GatewayHTTP.post(port: port, path: "/write", body: line, token: token).status == 401)
            let listed = try await PgScorerProcess.run(["devices", "token", "list"], database: fixture.database)
            #expect(listed.output.contains("revoked") && !listed.output.contains(token))
            _ = try await gateway.stop()
            // Anonymous writes only on loopback.
            let open = try await PgScorerProcess.run(["stream", "--listen", "0.0.0.0:0", "--allow-anonymous"], database: fixture.database)
            #expect(open.status == 64 && open.output.contains("--allow-anonymous only on loopback"), "\(open.output)")
        }
    }

    /// A private cluster that the test may stop and restart under the gateway.
    static func withPrivateCluster(_ body: (EmbeddedCluster, TestDatabase, [String: String]) async throws -> Void) async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-stream-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let cluster = EmbeddedCluster(home: home)
        defer {
            _ = try? cluster.stop()
            try? FileManager.default.removeItem(at: home)
        }
        // pg_ctl waits for the server: off the cooperative pool, as every other blocking call here.
        let url = try await onOwnThread { try cluster.ensureRunning(create: true, logger: Logger(label: "test")) }
        let database = TestDatabase(url: url, name: EmbeddedCluster.databaseName)
        let connection = try await database.connect()
        try await Migrator().migrate(connection)
        await connection.close()
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = url
        try await body(cluster, database, environment)
    }

    @Test("a stopped database: HTTP answers 503 with Retry-After at once, and once it is back everything flows with no restart")
    func databaseStopped() async throws {
        try await Self.withPrivateCluster { cluster, database, environment in
            let gateway = try await Gateway.start(["--listen", "127.0.0.1:0", "--allow-anonymous"], environment: environment)
            let port = try #require(gateway.port)
            #expect(try await GatewayHTTP.post(port: port, path: "/write", body: "temp,device=a value=1 1764680000000000000").status == 204)
            // Anonymous, but not from a web page: another Origin, or a rebound Host, is refused.
            for header in ["Origin: http://evil.example", "Origin: null"] {
                let page = try await GatewayHTTP.post(
                    port: port, path: "/write", bytes: Array("temp,device=a value=9 1764680000000000000".utf8), headers: [header])
                #expect(page.status == 403 && page.body.contains("not from web pages"), "\(header): \(page.body)")
            }
            #expect(try await onOwnThread { try cluster.stop() })
            // The first request after the outage waits in the buffer for the database...
            let waiting = Task { try await GatewayHTTP.post(port: port, path: "/write", body: "temp,device=a value=2 1764680060000000000") }
            // ...and once the gateway knows (its flush failed), the next are refused at once.
            try await Waiting.until("the gateway to see the database away") {
                try await GatewayHTTP.get(port: port, path: "/metrics").body.contains("pgscorer_gateway_database_up 0")
            }
            var refused: GatewayHTTP.Answer?
            try await Waiting.until("a 503") {
                let answer = try await GatewayHTTP.post(port: port, path: "/write", body: "temp,device=a value=3 1764680120000000000")
                if answer.status == 503 { refused = answer }
                return answer.status == 503
            }
            #expect(refused?.headers.contains("Retry-After: 1") == true || refused?.headers.contains("retry-after: 1") == true, "\(refused?.headers ?? "")")
            _ = try await onOwnThread { try cluster.ensureRunning(create: false, logger: Logger(label: "test")) }
            #expect(try await waiting.value.status == 204, "the waiting request is answered once its readings committed")
            try await Waiting.until("the gateway to take writes again") {
                try await GatewayHTTP.post(port: port, path: "/write", body: "temp,device=a value=4 1764680180000000000").status == 204
            }
            let check = try await database.connect()
            let values = try await check.query("SELECT features[1] AS v FROM pgscorer.readings ORDER BY ts").map { try $0.decode("v") as Double }
            #expect(values == [1, 2, 4], "what was refused was not stored; what was answered 204 was")
            await check.close()
            _ = try await gateway.stop()
        }
    }

    /// Posts `bodies` one after another, each until a 204 (a 503 or a dropped connection
    /// is tried again, as a client does): returns how many were acknowledged.
    static func postAll(port: @escaping @Sendable () -> Int, _ bodies: [String], stopWhen: @escaping @Sendable () -> Bool = { false }) async -> Int {
        var acknowledged = 0
        for body in bodies {
            while !stopWhen() {
                if let answer = try? await GatewayHTTP.post(port: port(), path: "/write", body: body), answer.status == 204 {
                    acknowledged += 1
                    break
                }
                try? await Task.sleep(for: .milliseconds(50))
            }
            if stopWhen() { break }
        }
        return acknowledged
    }

    static func lines(device: String, from: Int, count: Int) -> String {
        (from..<(from + count)).map { "temp,device=\(device) value=\($0) \(1_764_680_000 + $0 * 60)000000000" }.joined(separator: "\n")
    }

    @Test("PostgreSQL restarted in the middle of a steady MQTT and HTTP stream: nothing lost, nothing stored twice")
    func databaseRestart() async throws {
        let broker = try MosquittoBroker()
        defer { broker.stop() }
        try await broker.ready()
        try await Self.withPrivateCluster { cluster, database, environment in
            let gateway = try await Gateway.start(
                ["--listen", "127.0.0.1:0", "--allow-anonymous", "--mqtt", "mqtt://127.0.0.1:\(broker.port)", "--topic", "plant/{device}/{sensor}"],
                environment: environment)
            let port = gateway.port!
            let messages = 8_000
            async let published: Int32 = broker.publish("plant/pump-m/temp", (0..<messages).map { Self.json($0, Double($0)) })
            let bodies = (0..<100).map { Self.lines(device: "pump-h", from: $0 * 40, count: 40) }
            async let posted = Self.postAll(port: { port }, bodies)
            let check = try await database.connect()
            try await Waiting.until("the stream to be under way", timeout: .seconds(60)) {
                try await check.query("SELECT count(*) FROM pgscorer.readings").single().decode(0) as Int > 1_500
            }
            await check.close()
            #expect(try await onOwnThread { try cluster.stop() })
            try await Task.sleep(for: .milliseconds(500))
            _ = try await onOwnThread { try cluster.ensureRunning(create: false, logger: Logger(label: "test")) }
            #expect(try await published == 0)
            #expect(await posted == 100)
            let after = try await database.connect()
            try? await Waiting.until("every reading stored", timeout: .seconds(60)) {
                try await after.query("SELECT count(*) FROM pgscorer.readings").single().decode(0) as Int >= messages + 4_000
            }
            let counts = try await after.query(
                """
                SELECT s.device, count(*) AS n, count(DISTINCT r.ts) AS distinct_times
                FROM pgscorer.readings r JOIN pgscorer.series s USING (series_id) GROUP BY s.device ORDER BY s.device
                """
            ).map { "\(try $0.decode("device") as String):\(try $0.decode("n") as Int):\(try $0.decode("distinct_times") as Int)" }
            #expect(counts == ["pump-h:4000:4000", "pump-m:\(messages):\(messages)"])
            #expect(try await after.query("SELECT count(*) FROM pgscorer.rejected_readings").single().decode(0) as Int == 0, "nothing conflicted")
            await after.close()
            _ = try await gateway.stop()
        }
    }

    @Test("kill -9 of the gateway under load: every HTTP write answered 204 is stored; MQTT loses at most --mqtt-max-pending, and a restart takes the rest")
    func killedGateway() async throws {
        let broker = try MosquittoBroker()
        defer { broker.stop() }
        try await broker.ready()
        try await ScorerFixture.with { fixture in
            let arguments = [
                "--listen", "127.0.0.1:0", "--allow-anonymous", "--mqtt", "mqtt://127.0.0.1:\(broker.port)", "--topic", "plant/{device}/{sensor}",
                "--client-id", "killed-gateway", "--mqtt-max-pending", "500",
            ]
            let first = try await Gateway.start(arguments, database: fixture.database)
            let ports = Mutex<Int>(first.port!)
            let messages = 10_000
            async let published: Int32 = broker.publish("plant/pump-m/temp", (0..<messages).map { Self.json($0, Double($0)) })
            let bodies = (0..<200).map { Self.lines(device: "pump-h", from: $0 * 25, count: 25) }
            // Bodies answered 204 before the kill count; one in flight at the kill is tried again.
            async let posted = Self.postAll(port: { ports.withLock { $0 } }, bodies)
            try await Waiting.until("the stream to be under way", timeout: .seconds(60)) {
                try await fixture.count("SELECT count(*) FROM pgscorer.readings") > 2_000
            }
            first.process.signal(SIGKILL)
            _ = try await first.process.finish(timeout: .seconds(10))
            let second = try await Gateway.start(arguments, database: fixture.database)
            ports.withLock { $0 = second.port! }
            #expect(try await published == 0)
            #expect(await posted == 200)
            try await Waiting.until("the HTTP writes stored", timeout: .seconds(60)) {
                try await fixture.count("SELECT count(*) FROM pgscorer.readings r JOIN pgscorer.series s USING (series_id) WHERE s.device = 'pump-h'") == 5_000
            }
            // The broker redelivers what it sent and got no acknowledgement for; what the
            // killed gateway acknowledged and had not committed is gone: at most 500.
            var mqttStored = 0
            try? await Waiting.until("MQTT to settle", timeout: .seconds(60)) {
                let now = try await fixture.count("SELECT count(*) FROM pgscorer.readings r JOIN pgscorer.series s USING (series_id) WHERE s.device = 'pump-m'")
                defer { mqttStored = now }
                return now >= messages - 500 && now == mqttStored
            }
            let lost = messages - mqttStored
            print("kill -9 under load: \(lost) of \(messages) MQTT messages lost (bound 500)")
            #expect(lost <= 500)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.rejected_readings") == 0)
            _ = try await second.stop()
        }
    }
}
