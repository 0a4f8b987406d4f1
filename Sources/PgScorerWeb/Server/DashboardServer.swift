import Foundation
import Hummingbird
import Logging
import Migrations
import NIOCore
import PgClient
import PgScorer
import ServiceLifecycle

/// `pgscorer serve`: the dashboard's pages, `/metrics`, `/healthz` and `/readyz` over
/// one small pool of connections. Read-only unless `allowActions`: its connections then
/// log in as the reader login `readerURL` names, or else take the role `pgscorer_reader`,
/// in read-only transactions, so no page can change anything. Actions (retry/cancel a job, enable/disable a
/// schedule, activate a model) call the same library functions as the CLI, and only
/// for a POST carrying the process's CSRF token from a page of this server.
package struct DashboardServer: Sendable {
    package struct Configuration: Sendable {
        package var host = "127.0.0.1"
        package var port = 8080
        package var databaseURL: String
        package var allowActions = false
        package var access = AccessPolicy.open
        package var poolSize = 4
        /// A login that is only a reader (`pgscorer_reader`), for the pages of a read-only
        /// server; without one, the owner's login takes that role with `SET ROLE`.
        package var readerURL: String?
        /// How long a connection may take to send a request's head (and how long an idle
        /// one stays open): a client that trickles its headers is cut off after it.
        package var headerTimeout: Duration = .seconds(10)

        package init(databaseURL: String) { self.databaseURL = databaseURL }
    }

    package let configuration: Configuration
    let pool: PostgresConnectionPool
    let metrics: MetricsExport
    let logger: Logger
    let csrfToken: String
    /// The overview's heat map, recomputed at most once a minute, in the background.
    let heatMap: RefreshingValue<FleetOverview.HeatMap>

    package init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        let readOnly = !configuration.allowActions
        let readerLogin = readOnly ? configuration.readerURL : nil
        let setUp: @Sendable (PostgresConnection) async throws -> Void = { connection in
            guard readOnly else { return }
            try await DashboardServer.becomeReader(connection, hasReaderLogin: readerLogin != nil)
        }
        let url = readerLogin ?? configuration.databaseURL
        pool = PostgresConnectionPool(url, size: configuration.poolSize, applicationName: "pgscorer serve", logger: logger, setUp: setUp)
        // The gauges' connection runs fixed statements only, and keeps the login's own
        // role: renewing their lease is a write that a reader may not make.
        metrics = MetricsExport(
            connect: { try await PostgresConnection.connect(url, applicationName: "pgscorer serve (metrics)", logger: logger) },
            logger: logger)
        let pool = self.pool
        heatMap = RefreshingValue(maximumAge: .seconds(60)) {
            try await pool.withConnection { try await FleetOverview.loadHeatMap(from: $0) }
        }
        var bytes = [UInt8](repeating: 0, count: 24)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        csrfToken = bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// Makes a page connection read-only: a reader login only sets read-only transactions;
    /// another login takes the reader role too, or is told what to grant.
    static func becomeReader(_ connection: PostgresConnection, hasReaderLogin: Bool) async throws {
        do {
            try await connection.executeScript(hasReaderLogin ? DashboardQueries.readOnlyTransactions : DashboardQueries.readOnlySession)
        } catch let error as PostgresError where !error.isConnectionLoss {
            throw PgScorerError(
                .environment,
                "pgscorer serve reads as the role pgscorer_reader, which this login cannot take (\(error.message)). "
                    + "Run pgscorer migrate as a role that may create roles, then GRANT pgscorer_reader TO your login; "
                    + "or serve with --allow-actions as a role that may change jobs, schedules and models")
        }
    }

    /// Checks the database before listening: reachable, schema current, role usable.
    package func check() async throws {
        try await pool.withConnection { connection in
            try await Migrator(logger: logger).requireCurrent(connection)
        }
    }

    /// The HTTP application; `onListening` gets the port once it listens (the chosen
    /// one when asked for port 0).
    package func makeApplication(onListening: @escaping @Sendable (Int) -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router(context: DashboardRequestContext.self)
        router.add(middleware: AccessMiddleware(policy: configuration.access, hosts: HostCheck(listenHost: configuration.host), logger: logger))
        router.add(middleware: NotFoundPage(actionsAllowed: configuration.allowActions))
        Probes.add(to: router, pool: pool, metrics: metrics, logger: logger)
        DashboardRoutes(server: self).add(to: router)
        return Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .nanoseconds(Int64(configuration.headerTimeout.seconds * 1e9)))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "pgscorer"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    package func shutdown() async {
        await metrics.close()
        await pool.close()
    }
}

/// Requires the auth file's credentials on every path but the probes; without an auth
/// file, answers loopback names only (`HostCheck`). Refusals are logged with the user
/// a client claimed, its address and its `Origin`.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = DashboardRequestContext
    let policy: AccessPolicy
    let hosts: HostCheck
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if policy.isOpen {
            // Without credentials the server listens on loopback only; a request naming
            // another host is a page of some other site reaching it by DNS rebinding.
            let host = request.head.authority.map { HostCheck.split(authority: $0).host } ?? "localhost"
            guard hosts.accepts(host: host) else {
                logger.warning(
                    "request refused: not a loopback Host",
                    metadata: ["http.host": "\(host.abbreviated)", "http.peer": "\(context.peer)", "http.origin": "\(request.headers[.origin] ?? "")"])
                return Response(
                    status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: "this server answers to loopback names only\n")))
            }
            return try await next(request, context)
        }
        if request.uri.path == "/healthz" || request.uri.path == "/readyz" || policy.allows(authorization: request.headers[.authorization]) {
            return try await next(request, context)
        }
        logger.warning(
            "login refused",
            metadata: [
                "http.user": "\(AccessPolicy.claimedUser(authorization: request.headers[.authorization]) ?? "")",
                "http.peer": "\(context.peer)", "http.origin": "\(request.headers[.origin] ?? "")", "http.path": "\(request.uri.path)",
            ])
        return Response(
            status: .unauthorized, headers: [.wwwAuthenticate: "Basic realm=\"PgScorer\", charset=\"UTF-8\"", .contentType: "text/plain"],
            body: .init(byteBuffer: ByteBuffer(string: "credentials required (see --auth-file)\n")))
    }
}

/// A path that names no page gets a page that says so, with the navigation, not an
/// empty 404.
struct NotFoundPage: RouterMiddleware {
    typealias Context = DashboardRequestContext
    let actionsAllowed: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let body: HTML = "<p class=\"error\" id=\"problem\">There is no page at \(request.uri.path). The pages are in the navigation above.</p>"
            return html(Layout.page(title: "Not found", section: .overview, actionsAllowed: actionsAllowed, refresh: false, body), status: .notFound)
        }
    }
}

/// `/healthz` (the process is up), `/readyz` (the database answers and its schema is
/// this build's) and `/metrics`, on `serve` and on `worker --metrics-listen` alike.
package enum Probes {
    static func add(to router: Router<DashboardRequestContext>, pool: PostgresConnectionPool, metrics: MetricsExport, logger: Logger) {
        router.get("/healthz") { _, _ in text("ok\n") }
        router.get("/readyz") { _, _ -> Response in
            do {
                try await pool.withConnection { try await Migrator(logger: logger).requireCurrent($0) }
                return text("ready\n")
            } catch {
                // Probes answer without credentials: the reason goes to the log, not to them.
                logger.warning("not ready", metadata: ["error": "\(error)"])
                return text("not ready: the database cannot be reached or its schema is not this build's (the server log says which)\n", status: .serviceUnavailable)
            }
        }
        router.get("/metrics") { _, _ -> Response in
            text(await metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
    }

    /// The listener of `pgscorer worker --metrics-listen`: the probes only, behind the
    /// same access policy as the dashboard (credentials beyond loopback).
    package static func application(
        host: String, port: Int, databaseURL: String, access: AccessPolicy, logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void
    ) -> (any Service, PostgresConnectionPool, MetricsExport) {
        let pool = PostgresConnectionPool(databaseURL, size: 1, applicationName: "pgscorer worker (probes)", logger: logger)
        let metrics = MetricsExport(
            connect: { try await PostgresConnection.connect(databaseURL, applicationName: "pgscorer worker (metrics)", logger: logger) },
            logger: logger)
        let router = Router(context: DashboardRequestContext.self)
        router.add(middleware: AccessMiddleware(policy: access, hosts: HostCheck(listenHost: host), logger: logger))
        add(to: router, pool: pool, metrics: metrics, logger: logger)
        let app = Application(
            router: router, server: .http1(configuration: .init(idleTimeout: .seconds(10))),
            configuration: .init(address: .hostname(host, port: port), serverName: "pgscorer"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) }, logger: logger)
        return (app, pool, metrics)
    }
}

func text(_ body: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8") -> Response {
    Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: body)))
}

/// The headers of every page and of the script: nothing loads from elsewhere, no inline
/// script runs (an injected `<script>` would not), pages cannot be framed (clickjacking),
/// fleet data is not kept in caches, and links do not tell other sites where they came from.
let pageHeaders: HTTPFields = [
    .contentSecurityPolicy:
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    .xContentTypeOptions: "nosniff",
    .cacheControl: "no-store",
    .init("Referrer-Policy")!: "no-referrer",
]

func html(_ page: HTML, status: HTTPResponse.Status = .ok) -> Response {
    var headers = pageHeaders
    headers[.contentType] = "text/html; charset=utf-8"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page.text)))
}
