import Hummingbird

func text(_ body: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8") -> Response {
    Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: body)))
}

/// The headers of every page and of the script: nothing loads from elsewhere, no inline
/// script runs (an injected `<script>` would not), pages cannot be framed (clickjacking),
/// fleet data is not kept in caches, and links do not tell other sites where they came from.
let pageHeaders: HTTPFields = [
    .contentSecurityPolicy:
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    .xContentTypeOptions: "nosniff",
    .cacheControl: "no-store",
    .init("Referrer-Policy")!: "no-referrer",
]

func html(_ page: HTML, status: HTTPResponse.Status = .ok) -> Response {
    var headers = pageHeaders
    headers[.contentType] = "text/html; charset=utf-8"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page.text)))
}
