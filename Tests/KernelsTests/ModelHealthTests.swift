import Foundation
import Kernels
import Testing

@Suite("Model health")
struct ModelHealthTests {
    /// Gaussian training data around the origin.
    static func data(_ count: Int, features: Int, seed: UInt64 = 1) -> [Double] {
        var state = seed
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        return (0..<(count * features)).map { _ in (-2 * log(max(uniform(), 1e-300))).squareRoot() * cos(2 * .pi * uniform()) }
    }

    static func trained(nu: Double = 0.1, scaling: OneClassSVMTrainer.Scaling = .standard) throws -> (OneClassSVM, [Double]) {
        var trainer = OneClassSVMTrainer()
        trainer.nu = nu
        trainer.scaling = scaling
        let data = Self.data(400, features: 3)
        return (try trainer.fit(data, featureCount: 3).model, data)
    }

    @Test("a model shaped like the reference project's four bad ones fails: one support vector whose dual equals minus the intercept")
    func cannotBePositive() throws {
        let model = try OneClassSVM(
            kernel: .rbf, gamma: 0.01, featureCount: 1, supportVectors: [0.3], dualCoefficients: [1.0], intercept: -1.0,
            scaler: .standard(mean: [21.5], scale: [2.0]))
        let health = ModelHealth.check(model)
        #expect(health.verdict == .fail)
        #expect(health.reasons.first?.contains("cannot be positive") == true, "\(health.reasons)")
        // Its healthy counterpart: the same shape, a little room above zero, is not a `fail`.
        let healthy = try OneClassSVM(
            kernel: .rbf, gamma: 0.01, featureCount: 1, supportVectors: [0.3, -0.5], dualCoefficients: [1.0, 1.0], intercept: -1.5,
            scaler: .standard(mean: [21.5], scale: [2.0]))
        #expect(ModelHealth.check(healthy).verdict == .ok, "\(ModelHealth.check(healthy).reasons)")
    }

    @Test("the legacy scikit-learn 0.19.2 pipeline (one of the healthy eleven) passes as ok")
    func legacyFixture() throws {
        let fixture = try SklearnFixture.load("legacy_sklearn_0.19.2_pipeline")
        let health = ModelHealth.check(fixture.document.model)
        #expect(health.verdict == .ok, "\(health.reasons)")
    }

    @Test("a model fitted on its data is ok on that data; with the wrong ν it is a warn")
    func trainingEvidence() throws {
        let (model, data) = try Self.trained()
        let health = ModelHealth.check(model, trainingData: data, nu: 0.1)
        #expect(health.verdict == .ok && health.evidenceIsTrainingData && health.evidenceCount == 400, "\(health.reasons)")
        #expect(health.flaggedFraction > 0.05 && health.flaggedFraction < 0.15)
        let mistaken = ModelHealth.check(model, trainingData: data, nu: 0.5)
        #expect(mistaken.verdict == .warn && mistaken.reasons.contains { $0.contains("far from ν") }, "\(mistaken.reasons)")
        #expect(ModelHealth.check(model).verdict == .ok, "probes: \(ModelHealth.check(model).reasons)")
    }

    @Test("a constant decision function fails; one that flags every probe fails; one that flags nothing warns")
    func degenerateFunctions() throws {
        let constant = try OneClassSVM(
            kernel: .linear, gamma: 1, featureCount: 2, supportVectors: [0, 0, 0, 0], dualCoefficients: [0.5, 0.5], intercept: 0.2)
        #expect(ModelHealth.check(constant).verdict == .fail)
        #expect(ModelHealth.check(constant).reasons.contains { $0.contains("constant") }, "\(ModelHealth.check(constant).reasons)")
        let everything = try OneClassSVM(
            kernel: .linear, gamma: 1, featureCount: 2, supportVectors: [0.1, 0.2, 0.2, 0.1], dualCoefficients: [0.5, 0.5], intercept: -100)
        #expect(ModelHealth.check(everything).verdict == .fail, "\(ModelHealth.check(everything).reasons)")
        let (model, _) = try Self.trained()
        let nothing = try OneClassSVM(
            kernel: .rbf, gamma: model.gamma, featureCount: 3, supportVectors: model.supportVectors, dualCoefficients: model.dualCoefficients,
            intercept: 0.5, scaler: model.scaler)
        let health = ModelHealth.check(nothing)
        #expect(health.verdict == .warn && health.reasons.contains { $0.contains("flags nothing") }, "\(health.reasons)")
    }

    @Test("a gamma that makes every point an island, or all points alike, warns")
    func gammaExtremes() throws {
        let (model, _) = try Self.trained()
        func with(gamma: Double) throws -> ModelHealth {
            ModelHealth.check(try OneClassSVM(
                kernel: .rbf, gamma: gamma, featureCount: 3, supportVectors: model.supportVectors, dualCoefficients: model.dualCoefficients,
                intercept: model.intercept, scaler: model.scaler))
        }
        let islands = try with(gamma: 1e4), alike = try with(gamma: 1e-9), fitted = try with(gamma: model.gamma)
        #expect(islands.reasons.contains { $0.contains("its own island") }, "\(islands.reasons)")
        #expect(alike.reasons.contains { $0.contains("all points look alike") }, "\(alike.reasons)")
        #expect(fitted.reasons.isEmpty, "\(fitted.reasons)")
    }
}
