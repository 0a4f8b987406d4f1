import ArgumentParser
import Migrations

/// `pgscorer migrate`: brings the database schema up to this build's version.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending schema migrations (safe to run from many processes at once).")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let logger = global.bootstrapLogging()
        let connection = try await global.connect(logger: logger)
        let applied = try await Migrator(logger: logger).migrate(connection)
        await connection.close()
        if applied.isEmpty {
            print("schema is up to date (version \(Migration.latestVersion))")
        } else {
            print("applied \(applied.count) migration(s): \(applied.map(\.fileName).joined(separator: ", "))")
        }
    }
}
