import ArgumentParser
import Foundation
import Kernels

/// Single-threaded rbf scoring throughput of the Swift kernels next to scikit-learn's
/// `decision_function` on the identical model and samples, plus effective GFLOP/s
/// against this machine's measured FMA peak.
struct KernelsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels", abstract: "Scoring throughput of the Swift kernels vs scikit-learn.")

    @Option(help: "Samples scored per run.") var samples = 20_000
    @Option(help: "Repetitions (the median is reported).") var runs = 5
    @Option(help: "Feature counts to measure.") var dimensions = "5,16,64"
    @Option(name: .customLong("support-vectors"), help: "Approximate support-vector counts.") var supportVectors = "100,500,2000"
    @Option(help: "Python with scikit-learn for the baseline (skipped if it cannot import sklearn).") var python = "python3"

    func run() async throws {
        let peak = measurePeakGFLOPS()
        let sklearnAvailable = (try? runProcess("/usr/bin/env", [python, "-c", "import sklearn"])) != nil
        print(String(format: "single-thread FMA peak measured: %.1f GFLOP/s", peak))
        print("rbf, \(samples) samples, median of \(runs); effective GFLOP/s counts the 2·d+4 flops per sample × support vector (exp excluded)")
        print("d    n_SV   Swift samples/s   GFLOP/s  %peak   sklearn samples/s   ratio   max |Δ decision|")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-kernels-bench-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        guard sklearnAvailable else {
            throw ValidationError("\(python) cannot import sklearn: pip install scikit-learn (the baseline runs in the same run)")
        }
        var results = ResultsFile(suite: "kernels")
        for d in dimensions.split(separator: ",").compactMap({ Int($0) }) {
            for target in supportVectors.split(separator: ",").compactMap({ Int($0) }) {
                let baseline = try sklearnRun(d: d, target: target, work: work)
                let document = try OneClassSVM.fromJSON(Array(try Data(contentsOf: work.appendingPathComponent("model.json"))))
                let scorer = OneClassSVMScorer(document.model)
                let raw = try Data(contentsOf: work.appendingPathComponent("samples.f64"))
                let values = raw.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
                var output = [Double](repeating: 0, count: samples)
                let measurement = await Measurement.run(runs) {
                    values.withUnsafeBufferPointer { input in
                        output.withUnsafeMutableBufferPointer { scorer.decisionFunction(input, into: $0) }
                    }
                }
                let maxDifference = zip(output, baseline.decisionHead).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? .nan
                let rate = Double(samples) / measurement.median
                let sklearnRate = Double(samples) / baseline.median
                let gflops = rate * Double(document.model.supportVectorCount) * Double(2 * d + 4) / 1e9
                print(
                    String(d).padding(toLength: 5, withPad: " ", startingAt: 0)
                        + String(document.model.supportVectorCount).padding(toLength: 7, withPad: " ", startingAt: 0)
                        + formatRate(rate).padding(toLength: 18, withPad: " ", startingAt: 0)
                        + String(format: "%-9.1f%-8.0f", gflops, 100 * gflops / peak)
                        + formatRate(sklearnRate).padding(toLength: 20, withPad: " ", startingAt: 0)
                        + String(format: "%-8.1f%.1e", rate / sklearnRate, maxDifference))
                results.add([
                    "d": d, "n_sv": document.model.supportVectorCount, "samples": samples,
                    "swift_seconds": measurement.seconds, "sklearn_seconds": baseline.seconds,
                    "swift_samples_per_second": rate, "sklearn_samples_per_second": sklearnRate, "ratio": rate / sklearnRate,
                    "gflops": gflops, "peak_gflops": peak, "max_relative_difference": maxDifference,
                ])
            }
        }
        try results.save()
    }

    struct Baseline {
        var seconds: [Double]
        var median: Double
        var decisionHead: [Double]
    }

    func sklearnRun(d: Int, target: Int, work: URL) throws -> Baseline {
        let parsed = try runPythonBaseline(python, script: "sklearn_kernels.py", ["\(d)", "\(target)", "\(samples)", work.path, "\(runs)"])
        var measurement = Measurement()
        measurement.seconds = numbers(parsed["seconds"])
        return Baseline(seconds: measurement.seconds, median: measurement.median, decisionHead: numbers(parsed["decision_head"]))
    }

    /// Single-thread peak: independent SIMD8 fused multiply-adds, 2 flops per lane each.
    func measurePeakGFLOPS() -> Double {
        var best = 0.0
        for _ in 0..<5 {
            var accumulators = [SIMD8<Double>](repeating: SIMD8(repeating: 1), count: 12)
            let factor = SIMD8<Double>(repeating: 0.999_999_9)
            let addend = SIMD8<Double>(repeating: 1e-7)
            let iterations = 4_000_000
            let started = ContinuousClock.now
            accumulators.withUnsafeMutableBufferPointer { acc in
                for _ in 0..<iterations {
                    for index in 0..<12 { acc[index] = acc[index].addingProduct(acc[index], factor) + addend }
                }
            }
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let checksum = accumulators.reduce(0) { $0 + $1.sum() }
            if checksum.isNaN { print("") }
            best = max(best, Double(iterations * 12 * 8 * 2) / seconds / 1e9)
        }
        return best
    }
}
