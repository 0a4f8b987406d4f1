import Foundation
import Kernels

/// How to train a series' model: what `pgscorer train` takes as flags and a training
/// schedule keeps as JSON (`schedules.train_params`, checked by the database with
/// `pgscorer.train_params_error`): kernel, nu, gamma, scaler, degree, coef0, min_readings.
package struct TrainingParameters: Sendable, Equatable, Codable {
    package var kernel = "rbf"
    package var nu = 0.1
    /// A number as text, `scale` or `auto`.
    package var gamma = "scale"
    package var scaler = "none"
    package var degree = 3
    package var coef0 = 0.0
    package var minReadings = 10

    package init() {}

    enum CodingKeys: String, CodingKey {
        case kernel, nu, gamma, scaler, degree, coef0
        case minReadings = "min_readings"
    }

    /// From a schedule's or a job's JSON; absent keys keep their defaults. The database
    /// has checked it; a value that still does not fit says so.
    package init(json: String) throws {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw PgScorerError(.invalidInput, "training parameters are not a JSON object: \(json)")
        }
        if let kernel = object["kernel"] as? String { self.kernel = kernel }
        if let nu = object["nu"] as? Double { self.nu = nu }
        if let gamma = object["gamma"] as? String { self.gamma = gamma } else if let gamma = object["gamma"] as? Double { self.gamma = "\(gamma)" }
        if let scaler = object["scaler"] as? String { self.scaler = scaler }
        // Whole numbers in range only (`problem` says so): a huge or fractional one never traps.
        if let degree = object["degree"] as? Double { self.degree = Int(exactly: degree) ?? -1 }
        if let coef0 = object["coef0"] as? Double { self.coef0 = coef0 }
        if let minReadings = object["min_readings"] as? Double { self.minReadings = Int(exactly: minReadings) ?? -1 }
        if let problem = problem { throw PgScorerError(.invalidInput, "training parameters \(json): \(problem)") }
    }

    /// What is wrong with them, in the flags' words; nil when they can train.
    package var problem: String? {
        if OneClassSVM.Kernel(rawValue: kernel) == nil { return "kernel must be rbf, linear, poly or sigmoid" }
        if !(nu > 0 && nu <= 1) { return "nu must be in (0, 1]" }
        if !(gamma == "scale" || gamma == "auto" || (Double(gamma).map { $0 > 0 && $0.isFinite } ?? false)) {
            return "gamma must be a positive number, scale or auto"
        }
        if OneClassSVMTrainer.Scaling(rawValue: scaler) == nil { return "scaler must be none, standard or minmax" }
        if !(1...10).contains(degree) { return "degree must be from 1 to 10" }
        if minReadings < 2 || minReadings > 10_000_000 { return "min_readings must be a whole number from 2 to 10,000,000" }
        return nil
    }

    /// The trainer they describe (valid parameters only: see `problem`).
    package var trainer: OneClassSVMTrainer {
        var trainer = OneClassSVMTrainer()
        trainer.kernel = OneClassSVM.Kernel(rawValue: kernel) ?? .rbf
        trainer.nu = nu
        trainer.gamma = gamma == "scale" ? .scale : gamma == "auto" ? .auto : .value(Double(gamma) ?? 1)
        trainer.coef0 = coef0
        trainer.degree = degree
        trainer.scaling = OneClassSVMTrainer.Scaling(rawValue: scaler) ?? .none
        return trainer
    }

    /// As a schedule stores them, with numbers as numbers.
    package var json: String {
        var object: [String: Any] = ["kernel": kernel, "nu": nu, "scaler": scaler, "degree": degree, "coef0": coef0, "min_readings": minReadings]
        object["gamma"] = Double(gamma).map { $0 as Any } ?? gamma
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
