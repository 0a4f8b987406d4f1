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
/// in read-only transactions, so no page can change anything. Actions (retry/cancel a
/// job, enable/disable a schedule, activate a model) call the same library functions as
/// the CLI, and only for a POST carrying the process's CSRF token from a page of this
/// server.
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
    /// The `Host` and `Origin` names it answers without credentials.
    var hosts: HostCheck { HostCheck(listenHost: configuration.host) }
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
        let readsAsRole = !configuration.allowActions && configuration.readerURL == nil
        try await pool.withConnection { connection in
            try await Migrator(logger: logger).requireCurrent(connection)
            // Citus opens its connections to the worker nodes as the session's role, and
            // pgscorer_reader cannot log in: the pages need a login of their own there.
            if readsAsRole, try await CitusLayout.isCitus(connection) {
                throw PgScorerError(
                    .usage,
                    "on a Citus cluster a read-only pgscorer serve needs --reader-url, a login that is a member of pgscorer_reader "
                        + "(Citus connects to the worker nodes as the session's role, and the role pgscorer_reader cannot log in): "
                        + "CREATE ROLE dashboard LOGIN IN ROLE pgscorer_reader, then --reader-url 'postgresql://dashboard@…'")
            }
        }
    }

    /// The HTTP application; `onListening` gets the port once it listens (the chosen
    /// one when asked for port 0).
    package func makeApplication(onListening: @escaping @Sendable (Int) -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router(context: DashboardRequestContext.self)
        router.add(middleware: AccessMiddleware(policy: configuration.access, hosts: hosts, logger: logger))
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
