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
            With no --database-url, DATABASE_URL or PG* variables, pgscorer runs its own cluster under
            ./.pgscorer (or $PGSCORER_HOME), on a unix socket only, started on first use.
            """,
        subcommands: [Status.self, Start.self, Stop.self, URL.self])

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say where the embedded cluster is and whether it runs.")
        func run() throws {
            let cluster = EmbeddedCluster()
            print("embedded cluster: \(cluster.home.path)")
            print("initialised:      \(cluster.isInitialized ? "yes" : "no")")
            print("running:          \(cluster.isRunning ? "yes" : "no")")
            print("connect with:     psql \"\(cluster.connectionString)\"")
        }
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create (first time) and start the embedded cluster.")
        func run() throws {
            let cluster = EmbeddedCluster()
            _ = try cluster.ensureRunning(logger: Logger(label: "pgscorer"))
            print("running: psql \"\(cluster.connectionString)\"")
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded cluster (its data stays).")
        func run() throws {
            print(try EmbeddedCluster().stop() ? "stopped" : "not running")
        }
    }

    struct URL: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "url", abstract: "Print the embedded cluster's connection string (starting it if needed).")
        func run() throws {
            print(try EmbeddedCluster().ensureRunning(logger: Logger(label: "pgscorer")))
        }
    }
}
