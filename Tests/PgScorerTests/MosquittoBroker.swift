import Foundation
import Spawn
import TestSupport

/// A real mosquitto broker (Debian's `mosquitto`) on a free loopback port, for the
/// gateway's tests; stopped when the test ends.
final class MosquittoBroker: @unchecked Sendable {
    let port: Int
    private let process: ChildProcess
    private let folder: URL

    /// The broker binary: on PATH, else Debian's /usr/sbin/mosquitto.
    static func executable(_ name: String, sbin: Bool = false) throws -> String {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin"]
        guard let found = path.map({ "\($0)/\(name)" }).first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw TestEnvironmentError("\(name) is not installed (Debian: apt-get install mosquitto mosquitto-clients); scripts/test installs it")
        }
        return found
    }

    init() throws {
        port = try Self.freePort()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-mosquitto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // No limit on what it queues for a gateway that is away (mosquitto's default drops past 1000).
        let configuration = """
            listener \(port) 127.0.0.1
            allow_anonymous true
            max_queued_messages 0
            persistence false

            """
        let path = folder.appendingPathComponent("mosquitto.conf").path
        try configuration.write(toFile: path, atomically: true, encoding: .utf8)
        process = try ChildProcess(
            executable: try Self.executable("mosquitto"), arguments: ["-c", path], environment: ProcessInfo.processInfo.environment,
            outputPath: folder.appendingPathComponent("mosquitto.log").path)
    }

    /// Waits until it accepts connections.
    func ready() async throws {
        try await Waiting.until("mosquitto to listen on \(port)", timeout: .seconds(10)) { (try? RawHTTP(port: port, timeout: .seconds(1)))?.close() != nil }
    }

    /// Publishes each of `messages` to `topic` at `qos` with mosquitto_pub (one connection
    /// for all of them); returns its exit status.
    @discardableResult
    func publish(_ topic: String, _ messages: [String], qos: Int = 1) async throws -> Int32 {
        let input = folder.appendingPathComponent("messages-\(UUID().uuidString).txt").path
        try (messages.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        let publisher = try ChildProcess(
            executable: "/bin/sh",
            arguments: ["-c", "exec \"$0\" -h 127.0.0.1 -p \(port) -q \(qos) -t \"$1\" -l < \"$2\"", try Self.executable("mosquitto_pub"), topic, input],
            environment: ProcessInfo.processInfo.environment, output: .inherit)
        return await Task.detached { publisher.waitUntilExit() }.value
    }

    func stop() {
        process.signal(SIGTERM)
        _ = process.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }

    /// A loopback port nothing listens on now.
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound else { throw TestEnvironmentError("no free port: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// HTTP requests to a gateway, over a plain socket (one request per connection).
enum GatewayHTTP {
    struct Answer {
        let status: Int
        let headers: String
        let body: String
    }

    static func get(port: Int, path: String) async throws -> Answer {
        try await exchange(port: port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n")
    }

    static func post(port: Int, path: String, body: String, token: String? = nil, scheme: String = "Bearer", contentType: String = "text/plain") async throws -> Answer {
        var request = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n"
        if let token { request += "Authorization: \(scheme) \(token)\r\n" }
        return try await exchange(port: port, request + "\r\n" + body)
    }

    private static func exchange(port: Int, _ request: String) async throws -> Answer {
        let text = try await Task.detached { try RawHTTP.exchange(port: port, request) }.value
        guard let headEnd = text.range(of: "\r\n\r\n"), let status = Int(text.split(separator: " ").dropFirst().first ?? "") else {
            throw TestEnvironmentError("not an HTTP response: \(text.prefix(200))")
        }
        return Answer(status: status, headers: String(text[..<headEnd.lowerBound]), body: String(text[headEnd.upperBound...]))
    }
}
