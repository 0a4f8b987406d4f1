import Foundation

/// Runs a blocking call (a socket read, a wait on a condition) on a thread of its own, so
/// that it does not hold one of the few threads Swift's cooperative pool has (one per
/// core): two such calls on a two-core machine would stall every task of the process.
package func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
