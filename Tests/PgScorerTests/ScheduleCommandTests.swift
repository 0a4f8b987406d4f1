import Foundation
import Kernels
import Migrations
import PgClient
import PgScorer
import TestSupport
import Testing

@Suite("Schedule command")
struct ScheduleCommandTests {
    @Test("schedule add/list/disable/remove, and SQL and CLI refuse the same invalid schedule")
    func schedules() async throws {
        try await ScorerFixture.with { fixture in
            let added = try await PgScorerProcess.run(
                ["schedule", "add", "fleet", "--cron", "*/5 * * * *", "--window", "5m", "--devices", "pump-%"], database: fixture.database)
            #expect(added.status == 0, "\(added.output)")
            let list = try await PgScorerProcess.run(["schedule", "list"], database: fixture.database)
            #expect(list.output.contains("fleet") && list.output.contains("cron */5 * * * *") && list.output.contains("pump-%"), "\(list.output)")
            let invalid = try await PgScorerProcess.run(
                ["schedule", "add", "broken", "--cron", "*/5 * * *", "--window", "5m"], database: fixture.database)
            #expect(invalid.status != 0 && invalid.output.contains("must have 5 fields"), "\(invalid.output)")
            #expect(try await PgScorerProcess.run(["schedule", "disable", "fleet"], database: fixture.database).status == 0)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.schedules WHERE NOT enabled") == 1)
            #expect(try await PgScorerProcess.run(["schedule", "remove", "fleet"], database: fixture.database).status == 0)
            let missing = try await PgScorerProcess.run(["schedule", "remove", "fleet"], database: fixture.database)
            #expect(missing.status != 0 && missing.output.contains("no schedule named fleet"))
        }
    }
}
