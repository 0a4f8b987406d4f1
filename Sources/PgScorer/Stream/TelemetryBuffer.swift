import Foundation

/// The gateway's bounded buffer between the inputs and the database. HTTP requests wait
/// in it for the commit of their readings and are refused (503) when it is full or the
/// database is away; the MQTT input blocks on it when it is full, so the client stops
/// reading its socket and the broker holds the messages. Nothing is dropped: what goes
/// in comes out in a batch, or back to its sender refused.
///
/// The MQTT client acknowledges a message when it receives it (libmosquitto and Paho
/// both send PUBACK before handing the message over), so what a `kill -9` can lose is
/// what was acknowledged and not yet committed: at most `mqttLimit` messages, as the
/// input blocks once that many are uncommitted.
package final class TelemetryBuffer: @unchecked Sendable {
    /// Readings it holds at most (an item larger than that is taken alone, when empty).
    package let capacity: Int
    /// MQTT messages received and not yet committed, at most.
    package let mqttLimit: Int
    private var mqttUncommitted = 0
    /// MQTT messages in the buffer, not yet taken into a batch.
    private var mqttWaiting = 0
    private let condition = NSCondition()
    /// Waiting entries are `entries[head...]`: taking from the front moves `head`, and the
    /// taken prefix is dropped now and then, not at every take (MQTT adds one per message).
    private var entries: [Entry] = []
    private var head = 0
    private var readings = 0
    private var databaseUp = true
    private var closed = false

    struct Entry {
        let item: TelemetryBatchItem
        /// The HTTP request waiting for the commit; nil for MQTT (acknowledged on receipt).
        let waiter: CheckedContinuation<StoreOutcome, any Error>?
    }

    /// Why an HTTP request is refused now.
    package enum Refusal: Error, Sendable {
        case full
        case databaseAway
        case stopping
    }

    package init(capacity: Int, mqttLimit: Int = 2_000) {
        self.capacity = capacity
        self.mqttLimit = mqttLimit
        GatewayMetrics.bufferCapacity.record(capacity)
    }

    private func weight(_ item: TelemetryBatchItem) -> Int { max(1, item.decoded.count) }

    private func hasRoom(for weight: Int) -> Bool { readings == 0 || readings + weight <= capacity }

    /// Adds an HTTP request's readings and returns once their transaction committed;
    /// throws `Refusal` at once if there is no room or the database is away.
    package func submit(_ item: TelemetryBatchItem) async throws -> StoreOutcome {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            let weight = weight(item)
            if closed { return continuation.resume(throwing: Refusal.stopping) }
            if !databaseUp { return continuation.resume(throwing: Refusal.databaseAway) }
            if !hasRoom(for: weight) { return continuation.resume(throwing: Refusal.full) }
            append(Entry(item: item, waiter: continuation), weight: weight)
        }
    }

    /// Adds an MQTT message's readings, blocking the calling thread until there is room.
    /// False if the gateway is stopping (the message is then not taken).
    package func submitWaiting(_ item: TelemetryBatchItem) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let weight = weight(item)
        while !closed && (!hasRoom(for: weight) || (mqttUncommitted > 0 && mqttUncommitted + 1 > mqttLimit)) { condition.wait() }
        if closed { return false }
        mqttUncommitted += 1
        mqttWaiting += 1
        append(Entry(item: item, waiter: nil), weight: weight)
        return true
    }

    private func append(_ entry: Entry, weight: Int) {
        entries.append(entry)
        readings += weight
        GatewayMetrics.bufferReadings.record(readings)
    }

    /// Readings waiting.
    package var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return readings
    }

    /// Whether a batch should go now rather than at the interval: `batchSize` readings
    /// wait, or half the MQTT messages allowed uncommitted (so that while one half
    /// commits, the input goes on taking the other).
    func wantsFlush(batchSize: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return readings >= batchSize || mqttWaiting >= max(1, mqttLimit / 2)
    }

    /// Marks a batch committed: its MQTT messages no longer count against `mqttLimit`.
    func committed(_ batch: [Entry]) {
        let messages = batch.filter { $0.waiter == nil }.count
        guard messages > 0 else { return }
        condition.lock()
        defer { condition.unlock() }
        mqttUncommitted -= messages
        condition.broadcast()
    }

    /// Takes entries from the front, up to `maximum` readings (at least one entry).
    func take(maximum: Int) -> [Entry] {
        condition.lock()
        defer { condition.unlock() }
        var taken = 0
        var end = head
        while end < entries.count {
            let weight = weight(entries[end].item)
            if end > head && taken + weight > maximum { break }
            taken += weight
            end += 1
        }
        let batch = Array(entries[head..<end])
        mqttWaiting -= batch.reduce(0) { $0 + ($1.waiter == nil ? 1 : 0) }
        head = end
        if head == entries.count {
            entries.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 4_096 && head > entries.count / 2 {
            entries.removeFirst(head)
            head = 0
        }
        readings -= taken
        GatewayMetrics.bufferReadings.record(readings)
        if !batch.isEmpty { condition.broadcast() }
        return batch
    }

    /// Puts a batch that could not be stored back at the front, in order.
    func putBack(_ batch: [Entry]) {
        condition.lock()
        defer { condition.unlock() }
        entries.insert(contentsOf: batch, at: head)
        mqttWaiting += batch.reduce(0) { $0 + ($1.waiter == nil ? 1 : 0) }
        readings += batch.reduce(0) { $0 + weight($1.item) }
        GatewayMetrics.bufferReadings.record(readings)
    }

    /// Whether the database takes batches; while not, HTTP requests are refused.
    func setDatabaseUp(_ up: Bool) {
        condition.lock()
        defer { condition.unlock() }
        databaseUp = up
        GatewayMetrics.databaseUp.record(up ? 1 : 0)
    }

    /// Takes nothing more; MQTT callers blocked on room return false.
    func close() {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        condition.broadcast()
    }

    /// Everything still waiting, leaving it empty (for refusing it at the end).
    func drain() -> [Entry] {
        condition.lock()
        defer { condition.unlock() }
        let all = Array(entries[head...])
        entries.removeAll()
        head = 0
        mqttWaiting = 0
        readings = 0
        condition.broadcast()
        return all
    }
}
