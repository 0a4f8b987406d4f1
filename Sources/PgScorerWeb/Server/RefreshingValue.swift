/// A value that is slow to compute and may be a little old (the overview's heat map):
/// computed on first use, then served as it is while a refresh runs in the background
/// once it is older than `maximumAge` — so no request waits for it again.
actor RefreshingValue<Value: Sendable> {
    private let maximumAge: Duration
    private let load: @Sendable () async throws -> Value
    private var current: (value: Value, at: ContinuousClock.Instant)?
    private var refreshing = false

    init(maximumAge: Duration, load: @escaping @Sendable () async throws -> Value) {
        self.maximumAge = maximumAge
        self.load = load
    }

    func value() async throws -> Value {
        guard let current else {
            let value = try await load()
            self.current = (value, .now)
            return value
        }
        if ContinuousClock.now - current.at > maximumAge && !refreshing {
            refreshing = true
            Task { await self.refresh() }
        }
        return current.value
    }

    private func refresh() async {
        defer { refreshing = false }
        // A failed refresh keeps the old value; the next request tries again.
        if let value = try? await load() { current = (value, .now) }
    }
}
