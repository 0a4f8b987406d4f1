import Foundation
import PgClient
import TestSupport
import Testing

@Suite("PgClient connections, errors, prepared statements and cancellation")
struct PostgresConnectionTests {
    @Test("a password in a URL or key=value string is recognised, so it is never printed")
    func containsPassword() {
        #expect(PostgresConnection.containsPassword("postgres://scorer:s3cret@db.example/fleet"))
        #expect(PostgresConnection.containsPassword("host=db user=scorer password=s3cret dbname=fleet"))
        #expect(!PostgresConnection.containsPassword("postgres://scorer@db.example/fleet"))
        #expect(!PostgresConnection.containsPassword("host=/var/lib/pgscorer/x/run dbname=pgscorer"))
        #expect(PostgresConnection.containsPassword("host='unterminated"), "unparsable counts as secret")
    }

    @Test("a failed connect names host, port and database but never the password")
    func connectFailure() async throws {
        let error = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(
                "postgres://scorer:s3cretPassw0rd@127.0.0.1:1/fleet?connect_timeout=2")
        }
        let text = error.map { "\($0)" } ?? ""
        #expect(error?.code == .connectionFailed)
        #expect(error?.isConnectionLoss == true)
        #expect(text.contains("127.0.0.1"))
        #expect(text.contains("port 1"))
        #expect(text.contains("\"fleet\""))
        #expect(!text.contains("s3cretPassw0rd"))

        let socketError = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect("host=/nonexistent/socket/dir port=5999 dbname=x")
        }
        #expect(socketError.map { "\($0)" }?.contains("socket /nonexistent/socket/dir port 5999") == true)
    }

    @Test("a unique violation carries SQLSTATE 23505, the constraint and the detail")
    func serverError() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await connection.execute("CREATE TABLE device (name text PRIMARY KEY)")
            try await connection.execute("INSERT INTO device VALUES ($1)", "pump-7")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.execute(PostgresQuery("INSERT INTO device VALUES ($1)", ["pump-7"], name: "insert_device"))
            }
            #expect(error?.sqlState == SQLState.uniqueViolation)
            #expect(error?.constraintName == "device_pkey")
            #expect(error?.detail?.contains("pump-7") == true)
            #expect(error?.statementName == "insert_device")
            #expect(error?.severity == "ERROR")
            // The description names the statement and the server's words, not the bound values.
            let description = error.map { "\($0)" } ?? ""
            #expect(description.contains("insert_device") && description.contains("23505"))
            // The connection stays usable after a statement error.
            let count: Int = try await connection.query("SELECT count(*) FROM device").single().decode(0)
            #expect(count == 1)
        }
    }

    @Test("a named query is prepared once and then reused")
    func preparedStatements() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            let square = PreparedQuery(name: "square", "SELECT $1::int8 * $1::int8")
            for value in 1...5 {
                let result: Int = try await connection.query(square.bind(value)).single().decode(0)
                #expect(result == value * value)
            }
            let prepared: Int = try await connection.query(
                "SELECT count(*) FROM pg_prepared_statements WHERE name = 'square'"
            ).single().decode(0)
            #expect(prepared == 1)
        }
    }

    @Test("cancelling a task cancels its running statement on the server")
    func cancellation() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            let observer = try await database.connect()
            let backendPID = connection.backendPID
            let started = ContinuousClock.now
            let task = Task { try await connection.execute("SELECT pg_sleep(30)") }
            try await Waiting.untilRunning(backendPID, seenFrom: observer)  // then cancel
            task.cancel()
            let error = await #expect(throws: PostgresError.self) { try await task.value }
            #expect(error?.sqlState == SQLState.queryCanceled)
            #expect(ContinuousClock.now - started < .seconds(10))
            let alive: Int = try await connection.query("SELECT 1").single().decode(0)
            #expect(alive == 1)
        }
    }

    @Test("a call cancelled while it waits behind another is never sent, and the call ahead is not cancelled")
    func cancellationWhileQueued() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            let observer = try await database.connect()
            let backendPID = connection.backendPID
            // Two tasks on one connection queue up behind each other (the second waits for the queue).
            let launched = ContinuousClock.now
            let ahead = Task { try await connection.execute("SELECT pg_sleep(5)") }
            try await Waiting.untilRunning(backendPID, seenFrom: observer)
            let started = ContinuousClock.now
            let behind = Task { try await connection.execute("SELECT pg_sleep(30)") }
            try await Task.sleep(for: .milliseconds(100))
            behind.cancel()
            // The call ahead runs until at least 5 s after `launched`: the cancellation surely came while it ran.
            try #require(ContinuousClock.now - launched < .milliseconds(4500), "the machine stalled too long to tell")
            _ = try await ahead.value  // not cancelled by the cancellation of the call behind it
            await #expect(throws: CancellationError.self) { try await behind.value }
            #expect(ContinuousClock.now - started < .seconds(10), "the cancelled call was sent and waited out pg_sleep(30)")
            let alive: Int = try await connection.query("SELECT 1").single().decode(0)
            #expect(alive == 1)
        }
    }

    @Test("a terminated backend is reported as connection loss")
    func connectionLoss() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            let other = try await database.connect()
            try await other.execute("SELECT pg_terminate_backend($1)", Int32(connection.backendPID))
            let error = await #expect(throws: PostgresError.self) { try await connection.execute("SELECT 1") }
            #expect(error?.isConnectionLoss == true)
            #expect(!connection.isOpen)
        }
    }

    @Test("blocking statements on 8 connections run side by side, not starving the cooperative pool")
    func concurrencyDoesNotStarve() async throws {
        try await TestDatabase.with { database in
            var connections: [PostgresConnection] = []
            for _ in 0..<8 { connections.append(try await database.connect()) }
            // A barrier instead of a clock: all 8 statements wait on a lock the monitor
            // holds. Were the blocking calls serialised on the cooperative threads (2
            // here), at most 2 could ever be waiting at once, and the wait below fails.
            let monitor = try await database.connect()
            try await monitor.execute("SELECT pg_advisory_lock(4242)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for connection in connections {
                    group.addTask { try await connection.execute("SELECT pg_advisory_xact_lock_shared(4242)") }
                }
                try await Waiting.until("8 statements waiting side by side") {
                    try await monitor.query(
                        "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_advisory_xact_lock_shared(4242)' AND wait_event_type = 'Lock'"
                    ).single().decode(0) as Int == 8
                }
                try await monitor.execute("SELECT pg_advisory_unlock(4242)")
                try await group.waitForAll()
            }
        }
    }
}
