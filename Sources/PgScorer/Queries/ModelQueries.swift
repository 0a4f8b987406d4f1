import PgClient

/// Every statement against `pgscorer.models` (and its view `model_versions`).
package enum ModelQueries {
    /// The payload of model $1: payload.
    package static let payload = PreparedQuery(
        name: "models.payload", "SELECT payload FROM pgscorer.models WHERE model_id = $1")

    /// The payloads of several models ($1 ids) in one round trip: model_id, payload.
    package static let payloads = PreparedQuery(
        name: "models.payloads", "SELECT model_id, payload FROM pgscorer.models WHERE model_id = ANY($1::int8[])")

    /// Makes model $1 its series' champion (`pgscorer.activate_model`; $2: even one that
    /// failed its health check): model_id. Refused in words: no such model (P0002), a
    /// failed check (23514).
    package static let activate = PreparedQuery(name: "models.activate", "SELECT pgscorer.activate_model($1, $2) AS model_id")

    /// Stores the next version of series $1's model in one statement: kernel $2, $3
    /// features, $4 support vectors, params $5, payload $6, source $7, $8 training rows,
    /// $9 fit seconds, as role $10 (champion, challenger, stored) unless the function
    /// decides otherwise (no champion yet; a failed check $12 not forced by $11), health
    /// reasons $13 (JSON), training statistics $14 (JSON or NULL). Returns model_id,
    /// version, role.
    package static let storeVersion = PreparedQuery(
        name: "models.store_version",
        "SELECT model_id, version, role FROM pgscorer.store_model_version($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")

    /// The models to check: ids $1 (NULL: by selector), of series matching device LIKE $2
    /// and sensor LIKE $3, after model id $4 (pages of $5): model_id, series_id, nu,
    /// trained_from and trained_until (from params, when PgScorer trained it), payload.
    package static let toCheck = PreparedQuery(
        name: "models.to_check",
        """
        SELECT m.model_id, m.series_id, (m.params ->> 'nu')::float8 AS nu,
               (m.params ->> 'trained_from')::timestamptz AS trained_from, (m.params ->> 'trained_until')::timestamptz AS trained_until,
               m.payload
        FROM pgscorer.models m JOIN pgscorer.series s USING (series_id)
        WHERE ($1::int8[] IS NULL OR m.model_id = ANY($1)) AND s.device LIKE $2 AND s.sensor LIKE $3 AND m.model_id > $4
        ORDER BY m.model_id LIMIT $5
        """)

    /// Records the health of models $1: verdicts $2, reasons $3 (JSON texts).
    package static let recordHealth = PreparedQuery(
        name: "models.record_health",
        """
        UPDATE pgscorer.models m SET health = h.health, health_reasons = h.reasons::jsonb, health_checked_at = now()
        FROM unnest($1::int8[], $2::text[], $3::text[]) AS h(model_id, health, reasons)
        WHERE m.model_id = h.model_id
        """)

    /// Model versions of the series matching device LIKE $1 and sensor LIKE $2, only
    /// active ones when $3, by series and newest first (see `ModelVersion`).
    package static let versions = PreparedQuery(
        name: "models.versions",
        """
        SELECT model_id, device, sensor, version, active, kernel, n_features, n_support, source, params::text AS params,
               checksum, payload_bytes, training_rows, fit_seconds, created_at, health, health_reasons::text AS health_reasons,
               challenger
        FROM pgscorer.model_versions
        WHERE device LIKE $1 AND sensor LIKE $2 AND (active OR NOT $3)
        ORDER BY device, sensor, version DESC
        """)

    /// Model $1 as `versions` describes it, plus its payload.
    package static let version = PreparedQuery(
        name: "models.version",
        """
        SELECT v.model_id, v.device, v.sensor, v.version, v.active, v.kernel, v.n_features, v.n_support, v.source,
               v.params::text AS params, v.checksum, v.payload_bytes, v.training_rows, v.fit_seconds, v.created_at,
               v.health, v.health_reasons::text AS health_reasons, v.challenger, m.payload
        FROM pgscorer.model_versions v JOIN pgscorer.models m USING (model_id)
        WHERE v.model_id = $1
        """)
}
