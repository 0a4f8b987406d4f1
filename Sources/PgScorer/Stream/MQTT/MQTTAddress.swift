import Foundation

/// A broker as `--mqtt` gives it: `mqtt://[user:password@]host[:port]` (1883 by
/// default), or `mqtts://…` for TLS (8883).
package struct MQTTAddress: Sendable, Equatable, CustomStringConvertible {
    package var host: String
    package var port: Int
    package var tls: Bool
    package var username: String?
    package var password: String?

    package struct Invalid: Error, CustomStringConvertible {
        package let description: String
    }

    package init(_ text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "mqtt" || scheme == "mqtts", let host = components.host, !host.isEmpty
        else {
            throw Invalid(description: "--mqtt '\(text)' is not a broker address: give mqtt://host:port or mqtts://host:port (user:password@ before the host if it asks)")
        }
        if let path = components.percentEncodedPath.nilIfEmpty, path != "/" {
            throw Invalid(description: "--mqtt '\(text)': a broker address has no path (topics go in --topic)")
        }
        tls = scheme == "mqtts"
        self.host = host
        port = components.port ?? (tls ? 8883 : 1883)
        guard (1...65535).contains(port) else { throw Invalid(description: "--mqtt '\(text)': port \(port) is out of range") }
        username = components.user
        password = components.password
    }

    /// The address without its password, for logs and `pgscorer status`.
    package var description: String {
        "\(tls ? "mqtts" : "mqtt")://\(username.map { "\($0)@" } ?? "")\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
