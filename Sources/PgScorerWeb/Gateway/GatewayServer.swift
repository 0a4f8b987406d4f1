import Hummingbird
import Logging
import PgClient
import PgScorer
import ServiceLifecycle

/// The HTTP listener of `pgscorer stream`: the write endpoints (`GatewayRoutes`) and the
/// probes `/healthz`, `/readyz` and `/metrics`, like every PgScorer listener.
package enum GatewayServer {
    package struct Configuration: Sendable {
        package var host: String
        package var port: Int
        package var databaseURL: String
        package var allowAnonymous = false
        package var rules = TelemetryRules()

        package init(host: String, port: Int, databaseURL: String) {
            self.host = host
            self.port = port
            self.databaseURL = databaseURL
        }
    }

    /// The listener, and what to close after it stopped (its pool and metrics).
    package static func application(
        _ configuration: Configuration, buffer: TelemetryBuffer, logger: Logger, onListening: @escaping @Sendable (Int) -> Void
    ) -> (service: any Service, close: @Sendable () async -> Void) {
        let url = configuration.databaseURL
        let pool = PostgresConnectionPool(url, size: 2, applicationName: "pgscorer stream (http)", logger: logger)
        let metrics = MetricsExport(
            connect: { try await PostgresConnection.connect(url, applicationName: "pgscorer stream (metrics)", logger: logger) },
            logger: logger)
        let router = Router(context: DashboardRequestContext.self)
        Probes.add(to: router, pool: pool, metrics: metrics, logger: logger)
        GatewayRoutes(
            buffer: buffer, tokens: TokenCheck(), pool: pool, rules: configuration.rules, allowAnonymous: configuration.allowAnonymous,
            hosts: HostCheck(listenHost: configuration.host), logger: logger
        ).add(to: router)
        let app = Application(
            router: router, server: .http1(configuration: .init(idleTimeout: .seconds(60))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "pgscorer"),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) }, logger: logger)
        return (app, {
            await metrics.close()
            await pool.close()
        })
    }
}
