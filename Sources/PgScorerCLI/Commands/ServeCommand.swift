import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PgScorer
import PgScorerWeb
import ServiceLifecycle
import UnixSignals

/// `pgscorer serve`: the web dashboard, `/metrics`, `/healthz` and `/readyz`.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the dashboard (overview, series plots, jobs, models, schedules) and Prometheus metrics.",
        discussion: """
            Read-only by default: the server's pages read in read-only transactions as a reader login \
            (--reader-url, a login granted pgscorer_reader), or else as the database login in the role \
            pgscorer_reader. --allow-actions adds buttons to retry and cancel jobs, enable and disable \
            schedules and activate model versions (each a POST with a CSRF token, through the same \
            functions as the CLI). Listening beyond loopback needs --auth-file: a file (mode 600) of \
            user:password lines for HTTP basic auth, or tokens (16+ characters) for Authorization: Bearer. \
            /healthz and /readyz answer without credentials. SIGTERM or SIGINT stops it.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Address to listen on: HOST:PORT, :PORT for loopback, port 0 for any free port.")
    var listen = ListenAddress(host: "127.0.0.1", port: 8080)

    @Flag(name: .customLong("allow-actions"), help: "Allow retry/cancel of jobs, enable/disable of schedules, activation of models.")
    var allowActions = false

    @Option(name: .customLong("auth-file"), help: "File of user:password lines or tokens; required beyond loopback.")
    var authFile: String?

    @Option(help: "Database connections for pages (requests beyond it wait).")
    var connections = 4

    @Option(
        name: .customLong("reader-url"),
        help: ArgumentHelp(
            "A login granted pgscorer_reader for the pages of a read-only server. Default: $PGSCORER_READER_URL, else the database login in that role.",
            valueName: "url"))
    var readerURL: String?

    func validate() throws {
        guard (1...64).contains(connections) else { throw ValidationError("--connections must be between 1 and 64") }
        if readerURL != nil, allowActions {
            throw ValidationError("--reader-url is for a read-only server: --allow-actions needs a login that may change jobs, schedules and models")
        }
    }

    func run() async throws {
        let access = try authFile.map(AccessPolicy.load(authFile:)) ?? .open
        try access.check(listeningOn: listen.host)
        let url = try await global.withDatabase { $0.databaseURL }
        let logger = global.bootstrapLogging()
        var configuration = DashboardServer.Configuration(databaseURL: url)
        configuration.host = listen.host
        configuration.port = listen.port
        configuration.allowActions = allowActions
        configuration.access = access
        configuration.poolSize = connections
        if !allowActions {
            configuration.readerURL = readerURL ?? ProcessInfo.processInfo.environment["PGSCORER_READER_URL"].flatMap { $0.isEmpty ? nil : $0 }
        }
        let server = DashboardServer(configuration: configuration, logger: logger)
        try await server.check()
        let app = server.makeApplication(onListening: { port in
            let host = listen.host.contains(":") ? "[\(listen.host)]" : listen.host
            let line = "dashboard at http://\(host):\(port)/ (\(allowActions ? "actions allowed" : "read-only")); metrics at /metrics\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        })
        try await ServiceRunner.run([app], grace: .seconds(10), logger: logger)
        await server.shutdown()
    }
}

/// Runs services until the first SIGTERM/SIGINT (graceful shutdown) or a second one (exit 130).
enum ServiceRunner {
    static func run(_ services: [any Service], grace: Duration, logger: Logger) async throws {
        var groupConfiguration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }, logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = grace
        let group = ServiceGroup(configuration: groupConfiguration)
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                var caught = 0
                for await signal in signals {
                    caught += 1
                    if caught == 1 {
                        logger.info("signal received; stopping", metadata: ["signal": "\(signal)"])
                        await group.triggerGracefulShutdown()
                    } else {
                        logger.warning("second signal; exiting now", metadata: ["signal": "\(signal)"])
                        Foundation.exit(130)
                    }
                }
            }
            try await group.run()
            tasks.cancelAll()
        }
    }
}
