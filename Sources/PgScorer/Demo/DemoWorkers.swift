import Foundation
import Spawn

/// `pgscorer worker` processes of this very executable, started for the demo against
/// its database and stopped (SIGTERM, so they finish their jobs) when it is done.
package struct DemoWorkers {
    private var processes: [ChildProcess] = []

    package init() {}

    package var processIDs: [Int32] { processes.map(\.processIdentifier) }

    /// Starts `count` workers with one slot each, polling every 500 ms.
    package mutating func start(_ count: Int, databaseURL: String) throws {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = databaseURL
        environment["LOG_LEVEL"] = environment["LOG_LEVEL"] ?? "warning"
        for _ in 0..<count {
            // Their warnings reach the demo's own terminal.
            processes.append(try ChildProcess(
                executable: executable, arguments: ["worker", "--concurrency", "1", "--poll", "500ms"], environment: environment,
                output: .inherit))
        }
    }

    /// Asks every worker to stop and waits until they have.
    package func stop() {
        for process in processes { process.signal(SIGTERM) }
        for process in processes { process.waitUntilExit() }
    }
}
