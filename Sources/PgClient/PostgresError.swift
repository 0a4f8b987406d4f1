/// An error from PgClient: a server error (with its SQLSTATE and fields), a lost or
/// refused connection, a decoding mismatch, or a misuse of the API.
///
/// `description` names the statement and the server's message but never the values
/// bound to the statement, so errors can be logged as they are.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; extensible without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// The server rejected a statement; `sqlState` says why.
        public static let server = Code(name: "server")
        /// A connection could not be established.
        public static let connectionFailed = Code(name: "connectionFailed")
        /// An established connection broke (server restart, network); reconnect.
        public static let connectionLost = Code(name: "connectionLost")
        /// A value could not be decoded into the requested Swift type.
        public static let decoding = Code(name: "decoding")
        /// A value could not be encoded as a parameter.
        public static let encoding = Code(name: "encoding")
        /// The API was used in a way libpq or PgClient does not allow.
        public static let usage = Code(name: "usage")
        /// The operation was cancelled by the caller.
        public static let cancelled = Code(name: "cancelled")
        public var description: String { name }
    }

    public var code: Code
    /// Five-character SQLSTATE from the server, if any.
    public var sqlState: String?
    /// Non-localized severity (`ERROR`, `FATAL`, …), if the server sent one.
    public var severity: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    /// The server's context lines (for COPY: which line of the input failed).
    public var context: String?
    /// Name of the query that failed (a prepared statement's name or the query's label).
    public var statementName: String?
    public var constraintName: String?

    public init(
        _ code: Code, message: String, sqlState: String? = nil, severity: String? = nil,
        detail: String? = nil, hint: String? = nil, context: String? = nil,
        statementName: String? = nil, constraintName: String? = nil
    ) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
        self.severity = severity
        self.detail = detail
        self.hint = hint
        self.context = context
        self.statementName = statementName
        self.constraintName = constraintName
    }

    /// True when the connection is unusable and the caller should reconnect.
    public var isConnectionLoss: Bool {
        if code == .connectionLost || code == .connectionFailed { return true }
        guard let sqlState else { return false }
        // Class 08 is connection exceptions; 57P01–57P03 are server shutdown/crash.
        return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState)
    }

    public var description: String {
        var text = "PostgreSQL \(code)"
        if let sqlState { text += " [\(sqlState)]" }
        if let statementName { text += " in \(statementName)" }
        text += ": \(message)"
        if let detail { text += " (detail: \(detail))" }
        if let hint { text += " (hint: \(hint))" }
        if let context { text += " (context: \(context))" }
        return text
    }
}

/// The SQLSTATEs that PgScorer branches on; everything else is handled generically.
public enum SQLState {
    public static let serializationFailure = "40001"
    public static let deadlockDetected = "40P01"
    public static let uniqueViolation = "23505"
    public static let foreignKeyViolation = "23503"
    public static let checkViolation = "23514"
    public static let queryCanceled = "57014"
    public static let lockNotAvailable = "55P03"
    public static let noDataFound = "P0002"
    public static let insufficientPrivilege = "42501"
    public static let readOnlyTransaction = "25006"
    public static let internalError = "XX000"
}
