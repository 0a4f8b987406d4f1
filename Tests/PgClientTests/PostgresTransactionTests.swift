import PgClient
import TestSupport
import Testing

@Suite("PgClient transactions")
struct PostgresTransactionTests {
    struct Boom: Error {}

    @Test("a transaction commits when its body returns and rolls back when it throws")
    func commitAndRollback() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await connection.execute("CREATE TABLE reading (value float8)")
            let inserted = try await connection.transaction { tx in
                try await tx.execute("INSERT INTO reading VALUES ($1), ($2)", 1.0, 2.0)
            }
            #expect(inserted == 2)
            await #expect(throws: Boom.self) {
                try await connection.transaction { tx in
                    try await tx.execute("INSERT INTO reading VALUES ($1)", 3.0)
                    throw Boom()
                }
            }
            let count: Int = try await connection.query("SELECT count(*) FROM reading").single().decode(0)
            #expect(count == 2)
        }
    }

    @Test("a transaction whose statement failed cannot be committed by swallowing the error")
    func abortedTransactionIsNotReportedCommitted() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await connection.execute("CREATE TABLE reading (value float8 CHECK (value > 0))")
            let error = await #expect(throws: PostgresError.self) {
                try await connection.transaction { tx in
                    try await tx.execute("INSERT INTO reading VALUES (1)")
                    _ = try? await tx.execute("INSERT INTO reading VALUES (-1)")
                }
            }
            #expect(error?.sqlState == "25P02")
            let count: Int = try await connection.query("SELECT count(*) FROM reading").single().decode(0)
            #expect(count == 0)
        }
    }

    @Test("cancelling the task rolls the transaction back")
    func cancellationRollsBack() async throws {
        try await TestDatabase.with { database in
            let connection = try await database.connect()
            try await connection.execute("CREATE TABLE reading (value float8)")
            let task = Task {
                try await connection.transaction { tx in
                    try await tx.execute("INSERT INTO reading VALUES (1)")
                    try await tx.execute("SELECT pg_sleep(30)")
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            await #expect(throws: (any Error).self) { try await task.value }
            let count: Int = try await connection.query("SELECT count(*) FROM reading").single().decode(0)
            #expect(count == 0)
        }
    }
}
