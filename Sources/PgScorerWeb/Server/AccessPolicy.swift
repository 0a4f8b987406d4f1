import Foundation
import PgScorer

/// Who may see the dashboard and the metrics: anyone who can reach a loopback address,
/// or, with `--auth-file`, whoever presents its credentials (HTTP basic auth, or a
/// bearer token). Listening beyond loopback without credentials is refused.
package struct AccessPolicy: Sendable {
    /// `user` → `password` pairs from the file; a line without a colon is a token,
    /// accepted as `Authorization: Bearer TOKEN` and as the password of any user.
    let users: [String: String]
    let tokens: [String]

    package var isOpen: Bool { users.isEmpty && tokens.isEmpty }

    package static let open = AccessPolicy(users: [:], tokens: [])

    package init(users: [String: String], tokens: [String]) {
        self.users = users
        self.tokens = tokens
    }

    /// Reads an auth file: one `user:password` or one token per line, `#` comments.
    /// It must be readable by its owner only, since it holds secrets.
    package static func load(authFile path: String) throws -> AccessPolicy {
        let attributes: [FileAttributeKey: Any]
        do {
            attributes = try FileManager.default.attributesOfItem(atPath: path)
        } catch {
            throw PgScorerError(.notFound, "--auth-file \(path): no such file")
        }
        if let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            throw PgScorerError(
                .invalidInput,
                "--auth-file \(path) can be read by others (mode \(String(mode & 0o777, radix: 8))): chmod 600 \(path)")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw PgScorerError(.invalidInput, "--auth-file \(path) cannot be read as UTF-8 text")
        }
        var users: [String: String] = [:], tokens: [String] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if let colon = line.firstIndex(of: ":") {
                let user = String(line[..<colon]), password = String(line[line.index(after: colon)...])
                guard !user.isEmpty, password.count >= 8 else {
                    throw PgScorerError(
                        .invalidInput, "--auth-file \(path), line \(number + 1): give user:password with a password of 8 characters or more")
                }
                users[user] = password
            } else {
                guard line.count >= 16 else {
                    throw PgScorerError(.invalidInput, "--auth-file \(path), line \(number + 1): a token needs 16 characters or more")
                }
                tokens.append(line)
            }
        }
        guard !users.isEmpty || !tokens.isEmpty else {
            throw PgScorerError(.invalidInput, "--auth-file \(path) holds no user:password line and no token")
        }
        return AccessPolicy(users: users, tokens: tokens)
    }

    /// Refuses a listening address beyond loopback when there are no credentials.
    package func check(listeningOn host: String) throws {
        guard isOpen, !HostCheck.isLoopback(host) else { return }
        throw PgScorerError(
            .invalidInput,
            "refusing to listen on \(host) without credentials: anyone who can reach it would see the fleet. "
                + "Give --auth-file FILE (lines of user:password, or a token), or listen on 127.0.0.1")
    }

    /// The user a refused `Authorization` header claimed, for the log: the basic-auth
    /// user (at most 60 characters), `(token)` for a bearer token, nil without one.
    static func claimedUser(authorization: String?) -> String? {
        guard let authorization else { return nil }
        if authorization.hasPrefix("Bearer ") { return "(token)" }
        guard authorization.hasPrefix("Basic "),
            let decoded = Data(base64Encoded: String(authorization.dropFirst(6))).flatMap({ String(data: $0, encoding: .utf8) })
        else { return "(unreadable)" }
        let user = decoded.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return String(user.unicodeScalars.filter { $0.properties.generalCategory != .control }).abbreviated
    }

    /// True if the `Authorization` header's value grants access.
    func allows(authorization: String?) -> Bool {
        if isOpen { return true }
        guard let authorization else { return false }
        if authorization.hasPrefix("Bearer ") {
            let presented = String(authorization.dropFirst(7))
            return tokens.contains { Self.equal($0, presented) }
        }
        guard authorization.hasPrefix("Basic "),
            let decoded = Data(base64Encoded: String(authorization.dropFirst(6))).flatMap({ String(data: $0, encoding: .utf8) }),
            let colon = decoded.firstIndex(of: ":")
        else { return false }
        let user = String(decoded[..<colon]), password = String(decoded[decoded.index(after: colon)...])
        if let expected = users[user], Self.equal(expected, password) { return true }
        return tokens.contains { Self.equal($0, password) }
    }

    /// Compares secrets in time that does not depend on where they differ.
    static func equal(_ a: String, _ b: String) -> Bool {
        let a = Array(a.utf8), b = Array(b.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }
}
