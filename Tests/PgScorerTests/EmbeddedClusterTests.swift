import Foundation
import Kernels
import Migrations
import PgClient
import PgScorer
import TestSupport
import Testing

@Suite("Embedded cluster")
struct EmbeddedClusterTests {
    @Test("with no database configured, pgscorer runs its own embedded cluster and db stop stops it")
    func embeddedDefault() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-home-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        var environment = ProcessInfo.processInfo.environment
        for name in ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", "DATABASE_URL"] { environment[name] = nil }
        environment["PGSCORER_HOME"] = home.path
        func pgscorer(_ arguments: [String]) async throws -> (Int32, String) {
            try await PgScorerProcess(arguments, environment: environment).finish()
        }
        let migrate = try await pgscorer(["migrate"])
        #expect(migrate.0 == 0, "\(migrate.1)")
        #expect(migrate.1.contains("applied \(Migration.all.count) migration(s)"))
        let status = try await pgscorer(["db", "status"])
        #expect(status.1.contains("running:          yes") && status.1.contains(home.path), "\(status.1)")
        #expect(try await pgscorer(["migrate"]).1.contains("schema is up to date"))
        #expect(try await pgscorer(["db", "stop"]).1.contains("stopped"))
        #expect(try await pgscorer(["db", "status"]).1.contains("running:          no"))
    }
}
