import Foundation
import PgClient
import PgScorer
import TestSupport
import Testing

/// The maintenance services against a real PostgreSQL: each task on its own, and the
/// worker reaper seen by a user through `pgscorer status`.
@Suite("Maintenance")
struct MaintenanceTests {
    @Test("a worker killed with kill -9 shows as not alive after 3 leases and disappears after 10")
    func deadWorkerIsReaped() async throws {
        try await ScorerFixture.with { fixture in
            func workers() async throws -> [[String: Any]] {
                let status = try await PgScorerProcess.run(["status", "--format", "json"], database: fixture.database)
                let document = try JSONSerialization.jsonObject(with: Data(status.output.utf8.drop { $0 != UInt8(ascii: "{") }))
                return try #require((document as? [String: Any])?["workers"] as? [[String: Any]], "\(status.output)")
            }
            let victim = try PgScorerProcess(
                ["worker", "--no-scheduler", "--no-maintenance", "--lease", "2s", "--poll", "100ms"], database: fixture.database)
            let pid = "\(victim.process.processIdentifier)"
            func victimRow() async throws -> [String: Any]? {
                try await workers().first { ($0["worker_id"] as? String)?.contains(":\(pid):") == true }
            }
            let registered = ContinuousClock.now + .seconds(20)
            while try await victimRow() == nil {
                #expect(ContinuousClock.now < registered, "the worker did not register")
                if ContinuousClock.now > registered { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            // A second worker runs the reaper, once per lease of 2 s.
            let reaper = try PgScorerProcess(["worker", "--no-scheduler", "--lease", "2s", "--poll", "100ms"], database: fixture.database)
            // Killed right after a heartbeat: on a loaded machine the last one may otherwise
            // be seconds old already, and "alive" below would measure the load, not the rule.
            let fresh = "SELECT count(*) FROM pgscorer.workers WHERE worker_id LIKE $1 AND heartbeat_at > now() - interval '300 milliseconds'"
            try await Waiting.until("a fresh heartbeat of the victim") { try await fixture.count(SQLText(unsafeSQL: fresh), "%:\(pid):%") == 1 }
            victim.signal(SIGKILL)
            let killed = ContinuousClock.now
            try await Task.sleep(for: .milliseconds(2500))
            // Read from the view `status` shows, without a process start between the clock and the answer.
            let stillAlive = try await fixture.connection.query(
                "SELECT bool_and(alive) AS alive FROM pgscorer.worker_health WHERE worker_id LIKE $1", "%:\(pid):%").single()
            #expect(try stillAlive.decode("alive") as Bool? == true, "1.25 leases of silence is not death")

            var notAlive: Duration?
            var gone: Duration?
            while gone == nil, ContinuousClock.now - killed < .seconds(45) {
                let row = try await victimRow()
                let elapsed = ContinuousClock.now - killed
                if notAlive == nil, row?["alive"] as? Bool == false { notAlive = elapsed }
                if row == nil { gone = elapsed }
                try await Task.sleep(for: .milliseconds(200))
            }
            reaper.signal(SIGTERM)
            _ = try await reaper.finish()
            let deadAfter = try #require(notAlive, "never shown as not alive")
            let goneAfter = try #require(gone, "never removed")
            // The last heartbeat may be up to a third of a lease older than the kill; the upper
            // bounds leave room for a loaded machine's slow status processes.
            #expect(deadAfter >= .seconds(5) && deadAfter <= .seconds(14), "not alive after \(deadAfter)")
            #expect(goneAfter >= .seconds(19) && goneAfter <= .seconds(35), "removed after \(goneAfter)")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.workers") == 0, "the reaper's own worker deregistered")
        }
    }

    @Test("the lease reaper fails only jobs whose lease expired on their last attempt")
    func leaseReaper() async throws {
        try await ScorerFixture.with { fixture in
            try await fixture.addModel(device: "pump-1", sensor: "temp", featureCount: 2)
            try await fixture.addModel(device: "pump-2", sensor: "temp", featureCount: 2)
            let jobs = try await fixture.enqueue(.utc("2026-11-24T00:00:00Z"), .utc("2026-11-25T00:00:00Z"), maxAttempts: 1)
            let queue = try await fixture.queue("doomed")
            #expect(try await queue.claim(limit: 2, lease: .seconds(60)).count == 2)
            // The first one's lease ran out (backdated); the second's still holds.
            try await fixture.connection.execute("UPDATE pgscorer.jobs SET lease_until = now() - interval '1 second' WHERE job_id = $1", jobs[0])
            #expect(try await LeaseReaper(interval: .seconds(1)).runOnce(on: fixture.connection) == 1)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'failed' AND job_id = $1", jobs[0]) == 1)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'running' AND job_id = $1", jobs[1]) == 1)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.job_runs WHERE outcome = 'abandoned'") == 1)
            #expect(try await LeaseReaper(interval: .seconds(1)).runOnce(on: fixture.connection) == 0, "nothing twice")
            await queue.connection.close()
        }
    }

    @Test("the partition keeper makes next month's partitions once")
    func partitionKeeper() async throws {
        try await ScorerFixture.with { fixture in
            let keeper = PartitionKeeper(interval: .seconds(3600))
            _ = try await keeper.runOnce(on: fixture.connection)
            #expect(try await keeper.runOnce(on: fixture.connection) == 0, "idempotent")
            let ahead = try await fixture.count(
                """
                SELECT count(*) FROM pg_class WHERE relname IN (
                    'readings_' || to_char((now() + interval '35 days') AT TIME ZONE 'UTC', 'YYYYMM'),
                    'predictions_' || to_char((now() + interval '35 days') AT TIME ZONE 'UTC', 'YYYYMM'))
                """)
            #expect(ahead == 2)
        }
    }
}
