import Foundation
import Kernels
import PgClient

/// Runs a claimed training job (a tick of a training schedule): reads the series'
/// readings of the job's window, fits a model with the job's parameters, checks its
/// health, and stores it — as the series' challenger, or its champion when it has none —
/// in the transaction that completes the job, behind the same `(job_id, attempt)` fence
/// as scoring: an attempt that lost its lease stores no model, so a retried or
/// taken-over job never makes two versions.
package struct TrainingJobRunner: Sendable {
    package init() {}

    /// What became of a training job.
    package enum Outcome: Sendable {
        /// Stored, in the role it got.
        case trained(ModelStore.StoredModel, rows: Int)
        /// No longer this worker's (cancelled or taken over): nothing stored.
        case lost
    }

    /// Trains and completes `job`; throws a `JobFailure` when it cannot train (bad
    /// parameters, a solver error), or the loss of the connection.
    package func run(_ job: ClaimedJob, queue: JobQueue) async throws -> Outcome {
        let started = ContinuousClock.now
        func failure(_ reason: String, retryable: Bool) -> JobFailure {
            JobFailure(job: job, reason: reason, retryable: retryable, durationMilliseconds: (ContinuousClock.now - started).seconds * 1000)
        }
        let parameters: TrainingParameters
        do {
            parameters = try TrainingParameters(json: job.trainParams ?? "{}")
        } catch {
            throw failure("\(error)", retryable: false)
        }
        let connection = queue.connection
        let rows: PostgresRows
        do {
            rows = try await connection.query(ReadingQueries.trainingFeatures.bind(job.seriesID, job.windowStart, job.windowEnd))
        } catch let error as PostgresError where !error.isConnectionLoss {
            throw failure("reading the training window failed: \(error)", retryable: true)
        }
        var data: [Double] = []
        var featureCount = 0
        for row in rows { featureCount = try row.appendFloat8Array(0, to: &data) }
        let duration = { (ContinuousClock.now - started).seconds * 1000 }
        guard rows.count >= parameters.minReadings else {
            // Said, not skipped: the job fails with the reason (a failed retrain never holds a series).
            throw failure(
                "only \(rows.count) reading(s) in the window, fewer than min_readings \(parameters.minReadings): no model trained",
                retryable: false)
        }
        let trainer = parameters.trainer
        let fitStarted = ContinuousClock.now
        let fit: (model: OneClassSVM, report: OneClassSVMTrainer.Report)
        do {
            fit = try trainer.fit(data, featureCount: featureCount)
        } catch {
            throw failure("training failed: \(error)", retryable: false)
        }
        let fitSeconds = (ContinuousClock.now - fitStarted).seconds
        let facts = TrainingParams(
            trainer: trainer, report: fit.report, trainedFrom: try rows.first?.decode(1), trainedUntil: try rows.last?.decode(1))
        let health = ModelHealth.check(fit.model, trainingData: data, nu: trainer.nu)
        let trainingData = data
        let stored: ModelStore.StoredModel?
        do {
            stored = try await queue.completeTraining(job, durationMilliseconds: duration()) { connection in
                try await ModelStore(connection: connection).add(
                    fit.model, seriesID: job.seriesID, source: "native", paramsJSON: facts.json, trainingRows: rows.count,
                    fitSeconds: fitSeconds, role: .challenger, force: false, health: health, trainingData: trainingData)
            }
        } catch let error as PostgresError where !error.isConnectionLoss {
            // Storing failed (a statement timeout, a concurrent change of roles): nothing of it landed.
            throw failure("storing the trained model failed: \(error)", retryable: true)
        }
        guard let stored else { return .lost }
        return .trained(stored, rows: rows.count)
    }
}
