import Foundation
import PgClient
import Synchronization

/// The credentials devices write with over HTTP (`pgscorer devices token …`). A token
/// is shown once when made; the database keeps only its SHA-256. It writes its own
/// device's sensors that match its pattern, until it expires or is revoked.
package enum DeviceTokens {
    /// A token as listed (never the token itself).
    package struct Entry: Sendable, Encodable {
        package let tokenID: Int64
        package let device: String
        /// As typed: `*` for any run of characters.
        package let sensors: String
        package let createdAt: PostgresTimestamp
        package let createdBy: String
        package let expiresAt: PostgresTimestamp?
        package let revokedAt: PostgresTimestamp?

        package var state: String {
            if revokedAt != nil { return "revoked" }
            if let expiresAt, expiresAt.date < Date() { return "expired" }
            return "valid"
        }
    }

    /// Makes a token for `device` and returns (its id, the token).
    package static func add(
        device: String, sensors: String?, expiresIn: Duration?, on connection: PostgresConnection
    ) async throws -> (id: Int64, token: String) {
        if let problem = SeriesName.problem(device, role: "device") { throw PgScorerError(.invalidInput, problem) }
        var generator = SystemRandomNumberGenerator()
        let token = "pgs_" + (0..<24).map { _ in String(format: "%02x", generator.next() as UInt8) }.joined()
        let pattern = SeriesSelector.likePattern(sensors)
        let row = try await connection.query(
            StreamQueries.addToken.bind(device, pattern, token, expiresIn.map(DurationText.interval))).single()
        return (try row.decode("token_id"), token)
    }

    package static func list(on connection: PostgresConnection) async throws -> [Entry] {
        try await connection.query(PostgresQuery(StreamQueries.listTokens)).map { row in
            Entry(
                tokenID: try row.decode("token_id"), device: try row.decode("device"),
                sensors: SeriesSelector.typed(fromLikePattern: try row.decode("sensor_pattern")), createdAt: try row.decode("created_at"),
                createdBy: try row.decode("created_by"), expiresAt: try row.decode("expires_at"), revokedAt: try row.decode("revoked_at"))
        }
    }

    /// Revokes token `id`; false if there is no such token or it was revoked already.
    package static func revoke(_ id: Int64, on connection: PostgresConnection) async throws -> Bool {
        try await connection.execute(StreamQueries.revokeToken.bind(id)) == 1
    }
}

/// What a token lets its bearer write.
package struct DeviceGrant: Sendable, Equatable {
    package let tokenID: Int64
    package let device: String
    /// A LIKE pattern of the sensors.
    package let sensorPattern: String

    package init(tokenID: Int64, device: String, sensorPattern: String) {
        self.tokenID = tokenID
        self.device = device
        self.sensorPattern = sensorPattern
    }

    /// Whether it may write `device`'s `sensor`.
    package func allows(device: String, sensor: String) -> Bool {
        device == self.device && LikePattern.matches(sensor, sensorPattern)
    }
}

/// Checks tokens against the database, remembering each answer for at most `maximumAge`
/// (a second by default), so a revocation holds within a second without a query per request.
package final class TokenCheck: Sendable {
    private let maximumAge: Duration
    private let answers = Mutex<[String: (grant: DeviceGrant?, at: ContinuousClock.Instant)]>([:])

    package init(maximumAge: Duration = .seconds(1)) { self.maximumAge = maximumAge }

    /// The grant of `token`, or nil if it is unknown, expired or revoked.
    package func grant(for token: String, on connection: PostgresConnection) async throws -> DeviceGrant? {
        let now = ContinuousClock.now
        if let known = answers.withLock({ $0[token] }), now - known.at < maximumAge { return known.grant }
        let grant = try await connection.query(StreamQueries.validToken.bind(token)).first.map { row in
            DeviceGrant(tokenID: try row.decode("token_id"), device: try row.decode("device"), sensorPattern: try row.decode("sensor_pattern"))
        }
        answers.withLock { answers in
            if answers.count > 10_000 { answers.removeAll() }  // bounded: guessed tokens do not grow it forever
            answers[token] = (grant, now)
        }
        return grant
    }
}

/// SQL LIKE with backslash escapes, as stored patterns are written: `%` any run, `_` one character.
package enum LikePattern {
    package static func matches(_ text: String, _ pattern: String) -> Bool {
        let text = Array(text), pattern = Array(pattern)
        func match(_ t: Int, _ p: Int) -> Bool {
            if p == pattern.count { return t == text.count }
            switch pattern[p] {
            case "%":
                var next = p
                while next < pattern.count, pattern[next] == "%" { next += 1 }
                if next == pattern.count { return true }
                return (t...text.count).contains { match($0, next) }
            case "_":
                return t < text.count && match(t + 1, p + 1)
            case "\\" where p + 1 < pattern.count:
                return t < text.count && text[t] == pattern[p + 1] && match(t + 1, p + 2)
            default:
                return t < text.count && text[t] == pattern[p] && match(t + 1, p + 1)
            }
        }
        return match(0, 0)
    }
}
