import PgClient

/// The series the dashboard offers to pick from: by name, with their feature count and
/// active version.
package struct SeriesListing: Sendable {
    package let device: String
    package let sensor: String
    package let features: Int
    package let activeVersion: Int?

    /// The selected series by name, at most `limit`.
    package static func load(_ selector: SeriesSelector, limit: Int, from connection: PostgresConnection) async throws -> [SeriesListing] {
        try await connection.query(DashboardQueries.seriesList.bind(selector.devicePattern, selector.sensorPattern, limit)).map {
            SeriesListing(
                device: try $0.decode("device"), sensor: try $0.decode("sensor"), features: Int(try $0.decode("n_features") as Int16),
                activeVersion: try $0.decode("active_version"))
        }
    }
}
