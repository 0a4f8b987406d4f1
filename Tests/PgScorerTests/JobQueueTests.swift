import Kernels
import Foundation
import PgClient
import TestSupport
import Testing

import PgScorer

@Suite("Job queue")
struct JobQueueTests {
    static let start = PostgresTimestamp.utc("2026-11-24T00:00:00Z")
    static let end = PostgresTimestamp.utc("2026-11-24T01:00:00Z")

    /// A fleet of `series` series with models and an hour of readings; one job each.
    static func fleet(_ fixture: ScorerFixture, series: Int, readings: Int = 60) async throws -> [Int64] {
        for index in 0..<series {
            try await fixture.addModel(device: "pump-\(index)", sensor: "temp", featureCount: 3)
            try await fixture.loadReadings(device: "pump-\(index)", sensor: "temp", start: start, count: readings, featureCount: 3)
        }
        return try await fixture.enqueue(start, end)
    }

    @Test("8 concurrent claimers never get the same job, and together get all of them")
    func claimsNeverOverlap() async throws {
        try await ScorerFixture.with { fixture in
            let jobs = try await Self.fleet(fixture, series: 3, readings: 1)
            // Many more jobs over other windows of the same series.
            for hour in 1...66 {
                let from = PostgresTimestamp(microsecondsSince2000: Self.start.microsecondsSince2000 + Int64(hour) * 3_600_000_000)
                _ = try await fixture.enqueue(from, PostgresTimestamp(microsecondsSince2000: from.microsecondsSince2000 + 3_600_000_000))
            }
            let total = try await fixture.count("SELECT count(*) FROM pgscorer.jobs")
            #expect(total == jobs.count + 66 * 3)
            let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for claimer in 0..<8 {
                    group.addTask {
                        let queue = try await fixture.queue("claimer-\(claimer)")
                        var mine: [Int64] = []
                        while true {
                            let batch = try await queue.claim(limit: 5, lease: .seconds(60))
                            if batch.isEmpty { break }
                            mine += batch.map(\.jobID)
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [[Int64]]()) { $0.append($1) }
            }
            let all = claimed.flatMap { $0 }
            #expect(all.count == total)
            #expect(Set(all).count == total, "a job was claimed twice")
            #expect(claimed.filter { !$0.isEmpty }.count > 1, "claims should spread over claimers")
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'running' AND attempt = 1") == total)
        }
    }

    @Test("a dead worker's jobs are claimed again once the lease expires, and the lost attempt is logged")
    func expiredLeasesAreReclaimed() async throws {
        try await ScorerFixture.with { fixture in
            let jobs = try await Self.fleet(fixture, series: 2)
            let survivor = try await fixture.queue("survivor")
            let dead = try await fixture.queue("dead-worker")
            let taken = try await dead.claim(limit: 10, lease: .seconds(60))
            #expect(taken.count == jobs.count)
            #expect(try await survivor.claim(limit: 10, lease: .seconds(60)).isEmpty, "leases still valid")
            // The dead worker's leases run out (backdated: no test waits for a clock).
            try await fixture.connection.execute("UPDATE pgscorer.jobs SET lease_until = now() - interval '1 second' WHERE lease_owner = 'dead-worker'")
            let reclaimed = try await survivor.claim(limit: 10, lease: .seconds(60))
            #expect(Set(reclaimed.map(\.jobID)) == Set(jobs))
            #expect(reclaimed.allSatisfy { $0.attempt == 2 })
            let abandoned = try await fixture.count(
                "SELECT count(*) FROM pgscorer.job_runs WHERE outcome = 'abandoned' AND attempt = 1 AND worker_id = 'dead-worker'")
            #expect(abandoned == jobs.count)
        }
    }

    @Test("a zombie's late completion is refused by the fence; the newer attempt's predictions stand")
    func zombieCompletionIsRefused() async throws {
        try await ScorerFixture.with { fixture in
            _ = try await Self.fleet(fixture, series: 1)
            let scorer = BatchScorer()
            let zombie = try await fixture.queue("zombie")
            let first = try #require(try await zombie.claim(limit: 1, lease: .seconds(60)).first)
            let zombieResult = try await scorer.score(first, on: zombie.connection)
            // The zombie stalls past its lease (backdated).
            try await fixture.connection.execute("UPDATE pgscorer.jobs SET lease_until = now() - interval '1 second' WHERE job_id = $1", first.jobID)

            let successor = try await fixture.queue("successor")
            let second = try #require(try await successor.claim(limit: 1, lease: .seconds(60)).first)
            #expect(second.jobID == first.jobID && second.attempt == 2)
            let successorResult = try await scorer.score(second, on: successor.connection)

            // The zombie wakes up and tries to finish: nothing it writes lands.
            let tampered = ScoredJob(
                job: first, modelID: zombieResult.modelID, timestamps: zombieResult.timestamps, scores: zombieResult.scores.map { _ in -999 },
                startedAt: first.claimedAt, durationMilliseconds: 1)
            #expect(try await zombie.complete([tampered]).isEmpty)
            try await zombie.recordLostAttempt(first, startedAt: first.claimedAt)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions") == 0)

            #expect(try await successor.complete([successorResult]) == [second.jobID])
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions WHERE score = -999") == 0)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions WHERE job_id = $1", second.jobID) == 60)
            let outcomes = try await fixture.connection.query(
                "SELECT attempt, outcome::text FROM pgscorer.job_runs WHERE job_id = $1 ORDER BY attempt", first.jobID)
            #expect(try outcomes.map { "\(try $0.decode(0) as Int):\(try $0.decode(1) as String)" } == ["1:abandoned", "2:completed"])
            // A late completion after the successor finished is refused too.
            #expect(try await zombie.complete([tampered]).isEmpty)
        }
    }

    @Test("failures retry with backoff and end as failed with every error kept")
    func boundedRetries() async throws {
        try await ScorerFixture.with { fixture in
            _ = try await Self.fleet(fixture, series: 1)
            try await fixture.connection.execute("UPDATE pgscorer.jobs SET max_attempts = 3")
            let queue = try await fixture.queue("flaky")
            var states: [JobState?] = []
            for attempt in 1...3 {
                let job = try #require(try await queue.claim(limit: 1, lease: .seconds(60)).first)
                #expect(job.attempt == attempt)
                states.append(try await queue.fail(
                    job, error: "statement timeout (attempt \(attempt))", retryAfter: attempt < 3 ? 2 : 30, permanent: false,
                    startedAt: job.claimedAt, durationMilliseconds: 5))
                if attempt < 3 {
                    // Backoff: not claimable at once (two seconds are long enough on a loaded machine).
                    #expect(try await queue.claim(limit: 1, lease: .seconds(60)).isEmpty)
                    try await Task.sleep(for: .milliseconds(2100))
                }
            }
            #expect(states == [.retryable, .retryable, .failed])
            let row = try await fixture.connection.query(
                "SELECT state::text, jsonb_array_length(errors), last_error, finished_at IS NOT NULL FROM pgscorer.jobs").single()
            #expect(try row.decode(0) as String == "failed")
            #expect(try row.decode(1) as Int == 3)
            #expect(try row.decode(2) as String == "statement timeout (attempt 3)")
            #expect(try row.decode(3) as Bool)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.job_runs WHERE outcome = 'retry'") == 2)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.job_runs WHERE outcome = 'failed'") == 1)
            #expect(try await queue.claim(limit: 1, lease: .seconds(60)).isEmpty, "a failed job is not claimed again")
        }
    }

    @Test("an operator's cancellation stops the running attempt at its next checkpoint")
    func cancellation() async throws {
        try await ScorerFixture.with { fixture in
            let jobs = try await Self.fleet(fixture, series: 1)
            let queue = try await fixture.queue("worker")
            let job = try #require(try await queue.claim(limit: 1, lease: .seconds(60)).first)
            let result = try await BatchScorer().score(job, on: queue.connection)
            try await fixture.connection.execute("UPDATE pgscorer.jobs SET state = 'cancelled' WHERE job_id = $1", jobs[0])
            #expect(try await queue.renewLeases([job], lease: .seconds(60)).isEmpty, "the heartbeat notices")
            #expect(try await queue.complete([result]).isEmpty, "the completion is refused")
            try await queue.recordLostAttempt(job, startedAt: job.claimedAt)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions") == 0)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.job_runs WHERE outcome = 'cancelled'") == 1)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'cancelled'") == 1)
        }
    }

    @Test("overlapping windows in one batch get one prediction per reading (the later job's); a re-scored window replaces its predictions")
    func overlappingWindows() async throws {
        try await ScorerFixture.with { fixture in
            _ = try await Self.fleet(fixture, series: 1)
            let halfHour: Int64 = 30 * 60_000_000
            let later = try await fixture.enqueue(
                PostgresTimestamp(microsecondsSince2000: Self.start.microsecondsSince2000 + halfHour),
                PostgresTimestamp(microsecondsSince2000: Self.end.microsecondsSince2000 + halfHour))
            let queue = try await fixture.queue("w")
            let scorer = BatchScorer()
            func scoreAll(_ jobs: [ClaimedJob]) async throws -> [ScoredJob] {
                var results: [ScoredJob] = []
                for job in jobs { results.append(try await scorer.score(job, on: queue.connection)) }
                return results
            }
            let claimed = try await queue.claim(limit: 10, lease: .seconds(60))
            #expect(claimed.count == 2)
            #expect(try await queue.complete(try await scoreAll(claimed)).count == 2)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions") == 60)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions WHERE job_id = $1", later[0]) == 30)

            let again = try await fixture.enqueue(Self.start, Self.end)
            #expect(try await queue.complete(try await scoreAll(try await queue.claim(limit: 10, lease: .seconds(60)))).count == 1)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions") == 60)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions WHERE job_id = $1", again[0]) == 60)
        }
    }

    @Test("a completion that collides with another job's uncommitted predictions tries again once they commit, and replaces them")
    func completionCollision() async throws {
        try await ScorerFixture.with { fixture in
            _ = try await Self.fleet(fixture, series: 1)
            let queue = try await fixture.queue("w")
            let job = try #require(try await queue.claim(limit: 1, lease: .seconds(60)).first)
            let result = try await BatchScorer().score(job, on: queue.connection)
            #expect(result.timestamps.first == Self.start)

            // Another writer holds an uncommitted prediction for the job's first reading.
            let other = try await fixture.database.connect()
            try await other.execute("BEGIN")
            try await other.execute(
                "INSERT INTO pgscorer.predictions (series_id, ts, model_id, score, is_anomaly, job_id) VALUES ($1, $2, $3, 99, false, $4)",
                job.seriesID, Self.start, result.modelID, job.jobID)
            let completion = Task { try await queue.complete([result]) }
            try await Waiting.untilBlocked(queue.connection.backendPID, seenFrom: fixture.connection)
            try await other.execute("COMMIT")  // the waiting COPY now meets a unique violation
            await other.close()

            #expect(try await completion.value == [job.jobID])
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.predictions") == 60)
            let first = try await fixture.connection.query(
                "SELECT score, job_id FROM pgscorer.predictions WHERE ts = $1", Self.start).single()
            #expect(try first.decode(0) as Double == result.scores[0])
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.job_runs WHERE outcome = 'completed'") == 1)
        }
    }

    @Test("a resuming claim continues after its key in claim order; a claim from the front finds what landed before it")
    func resumingClaims() async throws {
        try await ScorerFixture.with { fixture in
            _ = try await Self.fleet(fixture, series: 3, readings: 1)
            for hour in 1...2 {
                let from = PostgresTimestamp(microsecondsSince2000: Self.start.microsecondsSince2000 + Int64(hour) * 3_600_000_000)
                _ = try await fixture.enqueue(from, PostgresTimestamp(microsecondsSince2000: from.microsecondsSince2000 + 3_600_000_000))
            }
            let order = try await fixture.connection.query("SELECT job_id FROM pgscorer.jobs ORDER BY priority, run_at, job_id")
                .map { try $0.decode(0) as Int64 }
            #expect(order.count == 9)
            let queue = try await fixture.queue("w")
            let first = try await queue.claim(limit: 3, lease: .seconds(60), resumingAfter: nil)
            #expect(Set(first.jobs.map(\.jobID)) == Set(order[0..<3]))
            let key = try #require(first.lastKey)
            #expect(key.jobID == order[2])

            // An urgent job appears before the key: resuming does not see it, the front does.
            try await fixture.connection.execute("UPDATE pgscorer.jobs SET priority = -1 WHERE job_id = $1", order[8])
            let resumed = try await queue.claim(limit: 2, lease: .seconds(60), resumingAfter: key)
            #expect(Set(resumed.jobs.map(\.jobID)) == Set(order[3..<5]))
            #expect(resumed.lastKey?.jobID == order[4])
            let front = try await queue.claim(limit: 2, lease: .seconds(60), resumingAfter: nil)
            #expect(Set(front.jobs.map(\.jobID)) == [order[8], order[5]])
        }
    }

    @Test("released attempts go back to available without using up an attempt")
    func release() async throws {
        try await ScorerFixture.with { fixture in
            _ = try await Self.fleet(fixture, series: 3)
            let queue = try await fixture.queue("stopping")
            let jobs = try await queue.claim(limit: 10, lease: .seconds(60))
            #expect(try await queue.release(jobs) == 3)
            #expect(try await fixture.count("SELECT count(*) FROM pgscorer.jobs WHERE state = 'available' AND attempt = 0") == 3)
            let again = try await queue.claim(limit: 10, lease: .seconds(60))
            #expect(again.allSatisfy { $0.attempt == 1 })
        }
    }

    @Test("the same window is not queued twice while pending")
    func uniquePendingWindow() async throws {
        try await ScorerFixture.with { fixture in
            let first = try await Self.fleet(fixture, series: 2)
            #expect(first.count == 2)
            #expect(try await fixture.enqueue(Self.start, Self.end).isEmpty)
            let queue = try await fixture.queue("w")
            let claimed = try await queue.claim(limit: 10, lease: .seconds(60))
            let scorer = BatchScorer()
            var results: [ScoredJob] = []
            for job in claimed { results.append(try await scorer.score(job, on: queue.connection)) }
            #expect(try await queue.complete(results).count == 2)
            // Once done, the window can be scored again (e.g. after new readings arrived).
            #expect(try await fixture.enqueue(Self.start, Self.end).count == 2)
        }
    }
}
