import PgClient

/// Every statement of the gateway: its stage, its dead letters, its tokens, its row.
package enum StreamQueries {
    /// The session's stage for a batch that holds keys already stored: arrival order,
    /// series, time, features, and whether they are raw samples. Emptied by each commit.
    package static let createStage: SQLText = """
        CREATE TEMP TABLE IF NOT EXISTS pgscorer_stream_stage (
            position int4 NOT NULL, series_id int8 NOT NULL, ts timestamptz NOT NULL,
            n_features int2 NOT NULL, features float8[] NOT NULL, into_samples bool NOT NULL
        ) ON COMMIT DELETE ROWS
        """

    package static let copyIntoStage: SQLText =
        "COPY pgscorer_stream_stage (position, series_id, ts, n_features, features, into_samples) FROM STDIN (FORMAT binary)"

    /// Stores the staged readings and samples whose key is new: series_id, ts of each one stored.
    package static let insertNewFromStage: SQLText = """
        WITH into_readings AS (
            INSERT INTO pgscorer.readings (series_id, ts, n_features, features)
            SELECT series_id, ts, n_features, features FROM pgscorer_stream_stage WHERE NOT into_samples
            ON CONFLICT (series_id, ts) DO NOTHING
            RETURNING series_id, ts
        ), into_samples AS (
            INSERT INTO pgscorer.samples (series_id, ts, n_features, features)
            SELECT series_id, ts, n_features, features FROM pgscorer_stream_stage WHERE into_samples
            ON CONFLICT (series_id, ts) DO NOTHING
            RETURNING series_id, ts
        )
        SELECT series_id, ts FROM into_readings UNION ALL SELECT series_id, ts FROM into_samples
        """

    /// The staged readings and samples whose key is stored with other features (a
    /// concurrent writer's included, as this statement sees what committed before it):
    /// position, stored.
    package static let stagedConflicts: SQLText = """
        SELECT s.position, coalesce(r.features, x.features) AS stored
        FROM pgscorer_stream_stage s
        LEFT JOIN pgscorer.readings r ON NOT s.into_samples AND r.series_id = s.series_id AND r.ts = s.ts
        LEFT JOIN pgscorer.samples x ON s.into_samples AND x.series_id = s.series_id AND x.ts = s.ts
        WHERE coalesce(r.features, x.features) <> s.features
        """

    /// Makes the monthly partitions of the distinct months in $1 (times).
    package static let ensureMonths = PreparedQuery(
        name: "stream.ensure_months",
        """
        SELECT coalesce(sum(pgscorer.ensure_partitions(m, m)), 0) AS created
        FROM (SELECT DISTINCT date_trunc('month', t AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS m FROM unnest($1::timestamptz[]) t) months
        """)

    package static let copyRejected: SQLText = """
        COPY pgscorer.rejected_readings (received_at, source, device, sensor, ts, payload, reason, detail)
        FROM STDIN (FORMAT binary)
        """

    /// The token whose SHA-256 is that of $1, if it may write now: token_id, device,
    /// sensor_pattern.
    package static let validToken = PreparedQuery(
        name: "stream.valid_token",
        """
        SELECT token_id, device, sensor_pattern FROM pgscorer.device_tokens
        WHERE token_sha256 = sha256(convert_to($1, 'UTF8'))
          AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
        """)

    /// A new token for device $1, sensors LIKE $2, the token $3 (its SHA-256 is kept),
    /// expiring after $4 (NULL: never): token_id.
    package static let addToken = PreparedQuery(
        name: "stream.add_token",
        """
        INSERT INTO pgscorer.device_tokens (device, sensor_pattern, token_sha256, expires_at)
        VALUES ($1, $2, sha256(convert_to($3, 'UTF8')), now() + $4::interval)
        RETURNING token_id
        """)

    /// Every token, never the token itself.
    package static let listTokens: SQLText = """
        SELECT token_id, device, sensor_pattern, created_at, created_by, expires_at, revoked_at
        FROM pgscorer.device_tokens ORDER BY token_id
        """

    /// Revokes token $1 unless it was.
    package static let revokeToken = PreparedQuery(
        name: "stream.revoke_token", "UPDATE pgscorer.device_tokens SET revoked_at = now() WHERE token_id = $1 AND revoked_at IS NULL")

    /// Where a batch's fast way (COPY straight into the readings) can be undone.
    package static let savepoint: SQLText = "SAVEPOINT telemetry_fast"
    package static let releaseSavepoint: SQLText = "RELEASE SAVEPOINT telemetry_fast"
    package static let rollbackToSavepoint: SQLText = "ROLLBACK TO SAVEPOINT telemetry_fast"

    /// Registers gateway $1 (hostname $2, pid $3, version $4, inputs $5, heartbeat
    /// seconds $6), and forgets gateways silent for an hour (killed, never to return).
    package static let register = PreparedQuery(
        name: "stream.register",
        """
        WITH gone AS (DELETE FROM pgscorer.gateways WHERE heartbeat_at < now() - interval '1 hour')
        INSERT INTO pgscorer.gateways (gateway_id, hostname, pid, version, inputs, heartbeat_seconds)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (gateway_id) DO UPDATE SET hostname = EXCLUDED.hostname, pid = EXCLUDED.pid, version = EXCLUDED.version,
            inputs = EXCLUDED.inputs, heartbeat_seconds = EXCLUDED.heartbeat_seconds, started_at = now(), heartbeat_at = now(),
            received = 0, stored = 0, duplicates = 0, rejected = 0, last_stored_at = NULL
        """)

    /// Gateway $1's heartbeat with its counts: received $2, stored $3, duplicates $4,
    /// rejected $5, last stored at $6.
    package static let heartbeat = PreparedQuery(
        name: "stream.heartbeat",
        """
        UPDATE pgscorer.gateways SET heartbeat_at = now(), received = $2, stored = $3, duplicates = $4, rejected = $5,
            last_stored_at = $6
        WHERE gateway_id = $1
        """)

    /// Adds what a gateway took since its last heartbeat to the current minute: received
    /// $1, stored $2, duplicates $3, rejected $4; forgets minutes older than a week.
    package static let addToMinute = PreparedQuery(
        name: "stream.add_to_minute",
        """
        WITH old AS (DELETE FROM pgscorer.ingest_minutes WHERE minute < now() - interval '7 days')
        INSERT INTO pgscorer.ingest_minutes AS m (minute, received, stored, duplicates, rejected)
        VALUES (date_trunc('minute', now()), $1, $2, $3, $4)
        ON CONFLICT (minute) DO UPDATE SET received = m.received + EXCLUDED.received, stored = m.stored + EXCLUDED.stored,
            duplicates = m.duplicates + EXCLUDED.duplicates, rejected = m.rejected + EXCLUDED.rejected
        """)

    package static let unregister = PreparedQuery(
        name: "stream.unregister", "DELETE FROM pgscorer.gateways WHERE gateway_id = $1")
}
