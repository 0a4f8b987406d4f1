import PgClient

/// Series held after failing permanently again and again (`pgscorer.series_failures`):
/// the failures are counted by the job statements; this releases them.
package struct Quarantine: Sendable {
    package let connection: PostgresConnection

    package init(connection: PostgresConnection) { self.connection = connection }

    /// A series released, and whether it had been held or only counted failures.
    package struct Released: Sendable, Encodable {
        package let device: String
        package let sensor: String
        package let consecutive: Int
        package let held: Bool
    }

    /// Releases the selected series: ticks queue their jobs again and their count of
    /// failures starts afresh.
    package func resume(_ selector: SeriesSelector) async throws -> [Released] {
        try await connection.query(SeriesQueries.resume.bind(selector.devicePattern, selector.sensorPattern)).map {
            Released(device: try $0.decode("device"), sensor: try $0.decode("sensor"), consecutive: try $0.decode("consecutive"), held: try $0.decode("held"))
        }
    }
}
