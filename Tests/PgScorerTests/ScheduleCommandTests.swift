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
                ["schedule", "add", "fleet", "--cron", "*/5 * * * *", "--window", "5m", "--device", "pump_*"], database: fixture.database)
            #expect(added.status == 0, "\(added.output)")
            let list = try await PgScorerProcess.run(["schedule", "list"], database: fixture.database)
            #expect(list.output.contains("fleet") && list.output.contains("cron */5 * * * *") && list.output.contains("pump_*"), "shown as typed: \(list.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.schedules WHERE device_pattern = 'pump\\_%'") == 1, "stored as a LIKE pattern")
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

    @Test("expected mistakes are refused in the user's words: no SQLSTATE, no PL/pgSQL context, exit 1", arguments: [
        (["schedule", "add", "twice", "--every", "5m", "--window", "5m"], "a schedule named twice already exists"),
        (["schedule", "add", "bad name!", "--every", "5m", "--window", "5m"], "schedule name 'bad name!' is not allowed: use 1 to 100 letters, digits and _ . : -"),
        (["schedule", "add", "seconds", "--cron", "0 */5 * * * *", "--window", "5m"], "seconds are not supported"),
        (["schedule", "add", "hour25", "--cron", "0 25 * * *", "--window", "5m"], "invalid hour field '25'"),
        (["schedule", "add", "tiny", "--every", "500ms", "--window", "5m"], "every must be between 1 second and 366 days"),
    ] as [([String], String)])
    func userWordedErrors(arguments: [String], message: String) async throws {
        try await ScorerFixture.with { fixture in
            _ = try await PgScorerProcess.run(["schedule", "add", "twice", "--every", "5m", "--window", "5m"], database: fixture.database)
            let result = try await PgScorerProcess.run(arguments, database: fixture.database)
            #expect(result.status == 1, "\(result.output)")
            #expect(result.output.contains(message), "\(result.output)")
            for leak in ["SQLSTATE", "23505", "23514", "PL/pgSQL", "context:", "PostgreSQL server"] {
                #expect(!result.output.contains(leak), "\(leak) in \(result.output)")
            }
        }
    }

    @Test("a step on a single value means the same in SQL and in the scheduler: 5/15 fires at 5, 20, 35 and 50")
    func stepOnSingleValue() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.connection.execute(#"INSERT INTO pgscorer.schedules (name, cron, "window") VALUES ('quarter', '5/15 * * * *', '5 minutes')"#)
            let schedule = try #require(try await Schedule.all(on: fixture.connection).first)
            let timing = try #require(try schedule.timing())
            let hour = PostgresTimestamp.utc("2026-11-25T10:00:00Z").unixMicroseconds
            #expect(timing.nextTick(after: hour) == hour + 5 * 60_000_000)
            #expect(timing.nextTick(after: hour + 5 * 60_000_000) == hour + 20 * 60_000_000)
            #expect(timing.nextTick(after: hour + 50 * 60_000_000) == hour + 65 * 60_000_000)
        }
    }
}
