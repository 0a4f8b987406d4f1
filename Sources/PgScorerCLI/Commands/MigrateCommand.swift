import ArgumentParser
import Migrations

/// `pgscorer migrate`: brings the database schema up to this build's version.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending schema migrations (safe to run from many processes at once).",
        discussion: """
            On a Citus coordinator (a database with the citus extension) the tables are then \
            laid out for the cluster: readings and predictions distributed by series and \
            co-located, the queue, series, models and schedules on the coordinator. The \
            migrations are the same on one server; --distributed creates the citus extension \
            first and fails, saying why, where Citus is not installed.
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Lay the tables out for Citus, creating the citus extension if the database lacks it.")
    var distributed = false

    func run() async throws {
        let (applied, placement) = try await global.withDatabase(checkSchema: false, createEmbedded: !distributed) { session in
            let applied = try await Migrator(logger: session.logger).migrate(session.connection, distributed: distributed)
            return (applied, try await CitusLayout.placement(session.connection))
        }
        if applied.isEmpty {
            print("schema is up to date (version \(Migration.latestVersion))")
        } else {
            print("applied \(applied.count) migration(s): \(applied.map(\.fileName).joined(separator: ", "))")
        }
        if let placement, placement.workerNodes == 0 {
            print(
                "Citus: this coordinator has no worker nodes yet, so the tables stay on it; add them "
                    + "(SELECT citus_add_node('host', port)) and run pgscorer migrate again")
        } else if let placement {
            print(
                "Citus: \(placement.distributedTables.joined(separator: ", ")) distributed by series_id in \(placement.shards) shards "
                    + "over \(placement.workerNodes) worker node(s); the queue, series, models and schedules on the coordinator")
        }
    }
}
