import Foundation
import Migrations
import PgClient
import TestSupport
import Testing

@Suite("Migrations")
struct MigratorTests {
    @Test("the embedded migrations are exactly the files in sql/migrations")
    func embeddedCopyMatchesSQLFolder() throws {
        let folder = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("sql/migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files == Migration.all.map(\.fileName), "run scripts/embed-migrations after editing sql/")
        for migration in Migration.all {
            let text = try String(contentsOf: folder.appendingPathComponent(migration.fileName), encoding: .utf8)
            #expect(text == migration.sql, "\(migration.fileName) differs from its embedded copy: run scripts/embed-migrations")
        }
        #expect(Migration.all.map(\.version) == Array(1...Migration.all.count))
    }

    @Test("five migrators started at once apply each migration exactly once")
    func concurrentMigrators() async throws {
        try await TestDatabase.with { database in
            let applied = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        let connection = try await database.connect()
                        return try await Migrator().migrate(connection).count
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(applied == Migration.all.count)
            let connection = try await database.connect()
            let rows = try await connection.query("SELECT version, count(*) OVER () FROM pgscorer.schema_migrations ORDER BY version")
            #expect(try rows.map { try $0.decode(0) as Int } == Migration.all.map(\.version))
            try await Migrator().requireCurrent(connection)
            #expect(try await Migrator().migrate(connection).isEmpty)
        }
    }

    @Test("an applied migration whose SQL changed is refused by name")
    func changedMigrationIsRefused() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            let original = Migration(version: 1, name: "first", sql: "CREATE TABLE a (x int);")
            try await Migrator(migrations: [original]).migrate(connection)
            let edited = Migration(version: 1, name: "first", sql: "CREATE TABLE a (x bigint);")
            let error = await #expect(throws: MigrationError.self) {
                try await Migrator(migrations: [edited]).migrate(connection)
            }
            #expect(error == .changedAfterApply(file: "0001_first.sql"))
            #expect(error.map { "\($0)" }?.contains("0001_first.sql") == true)
        }
    }

    @Test("a failing migration rolls back alone, names its file, and leaves earlier ones applied")
    func failingMigration() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            let migrations = [
                Migration(version: 1, name: "good", sql: "CREATE TABLE a (x int);"),
                Migration(version: 2, name: "bad", sql: "CREATE TABLE b (x int); SELECT no_such_function();"),
            ]
            let error = await #expect(throws: PostgresError.self) {
                try await Migrator(migrations: migrations).migrate(connection)
            }
            #expect(error?.statementName == "0002_bad.sql")
            let status = try await Migrator(migrations: migrations).status(connection)
            #expect(status.appliedVersion == 1)
            #expect(status.pending.map(\.version) == [2])
            let tableB: Bool = try await connection.query("SELECT to_regclass('b') IS NULL").single().decode(0)
            #expect(tableB)
        }
    }

    @Test("a database behind this build is told to run pgscorer migrate")
    func behindSaysWhatToRun() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            let error = await #expect(throws: MigrationError.self) { try await Migrator().requireCurrent(connection) }
            #expect(error.map { "\($0)" }?.contains("run `pgscorer migrate`") == true)
        }
    }
}
