import Foundation
import PgScorer
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

    /// Extra arguments for mosquitto_pub (credentials, CA).
    private var publishArguments: [String] = []

    /// With `secure`, the broker takes only TLS (a CA made here, `caFile`) and logins
    /// from `users` (user → password).
    init(secure: Bool = false, users: [String: String] = [:]) throws {
        port = try FreePort.loopback()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-mosquitto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // No limit on what it queues for a gateway that is away (mosquitto's default drops past 1000).
        var configuration = """
            listener \(port) 127.0.0.1
            allow_anonymous \(users.isEmpty)
            max_queued_messages 0
            persistence false

            """
        if secure {
            try Self.makeCertificates(in: folder)
            configuration += "cafile \(folder.path)/ca.crt\ncertfile \(folder.path)/server.crt\nkeyfile \(folder.path)/server.key\n"
            publishArguments += ["--cafile", "\(folder.path)/ca.crt"]
        }
        if !users.isEmpty {
            let passwords = folder.appendingPathComponent("passwords").path
            for (user, password) in users {
                let made = try ChildProcess(
                    executable: try Self.executable("mosquitto_passwd"),
                    arguments: ["-b"] + (FileManager.default.fileExists(atPath: passwords) ? [] : ["-c"]) + [passwords, user, password],
                    environment: ProcessInfo.processInfo.environment, output: .discard)
                guard made.waitUntilExit() == 0 else { throw TestEnvironmentError("mosquitto_passwd failed") }
            }
            chmod(passwords, 0o644)  // the broker reads it as its own account
            configuration += "password_file \(passwords)\n"
            if let (user, password) = users.first(where: { $0.key != "gateway" }) { publishArguments += ["-u", user, "-P", password] }
        }
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
            arguments: ["-c", "publisher=$0 topic=$1 input=$2; shift 2; exec \"$publisher\" -h 127.0.0.1 -p \(port) -q \(qos) -t \"$topic\" -l \"$@\" < \"$input\"",
                        try Self.executable("mosquitto_pub"), topic, input]
                + publishArguments,
            environment: ProcessInfo.processInfo.environment, output: .inherit)
        // Polled, not waited for: a blocking wait would hold a thread of the cooperative pool.
        while publisher.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        return publisher.waitUntilExit()
    }

    var caFile: String { folder.appendingPathComponent("ca.crt").path }

    /// A CA and a server certificate for 127.0.0.1 signed by it, with openssl.
    static func makeCertificates(in folder: URL) throws {
        let openssl = try executable("openssl")
        let steps = [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=pgscorer test CA", "-keyout", "ca.key", "-out", "ca.crt"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1",
             "-extfile", "san.cnf", "-out", "server.crt"],
        ]
        try "subjectAltName=IP:127.0.0.1\n".write(to: folder.appendingPathComponent("san.cnf"), atomically: true, encoding: .utf8)
        for step in steps {
            let run = try ChildProcess(executable: openssl, arguments: step, environment: ProcessInfo.processInfo.environment, directory: folder.path, output: .discard)
            guard run.waitUntilExit() == 0 else { throw TestEnvironmentError("openssl \(step.joined(separator: " ")) failed") }
        }
        chmod(folder.appendingPathComponent("server.key").path, 0o644)  // the broker reads it as its own account
    }

    func stop() {
        process.signal(SIGTERM)
        _ = process.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }
}

/// HTTP requests to a gateway, over a plain socket (one request per connection).
enum GatewayHTTP {
    struct Answer {
        let status: Int
        let headers: String
        let body: String
    }

    /// `text` gzipped by the gzip program, as Telegraf sends its bodies.
    static func gzip(_ text: String) throws -> [UInt8] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-gzip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("body").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let zipped = try ChildProcess(executable: "/bin/gzip", arguments: [path], environment: ProcessInfo.processInfo.environment, output: .discard)
        guard zipped.waitUntilExit() == 0, let data = FileManager.default.contents(atPath: path + ".gz") else { throw TestEnvironmentError("gzip failed") }
        return [UInt8](data)
    }

    static func get(port: Int, path: String) async throws -> Answer {
        try await exchange(port: port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n")
    }

    static func post(port: Int, path: String, body: String, token: String? = nil, scheme: String = "Bearer", contentType: String = "text/plain") async throws -> Answer {
        try await post(port: port, path: path, bytes: Array(body.utf8), token: token, scheme: scheme, contentType: contentType)
    }

    static func post(
        port: Int, path: String, bytes: [UInt8], token: String? = nil, scheme: String = "Bearer", contentType: String = "text/plain",
        encoding: String? = nil, headers: [String] = []
    ) async throws -> Answer {
        var request = "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nContent-Type: \(contentType)\r\nContent-Length: \(bytes.count)\r\n"
        if let token { request += "Authorization: \(scheme) \(token)\r\n" }
        if let encoding { request += "Content-Encoding: \(encoding)\r\n" }
        for header in headers { request += header + "\r\n" }
        return try await exchange(port: port, Array((request + "\r\n").utf8) + bytes)
    }

    private static func exchange(port: Int, _ request: String) async throws -> Answer {
        try await exchange(port: port, Array(request.utf8))
    }

    private static func exchange(port: Int, _ request: [UInt8]) async throws -> Answer {
        let text = try await onOwnThread { try RawHTTP.exchange(port: port, request, timeout: .seconds(120)) }
        guard let headEnd = text.range(of: "\r\n\r\n"), let status = Int(text.split(separator: " ").dropFirst().first ?? "") else {
            throw TestEnvironmentError("not an HTTP response: \(text.prefix(200))")
        }
        return Answer(status: status, headers: String(text[..<headEnd.lowerBound]), body: String(text[headEnd.upperBound...]))
    }
}
