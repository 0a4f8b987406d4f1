import Hummingbird
import Logging

/// Requires the auth file's credentials on every path but the probes; without an auth
/// file, answers loopback names only (`HostCheck`). Refusals are logged with the user
/// a client claimed, its address and its `Origin`.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = DashboardRequestContext
    let policy: AccessPolicy
    let hosts: HostCheck
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if policy.isOpen {
            // Without credentials the server listens on loopback only; a request naming
            // another host is a page of some other site reaching it by DNS rebinding.
            let host = request.head.authority.map { HostCheck.split(authority: $0).host } ?? "localhost"
            guard hosts.accepts(host: host) else {
                logger.warning(
                    "request refused: not a loopback Host",
                    metadata: ["http.host": "\(host.abbreviated)", "http.peer": "\(context.peer)", "http.origin": "\(request.headers[.origin] ?? "")"])
                return Response(
                    status: .forbidden, headers: [.contentType: "text/plain; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: "this server answers to loopback names only\n")))
            }
            return try await next(request, context)
        }
        if request.uri.path == "/healthz" || request.uri.path == "/readyz" || policy.allows(authorization: request.headers[.authorization]) {
            return try await next(request, context)
        }
        logger.warning(
            "login refused",
            metadata: [
                "http.user": "\(AccessPolicy.claimedUser(authorization: request.headers[.authorization]) ?? "")",
                "http.peer": "\(context.peer)", "http.origin": "\(request.headers[.origin] ?? "")", "http.path": "\(request.uri.path)",
            ])
        return Response(
            status: .unauthorized, headers: [.wwwAuthenticate: "Basic realm=\"PgScorer\", charset=\"UTF-8\"", .contentType: "text/plain"],
            body: .init(byteBuffer: ByteBuffer(string: "credentials required (see --auth-file)\n")))
    }
}
