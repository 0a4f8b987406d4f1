import Foundation
import Hummingbird
import Logging
import PgClient
import PgScorer

/// The HTTP input of `pgscorer stream`:
/// - `POST /write` (and Influx 2's `/api/v2/write`): InfluxDB line protocol, `precision=ns|us|ms|s`;
/// - `POST /ingest`: JSON lines, or CSV (`Content-Type: text/csv`) in the layouts `ingest` reads.
///
/// A request is answered after the transaction that stores its readings commits: 204
/// when every reading was stored (or was already), 200 with a JSON summary when some were
/// refused (each is then a dead letter). A device writes with its token (`Authorization:
/// Bearer …` or Influx's `Token …`), only its own device's sensors: a line for another
/// refuses the whole request (403, nothing stored). 401 without a valid token, unless
/// anonymous writes are allowed; 503 with `Retry-After` while the buffer is full or the
/// database away.
struct GatewayRoutes: Sendable {
    let buffer: TelemetryBuffer
    let tokens: TokenCheck
    let pool: PostgresConnectionPool
    let rules: TelemetryRules
    let allowAnonymous: Bool
    /// The names a request without a token may come to (loopback), as the dashboard's.
    let hosts: HostCheck
    let logger: Logger
    static let maximumBody = 32 * 1024 * 1024

    func add(to router: Router<DashboardRequestContext>) {
        router.post("/write") { request, context in try await write(request, context) }
        router.post("/api/v2/write") { request, context in try await write(request, context) }
        router.post("/ingest") { request, context in try await ingest(request, context) }
    }

    private func write(_ request: Request, _ context: DashboardRequestContext) async throws -> Response {
        let parameter = request.uri.queryParameters.get("precision") ?? "ns"
        guard let precision = LineProtocol.Precision(parameter: parameter) else {
            return text("precision=\(parameter) is not one of ns, us, ms, s\n", status: .badRequest)
        }
        return try await accept(request, context) { body, arrival in
            LineProtocol(precision: precision).decode(body, arrival: arrival)
        }
    }

    private func ingest(_ request: Request, _ context: DashboardRequestContext) async throws -> Response {
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if contentType.hasPrefix("text/csv") {
            let device = request.uri.queryParameters.get("device"), sensor = request.uri.queryParameters.get("sensor")
            return try await accept(request, context) { body, _ in try TelemetryCSV.decode(body, device: device, sensor: sensor) }
        }
        return try await accept(request, context) { body, arrival in TelemetryJSON.decodeLines(body, arrival: arrival) }
    }

    /// Authenticates, reads and decodes the body, checks the token's scope, and waits for
    /// the commit.
    private func accept(
        _ request: Request, _ context: DashboardRequestContext, decode: ([UInt8], PostgresTimestamp) throws -> DecodedTelemetry
    ) async throws -> Response {
        let grant: DeviceGrant?
        switch try await authenticate(request) {
        case .success(let found): grant = found
        case .failure(let refusal): return refusal.response
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maximumBody)
        } catch {
            return text("the body is larger than \(Self.maximumBody / 1024 / 1024) MB; send it in parts\n", status: .contentTooLarge)
        }
        var bytes = Array(body.readableBytesView)
        switch request.headers[.contentEncoding]?.lowercased() {
        case nil, "identity": break
        case "gzip", "x-gzip", "deflate":
            do {
                bytes = try GzipBody.inflate(bytes, limit: Self.maximumBody)
            } catch .tooLarge {
                return text("the body inflates to more than \(Self.maximumBody / 1024 / 1024) MB; send it in parts\n", status: .contentTooLarge)
            } catch .corrupt(let why) {
                return text("the gzip body cannot be inflated: \(why)\n", status: .badRequest)
            }
        case let other?:
            return text("Content-Encoding \(other) is not supported: send the body as it is, or gzip\n", status: .unsupportedMediaType)
        }
        let arrival = PostgresTimestamp(Date())
        var decoded: DecodedTelemetry
        do {
            decoded = try decode(bytes, arrival)
        } catch {
            return text("\(error)\n", status: .badRequest)
        }
        if let grant {
            if let foreign = decoded.readings.first(where: { !grant.allows(device: $0.device, sensor: $0.sensor) }) {
                logger.warning(
                    "a token wrote outside its device", metadata: ["token_id": "\(grant.tokenID)", "device": "\(foreign.device)", "sensor": "\(foreign.sensor)", "http.peer": "\(context.peer)"])
                return text(
                    "token \(grant.tokenID) writes \(grant.device)/\(SeriesSelector.typed(fromLikePattern: grant.sensorPattern)), not \(foreign.device)/\(foreign.sensor); nothing was stored\n",
                    status: .forbidden)
            }
        }
        var checked = DecodedTelemetry(rejections: decoded.rejections)
        for reading in decoded.readings { checked.append(rules.check(reading, now: arrival)) }
        let outcome: StoreOutcome
        do {
            outcome = try await buffer.submit(TelemetryBatchItem(source: .http, receivedAt: arrival, decoded: checked))
        } catch let refusal as TelemetryBuffer.Refusal {
            GatewayMetrics.refusedRequest()
            let reason = switch refusal {
            case .full: "the gateway's buffer is full (the database is slow); nothing was stored, try again\n"
            case .databaseAway: "the database cannot be reached; nothing was stored, try again\n"
            case .stopping: "the gateway is stopping; nothing was stored, try again\n"
            }
            var response = text(reason, status: .serviceUnavailable)
            response.headers[.retryAfter] = "1"
            return response
        }
        if outcome.rejections.isEmpty { return Response(status: .noContent) }
        return json(Summary(outcome))
    }

    private enum Refusal: Error {
        case missing, invalid, fromAPage
        var response: Response {
            if self == .fromAPage {
                return text(
                    "anonymous writes come from programs on this machine, not from web pages (this request names another Host or Origin)\n",
                    status: .forbidden)
            }
            var response = switch self {
            case .missing: text("this gateway takes writes with a device token: Authorization: Bearer TOKEN (pgscorer devices token add DEVICE)\n", status: .unauthorized)
            case .invalid, .fromAPage: text("the token is unknown, expired or revoked\n", status: .unauthorized)
            }
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
    }

    /// The request's grant; nil when anonymous writes are allowed and it has no token.
    private func authenticate(_ request: Request) async throws -> Result<DeviceGrant?, Refusal> {
        guard let header = request.headers[.authorization] else {
            guard allowAnonymous else { return .failure(.missing) }
            // A page in a browser on this machine could post to a loopback gateway (a
            // plain-text POST needs no preflight), or reach it by DNS rebinding: its
            // Origin, or its Host, gives it away.
            let authority = request.head.authority ?? ""
            guard hosts.accepts(host: HostCheck.split(authority: authority).host) else { return .failure(.fromAPage) }
            if let origin = request.headers[.origin], !hosts.acceptsOrigin(origin, authority: authority) { return .failure(.fromAPage) }
            return .success(nil)
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, ["bearer", "token"].contains(parts[0].lowercased()) else { return .failure(.missing) }
        let token = String(parts[1]).trimmingCharacters(in: .whitespaces)
        let grant = try await pool.withConnection { try await tokens.grant(for: token, on: $0) }
        return grant.map { .success($0) } ?? .failure(.invalid)
    }

    /// What a request with refused readings is answered.
    struct Summary: Encodable {
        struct Refused: Encodable {
            let reason: String
            let detail: String
        }
        let stored: Int
        let duplicates: Int
        let rejected: Int
        /// The first 100, in order.
        let rejections: [Refused]

        init(_ outcome: StoreOutcome) {
            stored = outcome.stored
            duplicates = outcome.duplicates
            rejected = outcome.rejections.count
            rejections = outcome.rejections.prefix(100).map { Refused(reason: $0.reason.rawValue, detail: $0.detail) }
        }
    }

    private func json(_ summary: Summary) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(summary)) ?? Data("{}".utf8)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
