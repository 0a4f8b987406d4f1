import Foundation
import Kernels
import Testing

/// A scikit-learn reference case made by tools/make_fixtures.py.
struct SklearnFixture {
    let name: String
    let document: OneClassSVM.JSONDocument
    let samples: [[Double]]
    let decisionFunction: [Double]
    let scoreSamples: [Double]
    let predict: [Int]

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func load(_ name: String) throws -> SklearnFixture {
        let data = try Data(contentsOf: folder.appendingPathComponent("\(name).json"))
        // Parsed with our own JSON reader: Foundation's misrounds some 17-digit numbers.
        let root = try JSONValue.parse(Array(data))
        func numbers(_ value: JSONValue?) throws -> [Double] {
            guard case .array(let elements)? = value else { throw TestFailure("not an array") }
            return try elements.map {
                guard case .number(let number, _) = $0 else { throw TestFailure("not a number") }
                return number
            }
        }
        guard case .array(let rows)? = root["samples"] else { throw TestFailure("no samples") }
        return SklearnFixture(
            name: name, document: try OneClassSVM.fromJSON(Array(try #require(root["model"]).serialized.utf8)),
            samples: try rows.map(numbers),
            decisionFunction: try numbers(root["decision_function"]),
            scoreSamples: try numbers(root["score_samples"]),
            predict: try numbers(root["predict"]).map { Int($0) })
    }
}

@Suite("Scoring matches scikit-learn")
struct SklearnFixtureTests {
    @Test("the fixture set covers every kernel, both scalers and 1 to 2,000+ support vectors")
    func coverage() throws {
        let fixtures = try SklearnFixture.names.map(SklearnFixture.load)
        #expect(fixtures.count >= 15)
        let models = fixtures.map(\.document.model)
        #expect(Set(models.map(\.kernel)) == Set(OneClassSVM.Kernel.allCases))
        #expect(models.contains { if case .standard = $0.scaler { true } else { false } })
        #expect(models.contains { if case .minMax = $0.scaler { true } else { false } })
        #expect(models.contains { $0.scaler == nil })
        #expect(models.map(\.supportVectorCount).min() == 1)
        #expect(models.map(\.supportVectorCount).max()! >= 2000)
        #expect(models.map(\.featureCount).min() == 1 && models.map(\.featureCount).max() == 64)
    }

    @Test("decision values within 1e-9·max(1,|v|) and the same predictions", arguments: SklearnFixture.names)
    func matches(name: String) throws {
        let fixture = try SklearnFixture.load(name)
        let scorer = OneClassSVMScorer(fixture.document.model)
        let decisions = try scorer.decisionFunction(fixture.samples.flatMap { $0 })
        let scores = try scorer.scoreSamples(fixture.samples.flatMap { $0 })
        var worst = 0.0
        for (index, expected) in fixture.decisionFunction.enumerated() {
            let error = abs(decisions[index] - expected) / max(1, abs(expected))
            worst = max(worst, error)
            #expect(error <= 1e-9, "sample \(index): \(decisions[index]) vs scikit-learn \(expected)")
            #expect(abs(scores[index] - fixture.scoreSamples[index]) <= 1e-9 * max(1, abs(fixture.scoreSamples[index])))
            if abs(expected) >= 1e-9 {
                #expect(OneClassSVMScorer.predict(decision: decisions[index]) == fixture.predict[index], "sample \(index)")
            }
        }
        // Each sample alone gives the same value as in the batch.
        for (index, sample) in fixture.samples.enumerated().prefix(7) {
            #expect(try scorer.decisionFunction(sample: sample) == decisions[index])
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
