import ArgumentParser
import Foundation
import Kernels

/// How fast `ModelHealth.check` judges a fleet of models on probes (the goal: 10,000
/// models in under 5 s), with models shaped like the e2e fleet's.
struct HealthBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health", abstract: "Model health check time for a fleet of models (probes), single thread.")

    @Option(help: "Models in the fleet.") var models = 10_000
    @Option(help: "Features per reading.") var features = 5
    @Option(help: "Support vectors per model (a range).") var supportVectors = "300-480"
    @Option(help: "Repetitions (the median is reported).") var runs = 3

    func run() async throws {
        let bounds = supportVectors.split(separator: "-").compactMap { Int($0) }
        guard bounds.count == 2 else { throw ValidationError("--support-vectors: give a range such as 300-480") }
        var generator = SystemRandomNumberGenerator()
        var trainer = OneClassSVMTrainer()
        trainer.nu = 0.1
        trainer.scaling = .standard
        // A few fitted models, repeated: fitting 10,000 would measure the trainer.
        var distinct: [OneClassSVM] = []
        for _ in 0..<20 {
            let count = Int.random(in: bounds[0]...bounds[1], using: &generator) * 10
            let data = (0..<(count * features)).map { _ in Double.random(in: -1...1, using: &generator) + 20 }
            distinct.append(try trainer.fit(data, featureCount: features).model)
        }
        let fleet = (0..<models).map { distinct[$0 % distinct.count] }
        var verdicts: [ModelHealth.Verdict: Int] = [:]
        let measured = await Measurement.run(runs) {
            verdicts = [:]
            for model in fleet { verdicts[ModelHealth.check(model).verdict, default: 0] += 1 }
        }
        let supportVectorCounts = distinct.map(\.supportVectorCount)
        print("\(models) models, \(features) features, \(supportVectorCounts.min()!)–\(supportVectorCounts.max()!) support vectors; probes; one thread")
        print(String(format: "check: %.2f s (%.2f–%.2f), %.0f models/s; verdicts: %d ok, %d warn, %d fail; goal: under 5 s",
                     measured.median, measured.min, measured.max, Double(models) / measured.median,
                     verdicts[.ok] ?? 0, verdicts[.warn] ?? 0, verdicts[.fail] ?? 0))
        var results = ResultsFile(suite: "health")
        results.add(["models": models, "features": features, "seconds": measured.seconds])
        try results.save()
    }
}
