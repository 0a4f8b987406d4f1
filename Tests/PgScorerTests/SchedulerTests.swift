import Foundation
import Logging
import PgClient
import TestSupport
import Testing

import PgScorer

@Suite("Scheduler")
struct SchedulerTests {
    static func addFleet(_ fixture: ScorerFixture, devices: Int, sensors: [String]) async throws {
        for device in 0..<devices {
            for sensor in sensors {
                try await fixture.addModel(device: "dev-\(device)", sensor: sensor, featureCount: 2)
            }
        }
    }

    @Test("4 schedulers firing at once create each tick's jobs exactly once")
    func exactlyOncePerTick() async throws {
        try await ScorerFixture.with { fixture in
            try await Self.addFleet(fixture, devices: 5, sensors: ["temp", "vibration"])
            try await fixture.connection.execute(
                """
                INSERT INTO pgscorer.schedules (name, every, "window", sensor_pattern, created_at)
                VALUES ('temps', '1 second', '5 minutes', 'temp', now() - interval '1 hour');
                """)
            try await fixture.connection.execute(
                "INSERT INTO pgscorer.schedules (name, cron, \"window\", created_at) VALUES ('all', '* * * * *', '1 minute', now() - interval '1 hour')")
            var fired: [Scheduler.FiredTick] = []
            for round in 0..<3 {
                let results = try await withThrowingTaskGroup(of: [Scheduler.FiredTick].self) { group in
                    for index in 0..<4 {
                        group.addTask {
                            let scheduler = Scheduler(
                                connection: try await fixture.database.connect(), workerID: "scheduler-\(index)",
                                logger: Logger(label: "test"))
                            return try await scheduler.fireDueTicks()
                        }
                    }
                    return try await group.reduce(into: [Scheduler.FiredTick]()) { $0 += $1 }
                }
                fired += results
                if round < 2 { try await Task.sleep(for: .milliseconds(1100)) }
            }
            let ticks = try await fixture.connection.query(
                "SELECT schedule_id, scheduled_for, jobs_created FROM pgscorer.schedule_runs")
            // Each tick was fired by exactly one scheduler…
            #expect(fired.count == ticks.count)
            #expect(Set(fired.map { "\($0.scheduleID)@\($0.scheduledFor)" }).count == fired.count)
            // …and queued exactly one job per selected series.
            for tick in ticks {
                let scheduleID: Int64 = try tick.decode(0)
                let scheduledFor: PostgresTimestamp = try tick.decode(1)
                let jobs = try await fixture.count(
                    "SELECT count(*) FROM pgscorer.jobs WHERE schedule_id = $1 AND scheduled_for = $2", scheduleID, scheduledFor)
                #expect(jobs == (try tick.decode(2) as Int))
            }
            // The every-second schedule fired on at least 2 different ticks, 5 temp series each.
            let temps = try await fixture.connection.query(
                """
                SELECT count(DISTINCT r.scheduled_for), min(r.jobs_created), max(r.jobs_created)
                FROM pgscorer.schedule_runs r JOIN pgscorer.schedules s USING (schedule_id) WHERE s.name = 'temps'
                """).single()
            #expect(try temps.decode(0) as Int >= 2)
            #expect(try temps.decode(1) as Int == 5 && temps.decode(2) as Int == 5)
            let window = try await fixture.connection.query(
                "SELECT DISTINCT window_end - window_start FROM pgscorer.jobs j JOIN pgscorer.schedules s USING (schedule_id) WHERE s.name = 'temps'"
            ).single()
            #expect(try window.decode(0) as PostgresInterval == PostgresInterval(microseconds: 300_000_000))
            // 10 series per tick of the per-minute schedule (two ticks when a minute turns during the test).
            let allTicks = try await fixture.count(
                "SELECT count(*) FROM pgscorer.schedule_runs r JOIN pgscorer.schedules s USING (schedule_id) WHERE s.name = 'all'")
            #expect((1...2).contains(allTicks))
            #expect(try await fixture.count(
                "SELECT count(*) FROM pgscorer.jobs j JOIN pgscorer.schedules s USING (schedule_id) WHERE s.name = 'all'") == 10 * allTicks)
        }
    }

    @Test("catch-up fires missed ticks up to the limit; skip fires only the latest")
    func missedTicks() async throws {
        try await ScorerFixture.with { fixture in
            try await Self.addFleet(fixture, devices: 1, sensors: ["temp"])
            try await fixture.connection.execute(
                """
                INSERT INTO pgscorer.schedules (name, every, "window", missed_ticks, catch_up_limit, created_at)
                VALUES ('catching', '1 minute', '1 minute', 'catch_up', 3, now() - interval '1 hour'),
                       ('skipping', '1 minute', '1 minute', 'skip', 0, now() - interval '1 hour')
                """)
            // Pretend both last fired 10 minutes ago.
            try await fixture.connection.execute(
                """
                INSERT INTO pgscorer.schedule_runs (schedule_id, scheduled_for, fired_by)
                SELECT schedule_id, date_bin('1 minute', now(), '2000-01-01') - interval '10 minutes', 'earlier'
                FROM pgscorer.schedules
                """)
            let scheduler = Scheduler(connection: fixture.connection, workerID: "s", logger: Logger(label: "test"))
            _ = try await scheduler.fireDueTicks()
            let fired = try await fixture.connection.query(
                """
                SELECT s.name, count(*) FROM pgscorer.schedule_runs r JOIN pgscorer.schedules s USING (schedule_id)
                WHERE r.fired_by = 's' GROUP BY s.name ORDER BY s.name
                """)
            #expect(try fired.map { "\(try $0.decode(0) as String)=\(try $0.decode(1) as Int)" } == ["catching=3", "skipping=1"])
            // Nothing fires twice; only a tick that came due since (a minute boundary) may fire.
            let latest: PostgresTimestamp = try await fixture.connection.query(
                "SELECT max(scheduled_for) FROM pgscorer.schedule_runs").single().decode(0)
            let again = try await scheduler.fireDueTicks()
            #expect(again.allSatisfy { $0.scheduledFor > latest }, "a tick fired twice")
            #expect(again.count <= 2)
        }
    }

    @Test("invalid schedule edits are rejected by the database with a clear error", arguments: [
        ("INSERT INTO pgscorer.schedules (name, cron, \"window\") VALUES ('x', '*/5 * * *', '5 minutes')", "must have 5 fields"),
        ("INSERT INTO pgscorer.schedules (name, cron, \"window\") VALUES ('x', '0 25 * * *', '5 minutes')", "invalid hour field '25'"),
        ("INSERT INTO pgscorer.schedules (name, cron, \"window\") VALUES ('x', '*/5 * * * *', '0 minutes')", "window must be positive"),
        ("INSERT INTO pgscorer.schedules (name, every, \"window\") VALUES ('x', '5 minutes', '-1 hour')", "window must be positive"),
        ("INSERT INTO pgscorer.schedules (name, every, \"window\") VALUES ('x', '1 month', '1 hour')", "fixed duration"),
        ("INSERT INTO pgscorer.schedules (name, every, cron, \"window\") VALUES ('x', '5 minutes', '* * * * *', '1 hour')", "exactly one of cron, every and on_close"),
        ("INSERT INTO pgscorer.schedules (name, every, \"window\", missed_ticks, catch_up_limit) VALUES ('x', '5 minutes', '1 hour', 'catch_up', 100000)", "catch_up_limit must be between 0 and 1000"),
        ("UPDATE pgscorer.schedules SET cron = 'every five minutes'", "must have 5 fields"),
    ])
    func invalidEditsRejected(statement: String, message: String) async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.connection.execute(
                "INSERT INTO pgscorer.schedules (name, cron, \"window\") VALUES ('valid', '*/5 * * * *', '5 minutes')")
            let error = await #expect(throws: PostgresError.self) {
                try await fixture.connection.execute(PostgresQuery(SQLText(unsafeSQL: statement)))
            }
            #expect(error?.sqlState == "23514")
            #expect(error?.message.contains(message) == true, "got: \(error?.message ?? "")")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.schedules WHERE cron = '*/5 * * * *'") == 1)
        }
    }

    @Test("schedule edits notify listening workers")
    func editsNotify() async throws {
        try await ScorerFixture.with { fixture in
            let listener = try await fixture.database.connect()
            try await listener.listen("pgscorer_schedules")
            try await fixture.connection.execute(
                "INSERT INTO pgscorer.schedules (name, every, \"window\") VALUES ('n', '5 minutes', '5 minutes')")
            #expect(try await listener.nextNotification(timeout: .seconds(5))?.channel == "pgscorer_schedules")
            try await fixture.connection.execute("UPDATE pgscorer.schedules SET enabled = false")
            #expect(try await listener.nextNotification(timeout: .seconds(5))?.payload == "UPDATE")
        }
    }
}
