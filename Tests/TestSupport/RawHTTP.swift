import Foundation

/// Speaks HTTP/1.1 over a plain loopback socket, byte for byte as given: for requests no
/// HTTP client would send (a forged `Host`, headers trickled one byte at a time).
public struct RawHTTP {
    let descriptor: Int32

    /// Connects to 127.0.0.1:`port`, with `timeout` on every read.
    public init(port: Int, timeout: Duration = .seconds(30)) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestEnvironmentError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(descriptor)
            throw TestEnvironmentError("connect to port \(port): \(String(cString: strerror(errno)))")
        }
        var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends `text` as it is; false once the server has closed the connection.
    @discardableResult
    public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Sends `bytes` as they are (a compressed body); false once the server has closed the connection.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Foundation.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Reads until the server closes the connection or a read times out.
    public func receiveAll() -> String {
        var data = [UInt8](), buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { break }
            data += buffer[0..<count]
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// One request with `Connection: close`; the whole response.
    public static func exchange(port: Int, _ request: String) throws -> String {
        try exchange(port: port, Array(request.utf8))
    }

    public static func exchange(port: Int, _ request: [UInt8], timeout: Duration = .seconds(30)) throws -> String {
        let connection = try RawHTTP(port: port, timeout: timeout)
        defer { connection.close() }
        connection.send(request)
        return connection.receiveAll()
    }

    public func close() { Glibc.close(descriptor) }
}
