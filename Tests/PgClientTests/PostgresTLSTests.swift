import Foundation
import PgClient
import TestSupport
import Testing

@Suite("PgClient over TLS")
struct PostgresTLSTests {
    /// The TLS port and CA certificate of the test cluster (set up by scripts/test).
    static func tlsServer() throws -> (port: String, ca: String) {
        let environment = ProcessInfo.processInfo.environment
        guard let port = environment["PGSCORER_TEST_TLS_PORT"], let ca = environment["PGSCORER_TEST_TLS_CA"] else {
            throw TestEnvironmentError("no TLS test server: run scripts/test (it gives the throwaway cluster a self-signed certificate)")
        }
        return (port, ca)
    }

    static func isEncrypted(_ connection: PostgresConnection) async throws -> Bool {
        try await connection.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").single().decode(0)
    }

    @Test("sslmode=require and verify-full connect encrypted; verify-full refuses an untrusted certificate")
    func tls() async throws {
        let (port, ca) = try Self.tlsServer()
        let required = try await PostgresConnection.connect("host=127.0.0.1 port=\(port) user=postgres dbname=postgres sslmode=require")
        #expect(try await Self.isEncrypted(required))
        let verified = try await PostgresConnection.connect(
            "postgres://postgres@localhost:\(port)/postgres?sslmode=verify-full&sslrootcert=\(ca)")
        #expect(try await Self.isEncrypted(verified))
        let plain = try await PostgresConnection.connect("host=127.0.0.1 port=\(port) user=postgres dbname=postgres sslmode=disable")
        #expect(try await !Self.isEncrypted(plain))
        // A certificate nobody vouches for is refused by verify-full, with libpq's reason.
        let untrusted = FileManager.default.temporaryDirectory.appendingPathComponent("empty-ca-\(UUID().uuidString).crt")
        try Data().write(to: untrusted)
        defer { try? FileManager.default.removeItem(at: untrusted) }
        let error = await #expect(throws: PostgresError.self) {
            _ = try await PostgresConnection.connect(
                "host=localhost port=\(port) user=postgres dbname=postgres sslmode=verify-full sslrootcert=\(untrusted.path)")
        }
        #expect(error?.code == .connectionFailed)
        #expect(error.map { "\($0)" }?.contains("host localhost port \(port)") == true, "\(String(describing: error))")
    }
}
