import Foundation
import Logging
import PgClient
import PgScorer
import TestSupport
import Testing

/// Quarantine of poison series against a real PostgreSQL, through real worker processes.
@Suite("Quarantine")
struct QuarantineTests {
    @Test("a series whose jobs fail permanently 3 times in a row is held: ticks skip it and say so; resume or a new active model releases it")
    func poisonSeries() async throws {
        try await ScorerFixture.with { fixture in
            for device in ["pump-1", "pump-2"] {
                try await fixture.addModel(device: device, sensor: "temp", featureCount: 2)
                try await fixture.loadReadings(device: device, sensor: "temp", start: .utc("2026-11-24T00:00:00Z"), count: 30, featureCount: 2)
            }
            // pump-2's model payload is damaged: every job of it fails permanently.
            try await fixture.connection.execute(
                "UPDATE pgscorer.models SET payload = '\\x00'::bytea WHERE series_id = (SELECT series_id FROM pgscorer.series WHERE device = 'pump-2')")
            for window in 0..<3 {
                let start = PostgresTimestamp.utc("2026-11-24T00:00:00Z").microsecondsSince2000 + Int64(window) * 600_000_000
                try await fixture.enqueue(PostgresTimestamp(microsecondsSince2000: start), PostgresTimestamp(microsecondsSince2000: start + 600_000_000))
                #expect(try await PgScorerProcess.run(["worker", "--exit-when-idle", "--no-scheduler"], database: fixture.database).status == 0)
            }
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.held_series WHERE device = 'pump-2' AND consecutive = 3") == 1)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.series_failures WHERE series_id = (SELECT series_id FROM pgscorer.series WHERE device = 'pump-1')") == 0)
            let status = try await PgScorerProcess.run(["status"], database: fixture.database)
            #expect(status.output.contains("pump-2/temp since") && status.output.contains("after 3 permanent failures"), "\(status.output)")

            // A tick skips the held series and records it.
            try await fixture.connection.execute(
                #"INSERT INTO pgscorer.schedules (name, every, "window", created_at) VALUES ('fleet', '1 minute', '1 hour', now() - interval '1 hour')"#)
            let fired = try await Scheduler(connection: fixture.connection, workerID: "t", logger: Logger(label: "test")).fireDueTicks()
            #expect(fired.map(\.jobsCreated) == [1], "only pump-1 is queued")
            #expect(try await fixture.count("SELECT series_held FROM pgscorer.schedule_runs") == 1)

            let resumed = try await PgScorerProcess.run(["series", "resume", "--device", "pump-2"], database: fixture.database)
            #expect(resumed.status == 0 && resumed.output.contains("released 1 held series: pump-2/temp"), "\(resumed.output)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.series_failures") == 0)

            // Held again, then a new active model releases it.
            try await fixture.connection.execute(
                """
                INSERT INTO pgscorer.series_failures (series_id, consecutive, last_error, last_job_id, held_since)
                SELECT series_id, 3, 'x', 1, now() FROM pgscorer.series WHERE device = 'pump-2'
                """)
            try await fixture.addModel(device: "pump-2", sensor: "temp", featureCount: 2, seed: 5)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.held_series") == 0)
        }
    }

    @Test("transient failures never count; a completed job ends a run of failures")
    func onlyPermanentFailuresInARowCount() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
            try await fixture.connection.execute("UPDATE pgscorer.settings SET value = '2' WHERE key = 'quarantine.after'")
            let queue = try await fixture.queue("w")
            for hour in 0..<4 {
                let start = PostgresTimestamp.utc("2026-11-24T00:00:00Z").microsecondsSince2000 + Int64(hour) * 3_600_000_000
                try await fixture.enqueue(PostgresTimestamp(microsecondsSince2000: start), PostgresTimestamp(microsecondsSince2000: start + 3_600_000_000))
            }
            var jobs = try await queue.claim(limit: 4, lease: .seconds(60))
            #expect(jobs.count == 4)
            _ = try await queue.fail(jobs[0], error: "statement timeout", retryAfter: 60, permanent: false, startedAt: jobs[0].claimedAt, durationMilliseconds: 1)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.series_failures") == 0, "a transient failure does not count")
            _ = try await queue.fail(jobs[1], error: "bad payload", retryAfter: 0, permanent: true, startedAt: jobs[1].claimedAt, durationMilliseconds: 1)
            #expect(try await fixture.count("SELECT consecutive FROM pgscorer.series_failures WHERE held_since IS NULL") == 1)
            let scored = try await BatchScorer().score(jobs[2], on: queue.connection)
            #expect(try await queue.complete([scored]).count == 1)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.series_failures") == 0, "a completed job ends the run")
            _ = try await queue.fail(jobs[3], error: "bad payload", retryAfter: 0, permanent: true, startedAt: jobs[3].claimedAt, durationMilliseconds: 1)
            jobs = []
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.held_series") == 0, "one failure after a success: not held at 2")
            do {
                try await fixture.connection.execute("UPDATE pgscorer.settings SET value = 'many' WHERE key = 'quarantine.after'")
                Issue.record("a bad quarantine.after was accepted")
            } catch let error as PostgresError {
                #expect(error.message.contains("is not a count of failures"), "\(error.message)")
            }
            await queue.connection.close()
        }
    }
}
