import Foundation
import TestSupport
import Testing

/// A `pgscorer` child process for end-to-end tests, pointed at a test database.
final class PgScorerProcess: @unchecked Sendable {
    let process: ChildProcess
    /// Output goes to a file, not a pipe: a pipe read only after exit can fill up and block the child.
    let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-output-\(UUID().uuidString).log").path

    /// The built `pgscorer` binary: $PGSCORER_BINARY, else .build/debug/pgscorer.
    static var binary: URL {
        get throws {
            if let path = ProcessInfo.processInfo.environment["PGSCORER_BINARY"] { return URL(fileURLWithPath: path) }
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let candidate = root.appendingPathComponent(".build/debug/pgscorer")
            guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
                throw TestEnvironmentError("pgscorer binary not found at \(candidate.path); build it or set PGSCORER_BINARY")
            }
            return candidate
        }
    }

    convenience init(_ arguments: [String], database: TestDatabase) throws {
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = database.url
        try self.init(arguments, environment: environment)
    }

    let arguments: [String]

    init(_ arguments: [String], environment: [String: String], directory: URL? = nil) throws {
        var environment = environment
        environment["LOG_LEVEL"] = environment["PGSCORER_TEST_LOG_LEVEL"] ?? "warning"
        self.arguments = arguments
        process = try ChildProcess(
            executable: try Self.binary.path, arguments: arguments, environment: environment, directory: directory?.path,
            outputPath: outputPath)
    }

    /// Waits for exit (at most `timeout`); returns the exit status and everything printed.
    func finish(timeout: Duration = .seconds(120)) async throws -> (status: Int32, output: String) {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                process.signal(SIGKILL)
                throw TestEnvironmentError("pgscorer \(arguments) did not exit within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: outputPath)
        return (process.terminationStatus ?? -1, text)
    }

    func signal(_ signal: Int32) { process.signal(signal) }

    /// A test that failed before stopping its process does not leave it running.
    deinit {
        if process.isRunning {
            process.signal(SIGKILL)
            _ = process.waitUntilExit()
        }
    }

    /// Runs pgscorer to completion.
    static func run(_ arguments: [String], database: TestDatabase, timeout: Duration = .seconds(120)) async throws
        -> (status: Int32, output: String)
    {
        try await PgScorerProcess(arguments, database: database).finish(timeout: timeout)
    }
}
