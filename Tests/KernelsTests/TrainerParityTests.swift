import Foundation
import Kernels
import Testing

/// The training data of tools/make_trainer_fixtures.py, reproduced bit for bit.
enum FixtureData {
    static func uniforms(seed: UInt64, count: Int) -> [Double] {
        (1...count).map { k in
            var z = seed &+ UInt64(k) &* 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return Double(z >> 11) * (1.0 / 9_007_199_254_740_992.0)
        }
    }

    /// make_trainer_fixtures.py's `tied`: x·a + b, floor(x·k + 0.5)/k, clip, repeat rows,
    /// hold a stretch of rows constant — in that order.
    static func tied(_ data: [Double], features d: Int, ties: JSONValue?) throws -> [Double] {
        guard case .object? = ties else { return data }
        func numbers(_ key: String) -> [Double]? {
            guard case .array(let values)? = ties?[key] else {
                if case .number(let value, _)? = ties?[key] { return [value] }
                return nil
            }
            return values.compactMap { if case .number(let value, _) = $0 { value } else { nil } }
        }
        var data = data
        if let affine = numbers("affine") { data = data.map { $0 * affine[0] + affine[1] } }
        if let k = numbers("round")?.first { data = data.map { ($0 * k + 0.5).rounded(.down) / k } }
        if let clip = numbers("clip") { data = data.map { Swift.min(Swift.max($0, clip[0]), clip[1]) } }
        if let times = numbers("repeat")?.first {
            let rows = data.count / d
            data = (0..<rows).flatMap { row in (0..<Int(times)).flatMap { _ in data[(row * d)..<((row + 1) * d)] } }
        }
        if let range = numbers("constant") {
            let (start, stop) = (Int(range[0]), Int(range[1]))
            let held = Array(data[(start * d)..<((start + 1) * d)])
            for row in start..<stop { data.replaceSubrange((row * d)..<((row + 1) * d), with: held) }
        }
        return data
    }

    static func rows(seed: UInt64, rows: Int, features: Int, spread: Double) -> [Double] {
        let u = uniforms(seed: seed, count: rows * features * 12)
        return (0..<(rows * features)).map { index in
            var sum = u[index * 12]
            for t in 1..<12 { sum = sum + u[index * 12 + t] }
            let j = index % features
            return (sum - 6.0) * (Double(1 + j % 3) * spread) + Double(j)
        }
    }
}

struct TrainerFixture {
    let name: String
    let trainer: OneClassSVMTrainer
    let train: [Double]
    let test: [Double]
    let features: Int
    let supportVectorCount: Int
    let intercept: Double
    let gamma: Double
    let decisionFunction: [Double]
    let trainHead: [[Double]]
    /// scikit-learn's `support_` and `dual_coef_`.
    let support: [Int]
    let duals: [Double]

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("TrainerFixtures")
    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func load(_ name: String) throws -> TrainerFixture {
        let root = try JSONValue.parse(Array(try Data(contentsOf: folder.appendingPathComponent("\(name).json"))))
        func number(_ value: JSONValue?) throws -> Double {
            guard case .number(let number, _)? = value else { throw TestFailure("expected a number") }
            return number
        }
        func string(_ value: JSONValue?) throws -> String {
            guard case .string(let text)? = value else { throw TestFailure("expected a string") }
            return text
        }
        func numbers(_ value: JSONValue?) throws -> [Double] {
            guard case .array(let values)? = value else { throw TestFailure("expected an array") }
            return try values.map { try number($0) }
        }
        let params = root["params"]
        var trainer = OneClassSVMTrainer()
        trainer.kernel = OneClassSVM.Kernel(rawValue: try string(params?["kernel"]))!
        trainer.nu = try number(params?["nu"])
        switch params?["gamma"] {
        case .string("scale")?: trainer.gamma = .scale
        case .string("auto")?: trainer.gamma = .auto
        case let value: trainer.gamma = .value(try number(value))
        }
        trainer.coef0 = try number(params?["coef0"])
        trainer.degree = Int(try number(params?["degree"]))
        trainer.scaling = OneClassSVMTrainer.Scaling(rawValue: try string(params?["scaler"]))!
        func data(_ key: String) throws -> [Double] {
            let spec = root[key]
            let features = Int(try number(spec?["features"]))
            let rows = FixtureData.rows(
                seed: UInt64(try number(spec?["seed"])), rows: Int(try number(spec?["rows"])), features: features,
                spread: try number(spec?["spread"]))
            return try FixtureData.tied(rows, features: features, ties: spec?["ties"])
        }
        guard case .array(let head)? = root["train_head"] else { throw TestFailure("no train_head") }
        return TrainerFixture(
            name: name, trainer: trainer, train: try data("train"), test: try data("test"),
            features: Int(try number(root["train"]?["features"])), supportVectorCount: Int(try number(root["n_support"])),
            intercept: try number(root["intercept"]), gamma: try number(root["gamma_resolved"]),
            decisionFunction: try numbers(root["decision_function"]), trainHead: try head.map(numbers),
            support: try numbers(root["support"]).map { Int($0) }, duals: try numbers(root["dual_coef"]))
    }
}

@Suite("Native trainer matches scikit-learn")
struct TrainerParityTests {
    @Test("the Swift data generator reproduces the fixture script's data exactly")
    func generator() throws {
        for name in TrainerFixture.names {
            let fixture = try TrainerFixture.load(name)
            #expect(Array(fixture.train.prefix(3 * fixture.features)) == fixture.trainHead.flatMap { $0 }, "\(name)")
        }
    }

    @Test("support vectors, intercept, decision values and labels match", arguments: TrainerFixture.names)
    func parity(name: String) throws {
        let fixture = try TrainerFixture.load(name)
        let (model, report) = try fixture.trainer.fit(fixture.train, featureCount: fixture.features)
        #expect(abs(report.resolvedGamma - fixture.gamma) <= 1e-12 * fixture.gamma)
        let allowed = max(2, Int((Double(fixture.supportVectorCount) * 0.01).rounded(.up)))
        #expect(abs(model.supportVectorCount - fixture.supportVectorCount) <= allowed,
                "n_SV \(model.supportVectorCount) vs scikit-learn \(fixture.supportVectorCount)")
        #expect(abs(model.intercept - fixture.intercept) <= 1e-3 * abs(fixture.intercept),
                "intercept \(model.intercept) vs scikit-learn \(fixture.intercept)")
        let decisions = try OneClassSVMScorer(model).decisionFunction(fixture.test)
        var agree = 0
        for (index, expected) in fixture.decisionFunction.enumerated() {
            #expect(abs(decisions[index] - expected) <= 1e-3 * max(1, abs(expected)), "held-out \(index)")
            if (decisions[index] > 0) == (expected > 0) { agree += 1 }
        }
        #expect(Double(agree) >= 0.995 * Double(fixture.decisionFunction.count))
    }

    @Test("libsvm's solution exactly: the same support vectors, duals and rho within 1e-9, tied data included", arguments: TrainerFixture.names)
    func exactSolution(name: String) throws {
        let fixture = try TrainerFixture.load(name)
        let (model, report) = try fixture.trainer.fit(fixture.train, featureCount: fixture.features)
        #expect(report.resolvedGamma == fixture.gamma, "gamma \(report.resolvedGamma) vs scikit-learn \(fixture.gamma)")
        #expect(report.supportIndices == fixture.support, "support vectors differ: \(report.supportIndices.count) vs \(fixture.support.count)")
        guard report.supportIndices == fixture.support else { return }
        let worst = zip(model.dualCoefficients, fixture.duals).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-9, "largest dual difference \(worst)")
        #expect(abs(model.intercept - fixture.intercept) <= 1e-9 * max(1, abs(fixture.intercept)),
                "intercept \(model.intercept) vs \(fixture.intercept)")
    }

    @Test("degenerate input gets a clear error or a well-defined model, never a hang")
    func degenerate() throws {
        var trainer = OneClassSVMTrainer()
        trainer.nu = 0.1
        let single = try trainer.fit([1, 2, 3], featureCount: 3)
        #expect(single.model.supportVectorCount == 1)
        let identical = try trainer.fit(Array(repeating: [4.0, 4.0], count: 100).flatMap { $0 }, featureCount: 2)
        #expect(identical.report.resolvedGamma == 1, "zero variance with gamma=scale resolves to 1, as scikit-learn")
        #expect(try OneClassSVMScorer(identical.model).decisionFunction(sample: [4, 4]).isFinite)
        trainer.nu = 0.001
        _ = try trainer.fit(FixtureData.rows(seed: 5, rows: 50, features: 2, spread: 1), featureCount: 2)
        #expect(throws: ModelError.self) { try trainer.fit([1, .nan, 3, 4], featureCount: 2) }
        #expect(throws: ModelError.self) { try trainer.fit([1, .infinity], featureCount: 2) }
        #expect(throws: ModelError.self) { try trainer.fit([], featureCount: 2) }
        #expect(throws: ModelError.self) { try trainer.fit([1, 2, 3], featureCount: 2) }
        trainer.nu = 0
        #expect(throws: ModelError.self) { try trainer.fit([1, 2], featureCount: 2) }
    }

    @Test("shrinking changes the path, not the solution")
    func shrinkingIsTransparent() throws {
        for name in ["rbf_nu0.1_n5000_d1", "rbf_nu0.5_n1000_d5_standard", "poly3_nu0.1_n400_d4_minmax"] {
            let fixture = try TrainerFixture.load(name)
            var plain = fixture.trainer
            plain.shrinking = false
            let (withShrinking, _) = try fixture.trainer.fit(fixture.train, featureCount: fixture.features)
            let (without, _) = try plain.fit(fixture.train, featureCount: fixture.features)
            // Both stop within tol of the optimum, so they may differ as much as either may from scikit-learn.
            let allowed = max(2, Int((Double(without.supportVectorCount) * 0.01).rounded(.up)))
            #expect(abs(withShrinking.supportVectorCount - without.supportVectorCount) <= allowed, "\(name)")
            #expect(abs(withShrinking.intercept - without.intercept) <= 1e-3 * abs(without.intercept), "\(name)")
        }
    }

    @Test("a tiny cache still converges to the same model")
    func boundedCache() throws {
        let fixture = try TrainerFixture.load("rbf_nu0.1_n500_d2")
        var small = fixture.trainer
        small.cacheBytes = 1
        let (model, _) = try small.fit(fixture.train, featureCount: fixture.features)
        let (reference, _) = try fixture.trainer.fit(fixture.train, featureCount: fixture.features)
        #expect(model == reference)
    }
}
