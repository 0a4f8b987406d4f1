import Hummingbird
import NIOCore

/// The request context of `serve` and of the worker's metrics listener: Hummingbird's
/// basics plus the peer's address, which the log of refused logins and of actions names.
package struct DashboardRequestContext: RequestContext, RemoteAddressRequestContext {
    package var coreContext: CoreRequestContextStorage
    package let remoteAddress: SocketAddress?

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The peer as a log shows it: `127.0.0.1:53422`, or `unknown`.
    var peer: String {
        guard let remoteAddress else { return "unknown" }
        if let ip = remoteAddress.ipAddress, let port = remoteAddress.port { return remoteAddress.protocol == .inet6 ? "[\(ip)]:\(port)" : "\(ip):\(port)" }
        return "\(remoteAddress)"
    }
}
