import PgClient

/// Champion and challenger per series: compare them over the shadow period, promote
/// the challengers that meet conditions, roll back to the previous champion, and read
/// the record of champions. Every change goes through the database's functions
/// (`pgscorer.promote_challenger`, `pgscorer.rollback_champion`), so SQL does it the same
/// way, and is recorded in `pgscorer.deployments`. Scoring is never interrupted: jobs
/// in flight finish with the model they claimed; the next ticks use the new champion.
package struct ModelLifecycle: Sendable {
    let connection: PostgresConnection

    package init(connection: PostgresConnection) { self.connection = connection }

    /// A series' champion against its challenger over the readings both scored.
    package struct Comparison: Sendable, Encodable {
        package let seriesID: Int64
        package let device: String
        package let sensor: String
        package let championModelID: Int64?
        package let championVersion: Int?
        package let challengerModelID: Int64
        package let challengerVersion: Int
        package let challengerHealth: String?
        /// Readings both scored.
        package let readings: Int
        /// The share of them both labelled alike (anomaly or not).
        package let agreement: Double?
        package let championRate: Double?
        package let challengerRate: Double?
        package let scoreCorrelation: Double?
        package let shadowFrom: PostgresTimestamp?
        package let shadowUntil: PostgresTimestamp?

        init(row: PostgresRow) throws {
            seriesID = try row.decode("series_id")
            device = try row.decode("device")
            sensor = try row.decode("sensor")
            championModelID = try row.decode("champion_model_id")
            championVersion = try row.decode("champion_version")
            challengerModelID = try row.decode("challenger_model_id")
            challengerVersion = try row.decode("challenger_version")
            challengerHealth = try row.decode("challenger_health")
            readings = try row.decode("readings")
            agreement = try row.decode("agreement")
            championRate = try row.decode("champion_rate")
            challengerRate = try row.decode("challenger_rate")
            scoreCorrelation = try row.decode("score_correlation")
            shadowFrom = try row.decode("shadow_from")
            shadowUntil = try row.decode("shadow_until")
        }
    }

    /// Comparisons of the selected series that have a challenger.
    package func compare(_ selector: SeriesSelector) async throws -> [Comparison] {
        try await connection.query(DeploymentQueries.comparison.bind(selector.devicePattern, selector.sensorPattern)).map(Comparison.init(row:))
    }

    /// Comparisons of the series `seriesIDs` that have a challenger.
    package func compare(seriesIDs: [Int64]) async throws -> [Comparison] {
        guard !seriesIDs.isEmpty else { return [] }
        return try await connection.query(DeploymentQueries.comparisonOf.bind(seriesIDs)).map(Comparison.init(row:))
    }

    /// What `promote` requires of a challenger before it becomes the champion.
    package struct Conditions: Sendable {
        /// Least share of agreeing labels over the shadow period.
        package var minAgreement: Double?
        /// Largest change of anomaly rate (challenger − champion, absolute).
        package var maxRateChange: Double?
        /// Least readings both scored (a comparison on too few says little).
        package var minReadings = 1
        /// Promote a challenger that failed its health check anyway.
        package var force = false

        package init() {}

        /// Why `comparison` does not qualify; nil when it does.
        func refusal(_ comparison: Comparison) -> String? {
            if comparison.challengerHealth == "fail" && !force { return "its health check failed (--force promotes it anyway)" }
            guard comparison.championModelID != nil else { return nil }
            if comparison.readings < minReadings {
                return "only \(comparison.readings) reading(s) scored by both (--min-readings \(minReadings))"
            }
            if let minAgreement, (comparison.agreement ?? 0) < minAgreement {
                return String(format: "agreement %.4f is below %.4f", comparison.agreement ?? 0, minAgreement)
            }
            if let maxRateChange, let champion = comparison.championRate, let challenger = comparison.challengerRate,
                abs(challenger - champion) > maxRateChange
            {
                return String(format: "anomaly rate moves from %.4f to %.4f, more than %.4f", champion, challenger, maxRateChange)
            }
            return nil
        }
    }

    /// A series the command acted on (or left alone), and why.
    package struct Change: Sendable, Encodable {
        package let series: String
        package let modelID: Int64?
        package let version: Int?
        /// nil when done; else why not.
        package let refused: String?
    }

    /// Promotes the challengers of the selected series that meet `conditions`, each in
    /// its own transaction. Returns what became of each series with a challenger. With
    /// `dryRun`, each promotion is made and rolled back, so that what it says is what the
    /// database would do.
    package func promote(
        _ selector: SeriesSelector, conditions: Conditions, reason: String?, dryRun: Bool = false
    ) async throws -> [Change] {
        var changes: [Change] = []
        for comparison in try await compare(selector) {
            let name = "\(comparison.device)/\(comparison.sensor)"
            if let refusal = conditions.refusal(comparison) {
                changes.append(Change(series: name, modelID: comparison.challengerModelID, version: comparison.challengerVersion, refused: refusal))
                continue
            }
            do {
                try await apply(dryRun: dryRun) { connection in
                    _ = try await connection.query(
                        DeploymentQueries.promote.bind(comparison.seriesID, reason, conditions.force, comparison.challengerModelID))
                }
                changes.append(Change(series: name, modelID: comparison.challengerModelID, version: comparison.challengerVersion, refused: nil))
            } catch let error as PostgresError where error.sqlState == SQLState.checkViolation {
                changes.append(Change(series: name, modelID: comparison.challengerModelID, version: comparison.challengerVersion, refused: error.message))
            }
        }
        return changes
    }

    /// Returns each selected series with a champion to the champion before it (with
    /// `dryRun`: made and rolled back).
    package func rollback(_ selector: SeriesSelector, reason: String?, dryRun: Bool = false) async throws -> [Change] {
        var changes: [Change] = []
        for row in try await connection.query(DeploymentQueries.championedSeries.bind(selector.devicePattern, selector.sensorPattern)) {
            let seriesID: Int64 = try row.decode("series_id")
            let name = "\(try row.decode("device") as String)/\(try row.decode("sensor") as String)"
            do {
                let modelID: Int64 = try await apply(dryRun: dryRun) { connection in
                    try await connection.query(DeploymentQueries.rollback.bind(seriesID, reason)).single().decode("model_id")
                }
                changes.append(Change(series: name, modelID: modelID, version: nil, refused: nil))
            } catch let error as PostgresError where error.sqlState == SQLState.checkViolation {
                changes.append(Change(series: name, modelID: nil, version: nil, refused: error.message))
            }
        }
        return changes
    }

    /// Runs `change` in a transaction that commits, or with `dryRun` in one rolled back
    /// after `change` has done everything (its refusals included).
    private func apply<T: Sendable>(dryRun: Bool, _ change: (PostgresConnection) async throws -> T) async throws -> T {
        guard dryRun else { return try await connection.transaction(change) }
        do {
            return try await connection.transaction { connection -> T in throw RolledBack(value: try await change(connection)) }
        } catch let rolledBack as RolledBack<T> {
            return rolledBack.value
        }
    }

    /// Carries a dry run's result out of the transaction it rolls back.
    private struct RolledBack<T: Sendable>: Error { let value: T }

    /// One change of champion.
    package struct Deployment: Sendable, Encodable {
        package let device: String
        package let sensor: String
        package let action: String
        package let modelID: Int64?
        package let version: Int?
        package let previousModelID: Int64?
        package let previousVersion: Int?
        package let deployedAt: PostgresTimestamp
        package let deployedBy: String
        package let reason: String?
    }

    /// The latest `limit` changes of champion of the selected series, newest first.
    package func history(_ selector: SeriesSelector, limit: Int = 100) async throws -> [Deployment] {
        try await connection.query(DeploymentQueries.history.bind(selector.devicePattern, selector.sensorPattern, limit)).map {
            Deployment(
                device: try $0.decode("device"), sensor: try $0.decode("sensor"), action: try $0.decode("action"),
                modelID: try $0.decode("model_id"), version: try $0.decode("version"), previousModelID: try $0.decode("previous_model_id"),
                previousVersion: try $0.decode("previous_version"), deployedAt: try $0.decode("deployed_at"),
                deployedBy: try $0.decode("deployed_by"), reason: try $0.decode("reason"))
        }
    }
}
