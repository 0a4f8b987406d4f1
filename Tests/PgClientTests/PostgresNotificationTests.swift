@testable import PgClient
import TestSupport
import Testing

@Suite("PgClient LISTEN/NOTIFY")
struct PostgresNotificationTests {
    @Test("a listener gets a notification sent from another connection")
    func delivers() async throws {
        try await TestDatabase.with { database in
            let listener = try await database.connect()
            let sender = try await database.connect()
            try await listener.listen("jobs.inserted")
            try await sender.notify("jobs.inserted", payload: "42")
            let notification = try await listener.nextNotification(timeout: .seconds(5))
            #expect(notification?.channel == "jobs.inserted")
            #expect(notification?.payload == "42")
            #expect(notification?.senderPID == sender.backendPID)
        }
    }

    @Test("waiting with nothing sent returns nil after the timeout, not before and not much after")
    func timesOut() async throws {
        try await TestDatabase.with { database in
            let listener = try await database.connect()
            try await listener.listen("quiet")
            let started = ContinuousClock.now
            let notification = try await listener.nextNotification(timeout: .milliseconds(700))
            let waited = ContinuousClock.now - started
            #expect(notification == nil)
            // Not much after: a loaded machine may be a few seconds late to wake the task.
            #expect(waited >= .milliseconds(650) && waited < .seconds(5))
        }
    }

    @Test("cancelling the waiting task ends the wait at once with CancellationError; the connection stays usable")
    func cancellation() async throws {
        try await TestDatabase.with { database in
            let listener = try await database.connect()
            try await listener.listen("quiet")
            // One 60 s slice: a cancellation that missed the wake-up would wait it out.
            let waiter = Task { try await listener.nextNotification(timeout: .seconds(60), slice: .seconds(60)) }
            try await Task.sleep(for: .milliseconds(300))
            let cancelled = ContinuousClock.now
            waiter.cancel()
            await #expect(throws: CancellationError.self) { try await waiter.value }
            // Generous for a loaded 2-core machine, far below the slice.
            #expect(ContinuousClock.now - cancelled < .seconds(10), "the wake-up must not wait out the 60 s slice")
            #expect(try await listener.query("SELECT 1").single().decode(0) as Int == 1)
        }
    }

    @Test("notifications sent inside a transaction arrive only after commit")
    func transactional() async throws {
        try await TestDatabase.with { database in
            let listener = try await database.connect()
            let sender = try await database.connect()
            try await listener.listen("schedules")
            try await sender.transaction { tx in
                try await tx.notify("schedules", payload: "changed")
                #expect(try await listener.nextNotification(timeout: .milliseconds(300)) == nil)
            }
            #expect(try await listener.nextNotification(timeout: .seconds(5))?.payload == "changed")
        }
    }
}
