import ArgumentParser
import Foundation
import Logging
import PgScorer

/// `pgscorer db`: the embedded default database.
struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the embedded PostgreSQL cluster used when no database is configured.",
        discussion: """
            With no --database-url, DATABASE_URL or PG* variables, pgscorer uses the project's own cluster: $PGSCORER_HOME, \
            else the nearest .pgscorer folder in this directory or a parent (as git finds .git). Only `db start`, `migrate` \
            and `demo` create one (in ./.pgscorer; as root, when the postgres account cannot reach it, under \
            /var/lib/pgscorer, recorded in ./.pgscorer/location). It listens on a unix socket only and starts on first use. \
            PGSCORER_EMBEDDED=0 turns it off.
            """,
        subcommands: [Status.self, Start.self, Stop.self, URL.self, Remove.self])

    /// What `db status` says.
    struct Report: Encodable {
        let home: String
        let initialised: Bool
        let running: Bool
        let connectionString: String
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say where the embedded cluster is and whether it runs.")
        @Option(help: "table, csv or json.") var format: OutputFormat = .table

        func run() throws {
            let cluster = try GlobalOptions.embeddedCluster(logger: Logger(label: "pgscorer"), create: false)
            let report = Report(
                home: cluster.home.path, initialised: cluster.isInitialized, running: cluster.isRunning,
                connectionString: cluster.connectionString)
            switch format {
            case .json: try JSONOutput.print(report)
            case .csv:
                try printTable(
                    .csv, header: ["home", "initialised", "running", "connection_string"],
                    rows: [[report.home, "\(report.initialised)", "\(report.running)", report.connectionString]], json: report)
            case .table:
                print("embedded cluster: \(report.home)")
                print("initialised:      \(report.initialised ? "yes" : "no")")
                print("running:          \(report.running ? "yes" : "no")")
                print("connect with:     psql \"\(report.connectionString)\"")
            }
        }
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create (first time) and start the embedded cluster.")
        func run() throws {
            let logger = Logger(label: "pgscorer")
            let cluster = try GlobalOptions.embeddedCluster(logger: logger, create: true)
            _ = try cluster.ensureRunning(create: true, logger: logger)
            print("running in \(cluster.home.path): psql \"\(cluster.connectionString)\"")
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded cluster (its data stays).")
        func run() throws {
            let cluster = try GlobalOptions.embeddedCluster(logger: Logger(label: "pgscorer"), create: false)
            print(try cluster.stop() ? "stopped" : "not running")
        }
    }

    struct URL: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "url", abstract: "Print the embedded cluster's connection string (starting it if it is stopped; never creating one).")
        func run() throws {
            let logger = Logger(label: "pgscorer")
            print(try GlobalOptions.embeddedCluster(logger: logger, create: false).ensureRunning(create: false, logger: logger))
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop the embedded cluster and delete it with all its data (readings, models, predictions).",
            discussion: "Without --yes it only says what it would delete. A database given by --database-url or DATABASE_URL is never touched.")
        @Flag(help: "Really delete it.") var yes = false

        func run() throws {
            let cluster = try GlobalOptions.embeddedCluster(logger: Logger(label: "pgscorer"), create: false)
            guard yes else {
                print("would delete the embedded cluster in \(cluster.home.path) with every reading, model and prediction in it")
                print("nothing was deleted: run `pgscorer db remove --yes` to do it")
                return
            }
            try cluster.remove()
            print("removed the embedded cluster in \(cluster.home.path)")
        }
    }
}
