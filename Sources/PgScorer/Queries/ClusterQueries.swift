/// Statements the embedded cluster runs through `psql` while it starts, before any
/// connection of ours exists.
enum ClusterQueries {
    /// Every database's name, one a line (the caller looks for its own: no value is
    /// spliced into the text).
    static let databaseNames = "SELECT datname FROM pg_database"
}
