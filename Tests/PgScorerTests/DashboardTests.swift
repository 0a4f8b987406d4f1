import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import PgClient
import PgScorer
import PgScorerWeb
import TestSupport
import Testing

/// `pgscorer serve` over real HTTP (Hummingbird's live test server and the real
/// binary) against a real database: pages, bad parameters, read-only refusal, CSRF,
/// actions, credentials, probes and metrics.
@Suite("Dashboard and metrics")
struct DashboardTests {
    /// One series, pump-1/temp, with 200 readings up to now, scored by a real worker.
    static func scoredFleet(_ fixture: ScorerFixture) async throws -> (jobID: Int64, flagged: Int) {
        let now = Int64(Date().timeIntervalSince1970) / 60 * 60
        let start = PostgresTimestamp(unixMicroseconds: (now - 200 * 60) * 1_000_000)
        try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
        try await fixture.loadReadings(device: "pump-1", sensor: "temp", start: start, count: 200, featureCount: 2)
        let jobs = try await fixture.enqueue(start, PostgresTimestamp(unixMicroseconds: (now + 60) * 1_000_000))
        let worker = try await PgScorerProcess.run(["worker", "--exit-when-idle", "--no-scheduler"], database: fixture.database)
        #expect(worker.status == 0, "\(worker.output)")
        let flagged = try await fixture.count("SELECT count(*) FROM pgscorer.predictions WHERE is_anomaly")
        return (jobs[0], flagged)
    }

    static func server(_ fixture: ScorerFixture, allowActions: Bool = false, access: AccessPolicy = .open) -> DashboardServer {
        var configuration = DashboardServer.Configuration(databaseURL: fixture.database.url)
        configuration.port = 0
        configuration.allowActions = allowActions
        configuration.access = access
        return DashboardServer(configuration: configuration, logger: Logger(label: "test"))
    }

    static func get(_ client: any TestClientProtocol, _ uri: String, headers: HTTPFields = [:]) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(uri: uri, method: .get, headers: headers) { ($0.status, String(buffer: $0.body)) }
    }

    static func post(_ client: any TestClientProtocol, _ uri: String, form: String, headers: HTTPFields = [:]) async throws
        -> (HTTPResponse.Status, String, String?)
    {
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: form)) {
            ($0.status, String(buffer: $0.body), $0.headers[.location])
        }
    }

    static func occurrences(of needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    @Test("every page renders what the database holds; bad parameters get a 400 that names them")
    func pages() async throws {
        try await ScorerFixture.with { fixture in
            let (jobID, flagged) = try await Self.scoredFleet(fixture)
            let server = Self.server(fixture)
            defer { Task { await server.shutdown() } }
            try await server.makeApplication().test(.live) { client in
                let (status, overview) = try await Self.get(client, "/")
                #expect(status == .ok)
                #expect(overview.contains("<b>1</b><span>completed</span>"), "\(overview.prefix(3000))")
                #expect(overview.contains("data-devices=\"1\"") && overview.contains("pump-1"), "the heat map has the device")
                #expect(overview.contains("1 jobs completed, 200 readings scored"))

                let (seriesStatus, series) = try await Self.get(client, "/series?device=pump-1&sensor=temp&range=6h")
                #expect(seriesStatus == .ok)
                #expect(series.contains("data-readings=\"200\"") && series.contains("data-flagged=\"\(flagged)\""), "\(series.prefix(2000))")
                // Each flagged reading is marked in both feature panels and on the score strip.
                #expect(Self.occurrences(of: "class=\"flag\"", in: series) == flagged * 3)
                #expect(Self.occurrences(of: "<polyline", in: series) == 3)

                let (oneFeature, single) = try await Self.get(client, "/series?device=pump-1&sensor=temp&range=6h&feature=1")
                #expect(oneFeature == .ok && Self.occurrences(of: "<polyline", in: single) == 2)
                let (badRange, badRangeText) = try await Self.get(client, "/series?device=pump-1&sensor=temp&range=5weeks")
                #expect(badRange == .badRequest && badRangeText.contains("range 5weeks: use one of 1h, 6h, 24h"))
                let (badFeature, badFeatureText) = try await Self.get(client, "/series?device=pump-1&sensor=temp&feature=2")
                #expect(badFeature == .badRequest && badFeatureText.contains("has 2 feature(s), numbered from 0"))
                let (badUntil, badUntilText) = try await Self.get(client, "/series?device=pump-1&sensor=temp&until=yesterdayish")
                #expect(badUntil == .badRequest && badUntilText.contains("until &#39;yesterdayish&#39; is not a time"), "\(badUntilText.suffix(600))")
                let (_, earlier) = try await Self.get(client, "/series?device=pump-1&sensor=temp&range=1h&until=2h")
                #expect(earlier.contains("data-readings=\"60\""), "an hour ending two hours ago holds 60 of the readings")
                let (missing, missingText) = try await Self.get(client, "/series?device=pump-9&sensor=temp")
                #expect(missing == .notFound && missingText.contains("no series pump-9/temp"))
                let (_, list) = try await Self.get(client, "/series?device=pump-*")
                #expect(list.contains("<bdi>pump-1</bdi>/<bdi>temp</bdi>"))

                let (_, jobs) = try await Self.get(client, "/jobs?state=completed&device=pump-1")
                #expect(jobs.contains("/jobs/\(jobID)") && jobs.contains("The newest 1 matching jobs"))
                let (_, noJobs) = try await Self.get(client, "/jobs?state=failed")
                #expect(noJobs.contains("No job matches"))
                let (badState, badStateText) = try await Self.get(client, "/jobs?state=done")
                #expect(badState == .badRequest && badStateText.contains("state done: use one of available, running"))
                let (_, job) = try await Self.get(client, "/jobs/\(jobID)")
                #expect(job.contains("id=\"attempts\"") && job.contains(">completed<") && !job.contains("<form"), "read-only: no buttons")
                let (noJob, _) = try await Self.get(client, "/jobs/999999")
                #expect(noJob == .notFound)

                let (_, models) = try await Self.get(client, "/models?device=pump-1")
                #expect(models.contains("<bdi>pump-1</bdi>/<bdi>temp</bdi>") && models.contains("class=\"scorebox\"") && models.contains("200 scored"))
                let (schedulesStatus, _) = try await Self.get(client, "/schedules")
                #expect(schedulesStatus == .ok)

                // The fixture's synthetic model failed its check and is active (forced): the
                // health page lists it, and every page's Health link carries the badge.
                let failing = try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE active AND health = 'fail'")
                let (healthStatus, health) = try await Self.get(client, "/health")
                #expect(healthStatus == .ok && health.contains("id=\"series-health\"") && health.contains("No open alert"))
                if failing > 0 {
                    #expect(health.contains("id=\"unhealthy-models\"") && health.contains("<bdi>pump-1</bdi>/<bdi>temp</bdi>"))
                    #expect(jobs.contains("id=\"attention\"") && overview.contains("id=\"attention\""))
                } else {
                    #expect(!jobs.contains("id=\"attention\""))
                }
            }
        }
    }

    @Test("the ingest page shows the gateways, readings per minute and the latest rejected readings, escaped")
    func ingestPage() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.connection.execute(
                """
                INSERT INTO pgscorer.gateways (gateway_id, hostname, pid, version, inputs, heartbeat_seconds, received, stored, duplicates, rejected)
                VALUES ('gw-1:42', 'gw-1', 42, '0.1.0', 'mqtt mqtt://broker:1883 plant/{device}/{sensor}', 3600, 120, 100, 15, 5)
                """)
            try await fixture.connection.execute(
                """
                INSERT INTO pgscorer.ingest_minutes (minute, received, stored, duplicates, rejected)
                SELECT date_trunc('minute', now()) - make_interval(mins => m), 60, 50 + m, 8, 2 FROM generate_series(0, 9) m
                """)
            try await fixture.connection.execute(
                """
                INSERT INTO pgscorer.rejected_readings (source, device, sensor, ts, payload, reason, detail)
                VALUES ('mqtt', 'pump-1', 'temp', now(), '{"ts":"<script>","value":1}', 'time', 'the time ''<script>'' cannot be read')
                """)
            let server = Self.server(fixture)
            defer { Task { await server.shutdown() } }
            try await server.makeApplication().test(.live) { client in
                let (status, page) = try await Self.get(client, "/ingest")
                #expect(status == .ok)
                #expect(page.contains("<b>1</b><span>gateways alive</span>"), "\(page.prefix(3000))")
                #expect(page.contains("<b>545</b><span>readings stored in the last hour</span>"))
                #expect(page.contains("<b>1</b><span>rejected in the last hour</span>"))
                #expect(page.contains("mqtt mqtt://broker:1883 plant/{device}/{sensor}"))
                #expect(Self.occurrences(of: "class=\"stored\"", in: page) == 10)
                #expect(page.contains("&lt;script&gt;") && !page.contains("<script>\""), "payloads are escaped")
                #expect(page.contains("class=\"here\" href=\"/ingest\""))
            }
        }
    }

    @Test("a path that names no page gets a page saying so; an overview after scoring old readings says what its map counts")
    func missingAndOld() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
            try await fixture.loadReadings(device: "pump-1", sensor: "temp", start: .utc("2026-01-05T00:00:00Z"), count: 60, featureCount: 2)
            try await fixture.enqueue(.utc("2026-01-05T00:00:00Z"), .utc("2026-01-05T01:00:00Z"))
            #expect(try await PgScorerProcess.run(["worker", "--exit-when-idle", "--no-scheduler"], database: fixture.database).status == 0)
            let server = Self.server(fixture)
            defer { Task { await server.shutdown() } }
            try await server.makeApplication().test(.live) { client in
                let (status, text) = try await Self.get(client, "/nosuchpage")
                #expect(status == .notFound && text.contains("There is no page at /nosuchpage") && text.contains("<nav>"), "\(text.prefix(400))")
                let (_, overview) = try await Self.get(client, "/")
                #expect(overview.contains("1 jobs completed, 60 readings scored"), "the job ran in the last hour")
                #expect(overview.contains("id=\"heatmap-empty\"") && overview.contains("windows of older readings (a backfill) are not on it"), "\(overview)")
            }
        }
    }

    @Test("a read-only server refuses actions and its sessions cannot write")
    func readOnly() async throws {
        try await ScorerFixture.with { fixture in
            let (jobID, _) = try await Self.scoredFleet(fixture)
            let server = Self.server(fixture)
            defer { Task { await server.shutdown() } }
            try await server.makeApplication().test(.live) { client in
                let (status, text, _) = try await Self.post(client, "/jobs/\(jobID)/retry", form: "csrf=anything")
                #expect(status == .forbidden && text.contains("this server is read-only"))
            }
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed'") == 1)
            // The session the server reads with cannot change a row even if a page tried.
            let connection = try await fixture.database.connect()
            try await connection.executeScript(DashboardQueries.readOnlySession)
            await #expect(throws: PostgresError.self) { try await connection.execute("UPDATE pgscorer.schedules SET enabled = false") }
            await connection.close()
        }
    }

    @Test("actions need the CSRF token from a page of this server, then retry, cancel, disable and activate")
    func actions() async throws {
        try await ScorerFixture.with { fixture in
            let (jobID, _) = try await Self.scoredFleet(fixture)
            try await ScheduleStore(connection: fixture.connection).add(
                .init(name: "every-5m", cron: nil, every: .seconds(300), window: .seconds(300)))
            let second = try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2, seed: 2)
            let server = Self.server(fixture, allowActions: true)
            defer { Task { await server.shutdown() } }
            try await server.makeApplication().test(.live) { client in
                let (_, page) = try await Self.get(client, "/schedules")
                let token = try #require(page.firstMatch(of: /name="csrf" value="([0-9a-f]+)"/)?.1, "\(page)")
                #expect(page.contains("action=\"/schedules/every-5m/disable\""))
                let (_, completedPage) = try await Self.get(client, "/jobs/\(jobID)")
                #expect(!completedPage.contains("<form"), "a completed job can be neither retried nor cancelled")

                let (missing, missingText, _) = try await Self.post(client, "/jobs/\(jobID)/retry", form: "")
                #expect(missing == .forbidden && missingText.contains("CSRF token"))
                let (wrong, _, _) = try await Self.post(client, "/jobs/\(jobID)/retry", form: "csrf=0123")
                #expect(wrong == .forbidden)
                let (foreign, foreignText, _) = try await Self.post(
                    client, "/jobs/\(jobID)/retry", form: "csrf=\(token)", headers: [.origin: "https://evil.example"])
                #expect(foreign == .forbidden && foreignText.contains("another site"))
                #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed'") == 1)

                let (completedRetry, completedText, _) = try await Self.post(client, "/jobs/\(jobID)/retry", form: "csrf=\(token)")
                #expect(completedRetry == .badRequest && completedText.contains("only a failed, cancelled or retryable job can be retried"))
                let moved = try await fixture.enqueue(.utc("2026-01-01T00:00:00Z"), .utc("2026-01-02T00:00:00Z"))
                let (cancelled, _, location) = try await Self.post(client, "/jobs/\(moved[0])/cancel", form: "csrf=\(token)")
                #expect(cancelled == .seeOther && location == "/jobs/\(moved[0])")
                let (_, cancelledPage) = try await Self.get(client, "/jobs/\(moved[0])")
                #expect(cancelledPage.contains("action=\"/jobs/\(moved[0])/retry\""))
                #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE job_id = $1 AND state = 'cancelled'", moved[0]) == 1)
                let (retried, _, _) = try await Self.post(client, "/jobs/\(moved[0])/retry", form: "csrf=\(token)")
                #expect(retried == .seeOther)
                #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE job_id = $1 AND state = 'available'", moved[0]) == 1)

                let (disabled, _, _) = try await Self.post(client, "/schedules/every-5m/disable", form: "csrf=\(token)")
                #expect(disabled == .seeOther)
                #expect(try await fixture.count("SELECT count(*) FROM pgscorer.schedules WHERE name = 'every-5m' AND NOT enabled") == 1)
                let (noSchedule, noScheduleText, _) = try await Self.post(client, "/schedules/nope/enable", form: "csrf=\(token)")
                #expect(noSchedule == .notFound && noScheduleText.contains("no schedule named nope"))

                // A page never forces a model that failed its check; one that passed is activated.
                let first = second.modelID - 1
                try await fixture.connection.execute("UPDATE pgscorer.models SET health = 'fail' WHERE model_id = $1", first)
                let (refused, refusedText, _) = try await Self.post(client, "/models/\(first)/activate", form: "csrf=\(token)")
                #expect(refused == .badRequest && refusedText.contains("failed its health check"))
                try await fixture.connection.execute("UPDATE pgscorer.models SET health = 'ok' WHERE model_id = $1", first)
                let (activated, _, _) = try await Self.post(client, "/models/\(first)/activate", form: "csrf=\(token)")
                #expect(activated == .seeOther)
                #expect(try await fixture.count("SELECT count(*) FROM pgscorer.models WHERE model_id = $1 AND active", first) == 1)
                // Its first activation, when imported, and this one, which records what it replaced.
                #expect(try await fixture.count(
                    "SELECT count(*) FROM pgscorer.deployments WHERE model_id = $1 AND action = 'activate' AND previous_model_id = $2",
                    first, second.modelID) == 1)
            }
        }
    }

    @Test("with an auth file every page but the probes needs its credentials")
    func credentials() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("auth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("auth").path
        try "# operators\nalice:correct-horse\n0123456789abcdef0123\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o644)
        #expect(throws: PgScorerError.self) { try AccessPolicy.load(authFile: file) }
        do {
            _ = try AccessPolicy.load(authFile: file)
        } catch {
            #expect("\(error)".contains("can be read by others (mode 644): chmod 600"))
        }
        chmod(file, 0o600)
        let policy = try AccessPolicy.load(authFile: file)
        #expect(throws: PgScorerError.self) { try AccessPolicy.open.check(listeningOn: "0.0.0.0") }
        try policy.check(listeningOn: "0.0.0.0")
        try AccessPolicy.open.check(listeningOn: "127.0.0.1")

        try await ScorerFixture.with { fixture in
            let server = Self.server(fixture, access: policy)
            defer { Task { await server.shutdown() } }
            try await server.makeApplication().test(.live) { client in
                let (anonymous, _) = try await Self.get(client, "/")
                #expect(anonymous == .unauthorized)
                let (wrong, _) = try await Self.get(client, "/", headers: [.authorization: "Basic " + Data("alice:wrong-horse".utf8).base64EncodedString()])
                #expect(wrong == .unauthorized)
                let (basic, _) = try await Self.get(client, "/", headers: [.authorization: "Basic " + Data("alice:correct-horse".utf8).base64EncodedString()])
                #expect(basic == .ok)
                let (bearer, _) = try await Self.get(client, "/metrics", headers: [.authorization: "Bearer 0123456789abcdef0123"])
                #expect(bearer == .ok)
                let (health, _) = try await Self.get(client, "/healthz")
                let (ready, readyText) = try await Self.get(client, "/readyz")
                #expect(health == .ok && ready == .ok && readyText == "ready\n")
            }
        }
    }

    @Test("pgscorer serve listens, refuses a public address without credentials, and stops on SIGTERM")
    func serveBinary() async throws {
        try await ScorerFixture.with { fixture in
            let refused = try await PgScorerProcess.run(["serve", "--listen", "0.0.0.0:0"], database: fixture.database)
            #expect(refused.status == 1 && refused.output.contains("refusing to listen on 0.0.0.0 without credentials"), "\(refused.output)")
            let worker = try await PgScorerProcess.run(["worker", "--metrics-listen", "0.0.0.0:0"], database: fixture.database)
            #expect(worker.status == 1 && worker.output.contains("refusing to listen on 0.0.0.0 without credentials"), "\(worker.output)")

            let serve = try PgScorerProcess(["serve", "--listen", "127.0.0.1:0"], database: fixture.database)
            let port = try await Self.waitForPort(serve, pattern: /dashboard at http:\/\/127\.0\.0\.1:(\d+)\//)
            let client = TestClient(host: "127.0.0.1", port: port)
            client.connect()
            let page = try await client.get("/")
            #expect(page.head.status == .ok && String(buffer: page.body ?? ByteBuffer()).contains("read-only"))
            let ready = try await client.get("/readyz")
            #expect(ready.head.status == .ok)
            try await client.shutdown()
            serve.signal(SIGTERM)
            let result = try await serve.finish(timeout: .seconds(30))
            #expect(result.status == 0, "\(result.output)")
        }
    }

    @Test("a worker's /metrics counts what it scored; its JSON logs name series and summarize")
    func workerMetrics() async throws {
        try await ScorerFixture.with { fixture in
            let now = Int64(Date().timeIntervalSince1970) / 60 * 60
            let start = PostgresTimestamp(unixMicroseconds: (now - 300 * 60) * 1_000_000)
            for sensor in ["temp", "vib", "load"] {
                try await fixture.addModel(device: "pump-1", sensor: sensor, featureCount: 2)
                try await fixture.loadReadings(device: "pump-1", sensor: sensor, start: start, count: 300, featureCount: 2)
            }
            for hour in 0..<5 {
                let from = PostgresTimestamp(unixMicroseconds: (now - Int64(300 - hour * 60) * 60) * 1_000_000)
                try await fixture.enqueue(from, PostgresTimestamp(unixMicroseconds: from.unixMicroseconds + 3_600_000_000))
            }
            let worker = try PgScorerProcess(
                ["worker", "--metrics-listen", "127.0.0.1:0", "--no-scheduler", "--summary-every", "1s", "--log-format", "json",
                 "--log-level", "debug", "--batch", "4"],
                database: fixture.database)
            let port = try await Self.waitForPort(worker, pattern: /metrics at http:\/\/127\.0\.0\.1:(\d+)\/metrics/)
            let deadline = ContinuousClock.now + .seconds(60)
            while try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed'") < 15, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            try await Task.sleep(for: .milliseconds(1500))  // one summary interval
            let client = TestClient(host: "127.0.0.1", port: port)
            client.connect()
            let response = try await client.get("/metrics")
            let metrics = String(buffer: response.body ?? ByteBuffer())
            try await client.shutdown()
            worker.signal(SIGTERM)
            let result = try await worker.finish(timeout: .seconds(30))
            #expect(result.status == 0)

            let readings = try await fixture.count("SELECT coalesce(sum(rows_scored), 0)::int8 FROM pgscorer.job_runs WHERE outcome = 'completed'")
            let anomalies = try await fixture.count("SELECT count(*) FROM pgscorer.predictions WHERE is_anomaly")
            #expect(metrics.contains("pgscorer_jobs_total{outcome=\"completed\"} 15"), "\(metrics)")
            #expect(metrics.contains("pgscorer_readings_scored_total \(readings)"), "\(metrics)")
            #expect(metrics.contains("pgscorer_anomalies_total \(anomalies)"))
            #expect(metrics.contains("pgscorer_batch_phase_seconds_bucket{phase=\"claim\""))
            #expect(metrics.contains("pgscorer_batch_phase_seconds_count{phase=\"complete\"}"))
            #expect(metrics.contains("pgscorer_claim_batch_size_bucket"))
            #expect(metrics.contains("pgscorer_model_cache_models 3"))
            #expect(metrics.contains("pgscorer_queue_gauges_exporter 1") && metrics.contains("pgscorer_queue_jobs{state=\"completed\"} 15"))
            #expect(metrics.contains("# TYPE pgscorer_schedule_tick_latency_seconds gauge"))
            #expect(!metrics.contains("pump-1"), "no label names a series")

            let lines = result.output.split(separator: "\n").filter { $0.hasPrefix("{") }
            #expect(!lines.isEmpty && lines.allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) != nil }, "\(result.output)")
            let completed = lines.first { $0.contains("\"message\":\"job completed\"") }
            #expect(completed?.contains("\"series\":\"pump-1/") == true, "\(completed ?? "")")
            let summary = lines.first { $0.contains("\"message\":\"scored in the last 1s\"") }
            #expect(summary?.contains("\"batch.p95\":") == true && summary?.contains("\"level\":\"info\"") == true, "\(result.output)")
        }
    }

    /// Waits for the line a server prints once it listens; returns the port.
    static func waitForPort(_ process: PgScorerProcess, pattern: Regex<(Substring, Substring)>) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let output = (try? String(contentsOfFile: process.outputPath, encoding: .utf8)) ?? ""
            if let match = output.firstMatch(of: pattern), let port = Int(match.1) { return port }
            guard process.process.isRunning else { throw TestEnvironmentError("pgscorer exited: \(output)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestEnvironmentError("pgscorer did not say where it listens")
    }
}
