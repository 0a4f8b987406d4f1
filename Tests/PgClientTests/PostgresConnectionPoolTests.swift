import Logging
import PgClient
import Synchronization
import TestSupport
import Testing

/// The pool against a real PostgreSQL: never more connections than its size, each set
/// up once, reused, and a closed pool says so to waiting and later callers.
@Suite("Connection pool")
struct PostgresConnectionPoolTests {
    /// What the tasks saw, shared between them.
    final class Seen: Sendable {
        let setUps = Mutex(0)
        let inUse = Mutex((now: 0, most: 0))
        let backends = Mutex(Set<Int>())
    }

    @Test("twelve concurrent tasks share two connections, set up once each; a closed pool refuses")
    func sharesAndCloses() async throws {
        try await TestDatabase.with { database in
            let seen = Seen()
            let pool = PostgresConnectionPool(database.url, size: 2, logger: Logger(label: "test")) { connection in
                seen.setUps.withLock { $0 += 1 }
                try await connection.execute("SET application_name = 'pooled'")
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<12 {
                    group.addTask {
                        try await pool.withConnection { connection in
                            seen.inUse.withLock { $0.now += 1; $0.most = max($0.most, $0.now) }
                            // Hold the connection until both are seen in use at once (or 10 s
                            // pass): on a loaded machine the tasks may otherwise take turns,
                            // and a pool that lends only one would never get there.
                            let deadline = ContinuousClock.now + .seconds(10)
                            while seen.inUse.withLock({ $0.most }) < 2, ContinuousClock.now < deadline {
                                try await Task.sleep(for: .milliseconds(5))
                            }
                            let name: String = try await connection.query("SELECT pg_sleep(0.02)::text, current_setting('application_name') AS name")
                                .single().decode("name")
                            #expect(name == "pooled")
                            _ = seen.backends.withLock { $0.insert(connection.backendPID) }
                            seen.inUse.withLock { $0.now -= 1 }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(seen.inUse.withLock { $0.most } == 2)
            #expect(seen.setUps.withLock { $0 } == 2 && seen.backends.withLock { $0.count } == 2)
            await pool.close()
            await #expect(throws: PostgresError.self) { try await pool.withConnection { _ in 1 } }
        }
    }
}
