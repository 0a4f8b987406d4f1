import PgClient

/// Adds, enables, disables and removes schedules: the same rows an operator edits with
/// SQL, validated by the same trigger.
package struct ScheduleStore: Sendable {
    package let connection: PostgresConnection

    package init(connection: PostgresConnection) { self.connection = connection }

    /// A new schedule as `pgscorer schedule add` describes it.
    package struct NewSchedule: Sendable {
        package var name: String
        package var cron: String?
        package var every: Duration?
        package var window: Duration
        package var devicePattern = "%"
        package var sensorPattern = "%"
        package var missedTicks = MissedTickPolicy.skip
        package var priority: Int16 = 0
        package var maxAttempts: Int16 = 5
        /// Training parameters as JSON text: the schedule trains instead of scoring.
        package var trainParams: String?
        /// The aggregation whose closing windows fire it (then neither cron nor every).
        package var onClose: String?

        package init(name: String, cron: String? = nil, every: Duration? = nil, window: Duration) {
            self.name = name
            self.cron = cron
            self.every = every
            self.window = window
        }
    }

    package func add(_ schedule: NewSchedule) async throws {
        let (policy, limit): (String, Int32) =
            switch schedule.missedTicks {
            case .skip: ("skip", 0)
            case .catchUp(let limit): ("catch_up", Int32(limit))
            }
        do {
            try await connection.execute(
                ScheduleQueries.insert.bind(
                    schedule.name, schedule.cron, schedule.every.map(DurationText.interval), DurationText.interval(schedule.window),
                    schedule.devicePattern, schedule.sensorPattern, policy, limit, schedule.priority, schedule.maxAttempts,
                    schedule.trainParams == nil ? "score" : "train", schedule.trainParams, schedule.onClose))
        } catch let error as PostgresError where error.sqlState == SQLState.foreignKeyViolation {
            throw PgScorerError(.notFound, "no aggregation named \(schedule.onClose ?? "") (pgscorer aggregate list shows them)")
        } catch let error as PostgresError where error.sqlState == SQLState.uniqueViolation {
            throw PgScorerError(.invalidInput, "a schedule named \(schedule.name) already exists (pgscorer schedule list shows it)")
        } catch let error as PostgresError where error.sqlState == SQLState.checkViolation {
            // The validation trigger's message already says what is wrong, in the user's words.
            throw PgScorerError(.invalidInput, error.message)
        }
    }

    /// Enables or disables schedule `name`.
    package func setEnabled(_ name: String, _ enabled: Bool) async throws {
        guard try await connection.execute(ScheduleQueries.setEnabled.bind(name, enabled)) == 1 else {
            throw PgScorerError(.notFound, "no schedule named \(name)")
        }
    }

    /// Removes schedule `name` (its jobs and predictions stay).
    package func remove(_ name: String) async throws {
        guard try await connection.execute(ScheduleQueries.delete.bind(name)) == 1 else {
            throw PgScorerError(.notFound, "no schedule named \(name)")
        }
    }
}
