import PgClient

extension PostgresError {
    /// Whether the server's message is meant for the person who typed the command: what
    /// our functions and triggers raise (class P0), a value or row the database refused
    /// (classes 22 and 23), and a right the login lacks (42501). The command line then
    /// prints that message alone, without SQLSTATE, statement name or PL/pgSQL context.
    var isForTheUser: Bool {
        guard code == .server, let sqlState else { return false }
        return sqlState.hasPrefix("P0") || sqlState.hasPrefix("22") || sqlState.hasPrefix("23") || sqlState == SQLState.insufficientPrivilege
    }

    /// The message as a user reads it: a missing right says which role grants it.
    var userMessage: String {
        guard sqlState == SQLState.insufficientPrivilege else { return message }
        return message + ": this login lacks the right (the roles pgscorer_worker, pgscorer_ingest and pgscorer_reader are described in docs/reliability-and-security.md)"
    }
}
