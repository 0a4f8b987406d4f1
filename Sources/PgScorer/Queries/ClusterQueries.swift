/// Statements the embedded cluster runs through `psql` while it starts, before any
/// connection of ours exists.
enum ClusterQueries {
    /// Prints 1 if database `name` exists, else 0. `name` is our own constant, never user text.
    static func databaseExists(_ name: String) -> String {
        "SELECT count(*) FROM pg_database WHERE datname = '\(name)'"
    }
}
