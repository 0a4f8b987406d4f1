extension PostgresConnection {
    /// Transaction isolation levels, as in `BEGIN ISOLATION LEVEL …`.
    public enum IsolationLevel: Sendable {
        case readCommitted, repeatableRead, serializable

        var beginStatement: SQLText {
            switch self {
            case .readCommitted: "BEGIN ISOLATION LEVEL READ COMMITTED"
            case .repeatableRead: "BEGIN ISOLATION LEVEL REPEATABLE READ"
            case .serializable: "BEGIN ISOLATION LEVEL SERIALIZABLE"
            }
        }
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws
    /// (cancellation included) and rethrows. The rollback itself is not cancellable.
    public func transaction<T>(
        isolation level: IsolationLevel = .readCommitted,
        isolation actor: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await execute(PostgresQuery(level.beginStatement))
        let value: T
        do {
            value = try await body(self)
        } catch {
            await rollback()
            throw error
        }
        let commit: PostgresRows
        do {
            commit = try await query(PostgresQuery("COMMIT"))
        } catch {
            await rollback()
            throw error
        }
        // COMMIT of a transaction that an earlier (caught) error aborted reports ROLLBACK.
        guard commit.commandTag == "COMMIT" else {
            throw PostgresError(
                .server, message: "transaction was aborted by an earlier error and has been rolled back",
                sqlState: "25P02")
        }
        return value
    }

    /// Ends the current transaction, if any, ignoring errors (the connection may be gone).
    private func rollback() async {
        _ = try? await run { session in try session.execute(PostgresQuery("ROLLBACK")) }
    }
}
