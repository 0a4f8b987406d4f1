import ArgumentParser
import Migrations

/// `pgscorer migrate`: brings the database schema up to this build's version.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending schema migrations (safe to run from many processes at once).")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let applied = try await global.withDatabase(checkSchema: false, createEmbedded: true) { session in
            try await Migrator(logger: session.logger).migrate(session.connection)
        }
        if applied.isEmpty {
            print("schema is up to date (version \(Migration.latestVersion))")
        } else {
            print("applied \(applied.count) migration(s): \(applied.map(\.fileName).joined(separator: ", "))")
        }
    }
}
