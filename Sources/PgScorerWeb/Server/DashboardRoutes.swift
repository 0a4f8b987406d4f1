import Foundation
import Hummingbird
import Logging
import PgClient
import PgScorer

/// The pages and the actions, each route loading through the library and rendering
/// with `Pages/`. Query parameters are checked here and a bad one gets a 400 page that
/// names it.
package struct DashboardRoutes {
    let server: DashboardServer
    private var actions: ActionForms? { server.configuration.allowActions ? ActionForms(csrfToken: server.csrfToken) : nil }
    private var allowActions: Bool { server.configuration.allowActions }

    func add(to router: Router<DashboardRequestContext>) {
        router.get(RouterPath(PageScript.path)) { _, _ in PageScript.response }
        router.get("/") { request, _ in await guarded(request, .overview) { try await overview() } }
        router.get("/series") { request, _ in await guarded(request, .series) { try await series(Self.parameters(request)) } }
        router.get("/jobs") { request, _ in await guarded(request, .jobs) { try await jobs(Self.parameters(request)) } }
        router.get("/jobs/:id") { request, context in
            await guarded(request, .jobs) { try await job(context.parameters.get("id") ?? "") }
        }
        router.get("/models") { request, _ in await guarded(request, .models) { try await models(Self.parameters(request)) } }
        router.get("/schedules") { request, _ in await guarded(request, .schedules) { try await schedules() } }
        router.get("/health") { request, _ in await guarded(request, .health) { try await health(Self.parameters(request)) } }
        router.get("/ingest") { request, _ in await guarded(request, .ingest) { try await ingest() } }
        router.post("/jobs/:id/:action") { request, context in
            try await act(request, context: context) { connection in
                guard let id = Int64(context.parameters.get("id") ?? "") else { throw PgScorerError(.invalidInput, "no such job") }
                switch context.parameters.get("action") {
                case "retry": try await JobControl(connection: connection).retry(id)
                case "cancel": try await JobControl(connection: connection).cancel(id)
                default: throw PgScorerError(.notFound, "no such action")
                }
                return "/jobs/\(id)"
            }
        }
        router.post("/schedules/:name/:action") { request, context in
            try await act(request, context: context) { connection in
                let name = context.parameters.get("name") ?? ""
                switch context.parameters.get("action") {
                case "enable": try await ScheduleStore(connection: connection).setEnabled(name, true)
                case "disable": try await ScheduleStore(connection: connection).setEnabled(name, false)
                default: throw PgScorerError(.notFound, "no such action")
                }
                return "/schedules"
            }
        }
        router.post("/models/:id/activate") { request, context in
            try await act(request, context: context) { connection in
                guard let id = Int64(context.parameters.get("id") ?? "") else { throw PgScorerError(.invalidInput, "no such model") }
                // Never forced from a page: a model that failed its check needs the CLI's --force.
                try await ModelStore(connection: connection).activate(id)
                return "/models"
            }
        }
    }

    /// Runs a page's handler; a failure (the database unreachable, say) is logged and
    /// shown as a page that says what failed, never an empty 500.
    private func guarded(_ request: Request, _ section: Layout.Section, _ handler: () async throws -> Response) async -> Response {
        do {
            return try await handler()
        } catch {
            server.logger.error("page failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return await page(
                "Cannot show this page", section,
                "<p class=\"error\" id=\"problem\">\(String(describing: error))</p><p class=\"muted\">Reload to try again; the server log has the details.</p>",
                status: .internalServerError)
        }
    }

    /// Whether a form's `Origin` is this server. Without credentials: a loopback origin
    /// on the request's port (`HostCheck`). With them the server may sit behind any name,
    /// so the origin must name the request's `Host` (host and port). `null` never passes.
    func sameSite(origin: String, authority: String) -> Bool {
        if server.configuration.access.isOpen {
            return server.hosts.acceptsOrigin(origin, authority: authority)
        }
        return Self.originNamesHost(origin: origin, authority: authority)
    }

    /// Whether `origin` (scheme://host[:port]) names `authority` (a `Host` header's host[:port]).
    package static func originNamesHost(origin: String, authority: String) -> Bool {
        guard let schemeEnd = origin.range(of: "://") else { return false }
        return origin[schemeEnd.upperBound...].lowercased() == authority.lowercased()
    }

    /// The query string's parameters, decoded (the last of a repeated one wins).
    static func parameters(_ request: Request) -> [String: String] {
        var parameters: [String: String] = [:]
        for (key, value) in request.uri.queryParameters {
            parameters[String(key).removingPercentEncoding ?? String(key)] = String(value).removingPercentEncoding ?? String(value)
        }
        return parameters
    }

    private func page(_ title: String, _ section: Layout.Section, _ body: HTML, status: HTTPResponse.Status = .ok) async -> Response {
        // The badge is a nicety: a page still renders if its count cannot be read.
        let attention = try? await server.pool.withConnection { try await FleetHealth.Attention.load(from: $0).total }
        return html(Layout.page(title: title, section: section, actionsAllowed: allowActions, attention: attention, body), status: status)
    }

    private func problem(_ message: String, status: HTTPResponse.Status, section: Layout.Section) async -> Response {
        await page(status == .notFound ? "Not found" : "Cannot do that", section, "<p class=\"error\" id=\"problem\">\(message)</p>", status: status)
    }

    private func overview() async throws -> Response {
        let heatMap = try await server.heatMap.value()
        let overview = try await server.pool.withConnection { try await FleetOverview.load(from: $0, heatMap: heatMap) }
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        return await page("Overview", .overview, OverviewPage(overview: overview, now: now).body)
    }

    private func series(_ query: [String: String]) async throws -> Response {
        let device = query["device"].flatMap { $0.isEmpty ? nil : $0 }
        let sensor = query["sensor"].flatMap { $0.isEmpty ? nil : $0 }
        let rangeName = query["range"]
        guard let span = SeriesPage.span(named: rangeName) else {
            return await problem(
                "range \(rangeName ?? ""): use one of \(SeriesPage.ranges.map(\.name).joined(separator: ", "))", status: .badRequest,
                section: .series)
        }
        var feature: Int?
        if let text = query["feature"], !text.isEmpty {
            guard let value = Int(text), value >= 0 else {
                return await problem("feature \(text): give a feature number (0 is the first)", status: .badRequest, section: .series)
            }
            feature = value
        }
        var until: PostgresTimestamp?
        if let text = query["until"], !text.isEmpty {
            do {
                until = try TimeRange.parseBound(text, option: "until")
            } catch let error as PgScorerError {
                return await problem(error.description, status: .badRequest, section: .series)
            }
        }
        let selector = SeriesSelector(device: device, sensor: sensor)
        if selector.isExact, let device, let sensor {
            let loaded = try await server.pool.withConnection { connection -> (SeriesTrace, SampleTrace?)? in
                guard let trace = try await SeriesTrace.load(
                    device: device, sensor: sensor, from: until.map { PostgresTimestamp(unixMicroseconds: $0.unixMicroseconds - Int64(span.seconds * 1_000_000)) },
                    to: until, span: span, on: connection)
                else { return nil }
                let samples = try await SampleTrace.load(device: device, sensor: sensor, from: trace.from, to: trace.to, on: connection)
                return (trace, samples)
            }
            guard let (trace, samples) = loaded else { return await problem("no series \(device)/\(sensor)", status: .notFound, section: .series) }
            if let feature, feature >= trace.featureCount {
                return await problem(
                    "feature \(feature): series \(device)/\(sensor) has \(trace.featureCount) feature(s), numbered from 0", status: .badRequest,
                    section: .series)
            }
            let picker = SeriesPage.picker(
                device: device, sensor: sensor, range: rangeName, feature: feature, featureCount: trace.featureCount, until: query["until"])
            return await page("\(device)/\(sensor)", .series, "\(picker)\(SeriesPage.body(trace: trace, samples: samples, range: rangeName, feature: feature))")
        }
        let limit = 200
        let rows = try await server.pool.withConnection { try await SeriesListing.load(selector, limit: limit, from: $0) }
        let picker = SeriesPage.picker(device: device, sensor: sensor, range: rangeName, feature: nil, featureCount: nil, until: nil)
        return await page("Series", .series, "\(picker)\(SeriesPage.list(rows, limit: limit))")
    }

    private func jobs(_ query: [String: String]) async throws -> Response {
        func value(_ key: String) -> String? { query[key].flatMap { $0.isEmpty ? nil : $0 } }
        let state = value("state")
        if let state, JobState(rawValue: state) == nil {
            return await problem(
                "state \(state): use one of \(JobState.allCases.map(\.rawValue).joined(separator: ", "))", status: .badRequest, section: .jobs)
        }
        let filter = JobListing.Filter(
            state: state, schedule: value("schedule"), series: SeriesSelector(device: value("device"), sensor: value("sensor")))
        let jobs = try await server.pool.withConnection { try await JobListing.load(filter, from: $0) }
        return await page("Jobs", .jobs, JobsPage(actions: actions).list(jobs, filter: filter))
    }

    private func job(_ id: String) async throws -> Response {
        guard let jobID = Int64(id) else { return await problem("job \(id): a job id is a number", status: .badRequest, section: .jobs) }
        guard let detail = try await server.pool.withConnection({ try await JobListing.detail(jobID, from: $0) }) else {
            return await problem("no job \(jobID)", status: .notFound, section: .jobs)
        }
        return await page("Job \(jobID)", .jobs, JobsPage(actions: actions).detail(detail))
    }

    private func models(_ query: [String: String]) async throws -> Response {
        func value(_ key: String) -> String? { query[key].flatMap { $0.isEmpty ? nil : $0 } }
        let selector = SeriesSelector(device: value("device"), sensor: value("sensor"))
        let limit = 50
        let (entries, comparisons) = try await server.pool.withConnection { connection in
            let entries = try await ModelListing.load(selector, seriesLimit: limit, from: connection)
            let withChallenger = Array(Set(entries.filter(\.version.challenger).map(\.seriesID)))
            return (entries, try await ModelLifecycle(connection: connection).compare(seriesIDs: withChallenger))
        }
        return await page(
            "Models", .models, ModelsPage(actions: actions).body(entries, comparisons: comparisons, selector: selector, seriesLimit: limit))
    }

    private func ingest() async throws -> Response {
        let activity = try await server.pool.withConnection { try await IngestActivity.load(from: $0) }
        return await page("Ingest", .ingest, IngestPage(activity: activity).body)
    }

    private func health(_ query: [String: String]) async throws -> Response {
        func value(_ key: String) -> String? { query[key].flatMap { $0.isEmpty ? nil : $0 } }
        let selector = SeriesSelector(device: value("device"), sensor: value("sensor"))
        let health = try await server.pool.withConnection { try await FleetHealth.load(selector, from: $0) }
        return await page("Health", .health, HealthPage(health: health, selector: selector).body)
    }

    private func schedules() async throws -> Response {
        let (schedules, ticks) = try await server.pool.withConnection { connection in
            (try await ScheduleOverview.all(on: connection), try await ScheduleTicks.load(from: connection))
        }
        return await page("Schedules", .schedules, SchedulesPage(actions: actions).body(schedules, ticks: ticks))
    }

    /// Runs an action: refused unless actions are allowed and the form carries this
    /// process's CSRF token (and, when the browser says where the form came from, it
    /// came from this server); then redirects to the page it names.
    private func act(
        _ request: Request, context: DashboardRequestContext, _ action: @escaping @Sendable (PostgresConnection) async throws -> String
    ) async throws -> Response {
        let origin = request.headers[.origin]
        // Who asked, for the log of every action and refusal: the user a login names, the peer, the page's origin.
        let metadata: Logger.Metadata = [
            "http.path": "\(request.uri.path)", "http.user": "\(AccessPolicy.claimedUser(authorization: request.headers[.authorization]) ?? "")",
            "http.peer": "\(context.peer)", "http.origin": "\(origin ?? "")",
        ]
        func refuse(_ message: String, _ reason: String) async -> Response {
            server.logger.warning("dashboard action refused: \(reason)", metadata: metadata)
            return await problem(message, status: .forbidden, section: .overview)
        }
        guard allowActions else {
            return await refuse("actions are not allowed: this server is read-only (start pgscorer serve with --allow-actions)", "read-only")
        }
        var request = request
        let body = try await request.collectBody(upTo: 16 * 1024)
        let form = FormFields(String(buffer: body))
        guard let token = form["csrf"], AccessPolicy.equal(token, server.csrfToken) else {
            return await refuse("the form is missing its CSRF token or it is stale: reload the page and try again", "CSRF token")
        }
        if let origin, !sameSite(origin: origin, authority: request.head.authority ?? "") {
            return await refuse("the form came from another site (\(origin.abbreviated))", "origin")
        }
        do {
            let next = try await server.pool.withConnection { try await action($0) }
            server.logger.notice("dashboard action", metadata: metadata)
            return Response(status: .seeOther, headers: [.location: next])
        } catch let error as PgScorerError {
            server.logger.notice("dashboard action failed: \(error.description)", metadata: metadata)
            return await problem(error.description, status: error.code == .notFound ? .notFound : .badRequest, section: .overview)
        }
    }
}

/// `application/x-www-form-urlencoded` fields.
struct FormFields {
    private var fields: [String: String] = [:]

    init(_ body: String) {
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
    }

    subscript(_ key: String) -> String? { fields[key] }
}
