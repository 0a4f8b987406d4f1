import PgClient

/// What the demo's schedule did and what its models caught, against the injected anomalies.
package struct DemoTally: Sendable {
    package let ticks: Int
    package let jobsQueued: Int
    package let jobsCompleted: Int
    package let readingsScored: Int
    package let secondsPerTick: Double
    /// Active-model predictions of the scored hours, and of how many series.
    package let scored: Int
    package let series: Int
    /// Anomalies injected (all of them into the scored hours).
    package let injected: Int
    package let caught: Int
    package let falseAlarms: Int
    package let missed: Int
    /// Per kind of injected anomaly: (kind, injected, caught).
    package let byKind: [(kind: String, injected: Int, caught: Int)]
    /// The series with the most anomalies: (device, sensor, anomalies, scored).
    package let worst: [(device: String, sensor: String, anomalies: Int, scored: Int)]

    package static func load(from connection: PostgresConnection, scoringStart: PostgresTimestamp) async throws -> DemoTally {
        let ticks = try await connection.query(DemoQueries.tickTotals).single()
        let outcome = try await connection.query(DemoQueries.outcome.bind(scoringStart)).single()
        return DemoTally(
            ticks: try ticks.decode("ticks"), jobsQueued: try ticks.decode("jobs"), jobsCompleted: try ticks.decode("completed"),
            readingsScored: try ticks.decode("readings"), secondsPerTick: try ticks.decode("seconds_per_tick"),
            scored: try outcome.decode("scored"), series: try outcome.decode("series"),
            injected: try await connection.query(DemoQueries.injectedCount).single().decode("injected"), caught: try outcome.decode("caught"), falseAlarms: try outcome.decode("false_alarms"),
            missed: try outcome.decode("missed"),
            byKind: try await connection.query(DemoQueries.caughtByKind).map {
                (try $0.decode("kind"), try $0.decode("injected"), try $0.decode("caught"))
            },
            worst: try await connection.query(DemoQueries.worstSeries).map {
                (try $0.decode("device"), try $0.decode("sensor"), try $0.decode("anomalies"), try $0.decode("scored"))
            })
    }
}
