import ArgumentParser
import Foundation
import Logging
import PgClient
import PgScorer
import PgScorerWeb
import ServiceLifecycle
import UnixSignals

/// `pgscorer worker`: claims and scores jobs until stopped (or, with
/// --exit-when-idle, until the queue is empty).
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Claim and score jobs; also fires schedule ticks unless --no-scheduler.",
        discussion: """
            Run as many as you like, on as many machines as you like, against one database: \
            jobs are claimed with SELECT … FOR UPDATE SKIP LOCKED, so no job is scored twice \
            at once, and a job whose worker dies is taken over when its lease expires. \
            SIGTERM or SIGINT: stop claiming, finish the jobs in hand (within --grace), give \
            the rest back, exit 0. A second signal exits at once.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Scoring slots, each with its own connection. Default: twice the cores, at most 16.")
    var concurrency: Int = WorkerConfiguration.defaultConcurrency

    @Option(help: ArgumentHelp("""
        Jobs per claim (claimed by one statement, read by one query, completed in one transaction): a number \
        from 1 to \(ClaimSize.maximum), or auto: 32, and more when jobs are small, as many as hold about 12,000 readings.
        """, valueName: "auto|jobs"))
    var batch: ClaimSizeArgument = ClaimSizeArgument(.byReadings)

    @Option(help: "Lease per claimed job (renewed every third of it while the job runs), e.g. 60s or 2m.")
    var lease: DurationArgument = DurationArgument(.seconds(60))

    @Option(help: "How long an idle slot waits for a NOTIFY before claiming again, e.g. 1s or 500ms.")
    var poll: DurationArgument = DurationArgument(.seconds(1))

    @Option(help: "On SIGTERM/SIGINT, how long in-flight jobs may take before the process exits anyway.")
    var grace: DurationArgument = DurationArgument(.seconds(30))

    @Option(name: .customLong("retry-base"), help: "First retry delay after a failed attempt or alert webhook; doubles per attempt (with jitter), at most 1h.")
    var retryBase: DurationArgument = DurationArgument(.seconds(5))

    @Flag(name: .customLong("no-scheduler"), help: "Do not fire schedule ticks in this process.")
    var noScheduler = false

    @Flag(name: .customLong("no-maintenance"), help: "Do not reap expired leases and dead workers, make partitions, apply retention, evaluate alerts or send their webhooks in this process.")
    var noMaintenance = false

    @Option(name: .customLong("model-cache"), help: "Memory for decoded models, e.g. 256MB or 1GB; the least recently used are dropped beyond it.")
    var modelCache = ByteSizeArgument(ModelCache.defaultCapacityBytes)

    @Option(name: .customLong("retention-every"), help: "How often to apply the retention of pgscorer.settings (a bounded pass each time).")
    var retentionEvery: DurationArgument = DurationArgument(.seconds(60))

    @Flag(name: .customLong("exit-when-idle"), help: "Exit 0 once no job is available, retryable or running (batch use).")
    var exitWhenIdle = false

    @Option(name: .customLong("max-jobs"), help: "Exit 0 after claiming this many jobs and finishing them (recycle a process, drain part of a backlog).")
    var maxJobs: Int?

    @Option(name: .customLong("metrics-listen"), help: "Serve /metrics (Prometheus), /healthz and /readyz on HOST:PORT (e.g. 127.0.0.1:9464).")
    var metricsListen: ListenAddress?

    @Option(name: .customLong("metrics-auth-file"), help: "Credentials for /metrics as for `serve --auth-file`; required beyond loopback.")
    var metricsAuthFile: String?

    @Option(name: .customLong("summary-every"), help: "How often to log what was scored since the last such line (info level).")
    var summaryEvery: DurationArgument = DurationArgument(.seconds(60))

    @Option(help: "table or json: how to print the summary that --exit-when-idle and --max-jobs end with.")
    var format: SummaryFormat = .table

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
        if metricsAuthFile != nil && metricsListen == nil { throw ValidationError("--metrics-auth-file needs --metrics-listen") }
        guard batch.isValid else { throw ValidationError("--batch must be auto or a number from 1 to \(ClaimSize.maximum)") }
        guard lease.duration >= .seconds(1) else { throw ValidationError("--lease must be at least 1s") }
        guard poll.duration > .zero else { throw ValidationError("--poll must be positive") }
        if let maxJobs, maxJobs < 1 { throw ValidationError("--max-jobs must be at least 1") }
        guard summaryEvery.duration >= .seconds(1) else { throw ValidationError("--summary-every must be at least 1s") }
    }

    func workerConfiguration(databaseURL: String) -> WorkerConfiguration {
        var configuration = WorkerConfiguration(databaseURL: databaseURL)
        configuration.concurrency = concurrency
        configuration.claimSize = batch.size
        configuration.lease = lease.duration
        configuration.poll = poll.duration
        configuration.runScheduler = !noScheduler
        configuration.exitWhenIdle = exitWhenIdle
        configuration.maxJobs = maxJobs
        configuration.backoff.base = retryBase.duration.seconds
        // The reapers look once per lease: a dead worker's row goes within a lease of its
        // tenth silent one, an exhausted lease fails within a lease of expiring.
        configuration.leaseReaperInterval = lease.duration
        configuration.workerReaperInterval = lease.duration
        configuration.runMaintenance = !noMaintenance
        configuration.retentionInterval = retentionEvery.duration
        configuration.modelCacheBytes = modelCache.bytes
        configuration.summaryInterval = summaryEvery.duration
        return configuration
    }

    /// What `--exit-when-idle` and `--max-jobs` end with, as JSON.
    struct WorkerSummary: Encodable {
        let counts: WorkerTally.Counts
        let seconds: Double
    }

    func run() async throws {
        let started = ContinuousClock.now
        // Check the database and its schema once, then hand the URL to the services.
        // Refuse an open metrics listener beyond loopback before touching the database.
        let access = try metricsAuthFile.map(AccessPolicy.load(authFile:)) ?? .open
        if let metricsListen { try access.check(listeningOn: metricsListen.host) }
        let url = try await global.withDatabase { $0.databaseURL }
        let logger = global.bootstrapLogging()
        if metricsListen != nil { MetricsExport.bootstrap() }
        let worker = Worker(configuration: workerConfiguration(databaseURL: url), logger: logger)
        var services: [any Service] = [worker]
        if worker.configuration.runMaintenance { services.append(contentsOf: [worker.maintenance, worker.webhooks] as [any Service]) }
        var probes: (pool: PostgresConnectionPool, metrics: MetricsExport)?
        if let metricsListen {
            let (app, pool, metrics) = Probes.application(
                host: metricsListen.host, port: metricsListen.port, databaseURL: url, access: access, logger: logger,
                onListening: { port in logger.info("metrics at http://\(metricsListen.host):\(port)/metrics") })
            services.append(app)
            probes = (pool, metrics)
        }
        // The worker ending (--exit-when-idle, --max-jobs) stops the group; the first
        // SIGTERM/SIGINT stops it gracefully, a second exits at once (the leases of
        // unfinished jobs expire and other workers take them over).
        try await ServiceRunner.run(services, grace: grace.duration, logger: logger)
        if let probes {
            await probes.metrics.close()
            await probes.pool.close()
        }
        guard exitWhenIdle || maxJobs != nil else { return }
        let counts = worker.tally.snapshot
        let seconds = (ContinuousClock.now - started).seconds
        if format == .json { return try JSONOutput.print(WorkerSummary(counts: counts, seconds: seconds)) }
        print(
            "scored \(counts.jobsCompleted) job(s), \(counts.readingsScored) readings, \(counts.anomalies) anomalies in "
                + String(format: "%.1f s", seconds) + (counts.jobsFailed > 0 ? "; \(counts.jobsFailed) job(s) failed for good" : ""))
    }
}
