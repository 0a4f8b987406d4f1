import Hummingbird
import Logging
import Migrations
import PgClient
import PgScorer
import ServiceLifecycle

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
