import PgClient

/// Adds, lists and removes aggregations: the rows of `pgscorer.aggregations` an operator
/// may also edit with SQL, validated by the same trigger.
package struct AggregationStore: Sendable {
    package let connection: PostgresConnection

    package init(connection: PostgresConnection) { self.connection = connection }

    /// The features a window can give, in the words `--features` takes.
    package static let features = ["count", "sum", "mean", "min", "max", "std", "first", "last", "p50", "p95"]

    /// A new aggregation as `pgscorer aggregate add` describes it.
    package struct NewAggregation: Sendable {
        package var name: String
        package var window: Duration
        /// nil: tumbling (the hop is the window).
        package var hop: Duration?
        package var features: [String]
        package var devicePattern = "%"
        package var sensorPattern = "%"
        package var target: String
        package var lateness: Duration = .seconds(30)
        package var latePolicy = "drop"
        package var idleClose: Duration = .seconds(600)

        package init(name: String, window: Duration, features: [String], target: String) {
            self.name = name
            self.window = window
            self.features = features
            self.target = target
        }
    }

    /// What `add` found: series it reads now, and matching series it leaves to readings
    /// (more than one value per sample).
    package struct Matched: Sendable {
        package let sources: Int
        package let skipped: Int
    }

    package func add(_ aggregation: NewAggregation) async throws -> Matched {
        do {
            _ = try await connection.query(
                WindowQueries.insert.bind(
                    aggregation.name, DurationText.interval(aggregation.window), aggregation.hop.map(DurationText.interval),
                    aggregation.features, aggregation.devicePattern, aggregation.sensorPattern, aggregation.target,
                    DurationText.interval(aggregation.lateness), aggregation.latePolicy, DurationText.interval(aggregation.idleClose)))
        } catch let error as PostgresError where error.sqlState == SQLState.uniqueViolation {
            throw PgScorerError(.invalidInput, "an aggregation named \(aggregation.name) already exists (pgscorer aggregate list shows it)")
        } catch let error as PostgresError where error.sqlState == SQLState.checkViolation {
            // The validation trigger's message already says what is wrong, in the user's words.
            throw PgScorerError(.invalidInput, error.message)
        }
        let row = try await connection.query(WindowQueries.sourceCount.bind(aggregation.name)).single()
        return Matched(sources: try row.decode("sources"), skipped: try row.decode("skipped"))
    }

    /// Removes aggregation `name`: its windows' state goes, its samples and the readings
    /// it made stay.
    package func remove(_ name: String) async throws {
        do {
            guard try await connection.execute(WindowQueries.delete.bind(name)) == 1 else {
                throw PgScorerError(.notFound, "no aggregation named \(name)")
            }
        } catch let error as PostgresError where error.sqlState == SQLState.foreignKeyViolation {
            throw PgScorerError(.invalidInput, "schedules fire on the closing of \(name): remove them first (pgscorer schedule list shows them)")
        }
    }
}

/// An aggregation as listings show it, with what it has done.
package struct AggregationOverview: Sendable, Encodable {
    package let name: String
    package let window: String
    package let hop: String
    package let features: [String]
    package let devices: String
    package let sensors: String
    package let target: String
    package let lateness: String
    package let latePolicy: String
    package let idleClose: String
    /// Series it reads.
    package let sources: Int
    package let openWindows: Int
    package let closedWindows: Int
    package let lateDropped: Int
    package let lateRecomputed: Int
    /// The newest end up to which some device's windows are closed.
    package let closedUntil: PostgresTimestamp?
    /// How far the slowest device still sending lags behind the database's clock.
    package let lagSeconds: Double?

    init(row: PostgresRow) throws {
        name = try row.decode("name")
        window = DurationText.format(.microseconds(try row.decode("window_us") as Int64))
        hop = DurationText.format(.microseconds(try row.decode("hop_us") as Int64))
        features = try row.decode("features")
        devices = SeriesSelector.typed(fromLikePattern: try row.decode("device_pattern"))
        sensors = SeriesSelector.typed(fromLikePattern: try row.decode("sensor_pattern"))
        target = try row.decode("target")
        lateness = DurationText.format(.microseconds(try row.decode("lateness_us") as Int64))
        latePolicy = try row.decode("late_policy")
        idleClose = DurationText.format(.microseconds(try row.decode("idle_close_us") as Int64))
        sources = try row.decode("sources")
        openWindows = try row.decode("open_windows")
        closedWindows = try row.decode("closed_windows")
        lateDropped = try row.decode("late_dropped")
        lateRecomputed = try row.decode("late_recomputed")
        closedUntil = try row.decode("closed_until")
        lagSeconds = try row.decode("lag_seconds")
    }

    package static func all(on connection: PostgresConnection) async throws -> [AggregationOverview] {
        try await connection.query(PostgresQuery(WindowQueries.overview)).map(AggregationOverview.init(row:))
    }
}
