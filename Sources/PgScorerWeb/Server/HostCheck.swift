import Foundation

/// Which `Host` and `Origin` a server without credentials answers: loopback names only.
/// A page of another site can make a browser reach a loopback server by DNS rebinding
/// (`evil.example` resolving to 127.0.0.1), but the browser still sends that site's name
/// as `Host`; refusing every name but these keeps such a page out. Accepted: `localhost`,
/// `[::1]`, an IPv4 address in 127.0.0.0/8 (parsed, so `127.evil.example` is not one), and
/// the address the server was told to listen on.
package struct HostCheck: Sendable {
    /// The `--listen` host, accepted as it is (lowercased).
    let listenHost: String

    package init(listenHost: String) { self.listenHost = listenHost.lowercased() }

    /// Whether `host` (a name from a `Host` header, without its port) is one this server answers.
    package func accepts(host: String) -> Bool {
        let host = host.lowercased()
        return Self.isLoopback(host) || (!host.isEmpty && (host == listenHost || host == "[\(listenHost)]"))
    }

    /// Whether a form's `Origin` is this server: scheme http, a host this server answers,
    /// and the port the request's `Host` names. `null` (a sandboxed or privacy-hiding
    /// context) is never this server.
    package func acceptsOrigin(_ origin: String, authority: String) -> Bool {
        guard let origin = URLComponents(string: origin), origin.scheme == "http", let originHost = origin.host,
            origin.user == nil, origin.password == nil, origin.path.isEmpty, origin.query == nil
        else { return false }
        let (requestHost, requestPort) = Self.split(authority: authority)
        return accepts(host: originHost) && accepts(host: requestHost) && (origin.port ?? 80) == (requestPort ?? 80)
    }

    /// True for `localhost`, `::1` (bracketed or not) and a dotted-quad IPv4 address in 127/8.
    package static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4,
            octets.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) && Int($0)! <= 255 })
        else { return false }
        return octets[0] == "127"
    }

    /// `127.0.0.1:8080` → (`127.0.0.1`, 8080); `[::1]:80` → (`[::1]`, 80); `localhost` → (`localhost`, nil).
    /// Anything after the host that is not a port number makes the host empty (refused).
    package static func split(authority: String) -> (host: String, port: Int?) {
        var host = authority[...], portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return ("", nil) }
            host = authority[...close]
            let rest = authority[authority.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return ("", nil) }
                portText = rest.dropFirst()
            }
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        guard let portText else { return (String(host), nil) }
        guard let port = Int(portText), (0...65535).contains(port), portText.allSatisfy(\.isNumber) else { return ("", nil) }
        return (String(host), port)
    }
}
