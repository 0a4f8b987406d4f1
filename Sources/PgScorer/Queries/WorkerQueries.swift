import PgClient

/// Every statement against `pgscorer.workers`, the live scorer processes.
package enum WorkerQueries {
    /// Registers worker $1 (host $2, pid $3, $4 slots, version $5, lease $6 seconds).
    package static let register = PreparedQuery(
        name: "workers.register",
        """
        INSERT INTO pgscorer.workers (worker_id, hostname, pid, concurrency, version, lease_seconds)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (worker_id) DO UPDATE SET heartbeat_at = now()
        """)

    /// Records worker $1's heartbeat.
    package static let heartbeat = PreparedQuery(
        name: "workers.heartbeat", "UPDATE pgscorer.workers SET heartbeat_at = now() WHERE worker_id = $1")

    /// Removes worker $1's row (clean shutdown).
    package static let deregister = PreparedQuery(
        name: "workers.deregister", "DELETE FROM pgscorer.workers WHERE worker_id = $1")

    /// Removes the rows of workers silent for more than $1 of their own leases (killed,
    /// or cut off for good); returns their ids.
    package static let removeSilent = PreparedQuery(
        name: "workers.remove_silent",
        """
        DELETE FROM pgscorer.workers
        WHERE heartbeat_at < now() - make_interval(secs => lease_seconds * $1)
        RETURNING worker_id
        """)
}
