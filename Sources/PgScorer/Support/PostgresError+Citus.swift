import PgClient

extension PostgresError {
    /// The SQLSTATE the error was raised with. Citus reports an error that a worker node
    /// raised during a COPY (a COPY, or an INSERT … SELECT it runs as one) with its
    /// message but as an internal error (XX000: multi_copy.c, ReportCopyError): the unique
    /// violations and the readings' trigger refusals PgScorer acts on are known by their
    /// messages then. On one server this is the SQLSTATE.
    package var raisedSQLState: String? {
        guard sqlState == SQLState.internalError else { return sqlState }
        if message.hasPrefix("duplicate key value violates unique constraint") { return SQLState.uniqueViolation }
        // The messages of pgscorer.readings_check_series.
        if message.hasPrefix("readings refer to series") || message.hasPrefix("readings of series")
            || (message.hasPrefix("series ") && message.contains("holds raw samples"))
        {
            return SQLState.foreignKeyViolation
        }
        return sqlState
    }

    /// Citus refuses a write to shards that the same transaction made as another role:
    /// the partitions `ensure_partitions` (SECURITY DEFINER) creates as the tables' owner.
    package var isWriteAfterOwnersPartition: Bool {
        sqlState == "25001" && message.contains("modified in this transaction by a different user")
    }
}
