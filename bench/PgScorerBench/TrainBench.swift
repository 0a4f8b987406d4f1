import ArgumentParser
import Foundation
import Kernels

/// Fit time of the native trainer next to scikit-learn's `fit` on the same data in
/// the same run (rbf, gamma='scale', single-threaded).
struct TrainBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "One-class SVM fit time: native trainer vs scikit-learn.")

    @Option(help: "Training rows to measure.") var rows = "1000,5000,20000"
    @Option(help: "Feature counts to measure.") var dimensions = "5,16"
    @Option(help: "nu.") var nu = 0.1
    @Option(help: "Repetitions (the median is reported).") var runs = 3
    @Option(help: "Python with scikit-learn for the baseline.") var python = "python3"

    func run() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("pgscorer-train-bench-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        var results = ResultsFile(suite: "train")
        print("rbf, gamma=scale, nu=\(nu), tol=1e-3, single thread; median of \(runs) (min–max)")
        print("rows    d    native s (min–max)     sklearn s (min–max)    speed-up  n_SV native/sklearn  intercept Δ rel")
        for count in rows.split(separator: ",").compactMap({ Int($0) }) {
            for d in dimensions.split(separator: ",").compactMap({ Int($0) }) {
                let parsed = try runPythonBaseline(python, script: "sklearn_train.py", ["\(count)", "\(d)", "\(nu)", work.path, "\(runs)"])
                guard case .number(let sklearnSV, _)? = parsed["n_support"], case .number(let sklearnIntercept, _)? = parsed["intercept"] else {
                    throw ValidationError("the scikit-learn baseline printed no model for rows=\(count), d=\(d)")
                }
                var baseline = Measurement()
                baseline.seconds = numbers(parsed["seconds"])
                let raw = try Data(contentsOf: work.appendingPathComponent("train.f64"))
                let data = raw.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
                var trainer = OneClassSVMTrainer()
                trainer.nu = nu
                var model: OneClassSVM?
                let native = try await Measurement.run(runs) { model = try trainer.fit(data, featureCount: d).model }
                let fitted = model!
                print(
                    "\(count)".padding(toLength: 8, withPad: " ", startingAt: 0) + "\(d)".padding(toLength: 5, withPad: " ", startingAt: 0)
                        + String(format: "%.3f (%.3f–%.3f)", native.median, native.min, native.max).padding(toLength: 23, withPad: " ", startingAt: 0)
                        + String(format: "%.3f (%.3f–%.3f)", baseline.median, baseline.min, baseline.max).padding(toLength: 23, withPad: " ", startingAt: 0)
                        + String(format: "%.2f×", baseline.median / native.median).padding(toLength: 10, withPad: " ", startingAt: 0)
                        + "\(fitted.supportVectorCount)/\(Int(sklearnSV))".padding(toLength: 21, withPad: " ", startingAt: 0)
                        + String(format: "%.1e", abs(fitted.intercept - sklearnIntercept) / abs(sklearnIntercept)))
                results.add([
                    "rows": count, "d": d, "nu": nu, "native_seconds": native.seconds, "sklearn_seconds": baseline.seconds,
                    "speedup": baseline.median / native.median, "native_n_sv": fitted.supportVectorCount, "sklearn_n_sv": Int(sklearnSV),
                ])
            }
        }
        try results.save()
    }
}
