/// Whether a model can be trusted, judged on evidence: its training readings when they
/// are known, else probes derived from the model itself (its support vectors, points
/// between them, and points around and far from the centre of its data). A `fail` model
/// would mislead (it flags everything, or its decision function is constant or cannot be
/// positive); a `warn` model is suspect (it flags nothing, its gamma makes every point an
/// island or all points alike, its training anomaly rate is far from ν).
public struct ModelHealth: Sendable, Equatable {
    public enum Verdict: String, Sendable, Comparable, CaseIterable {
        case ok, warn, fail

        public static func < (a: Verdict, b: Verdict) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
    }

    public private(set) var verdict = Verdict.ok
    public private(set) var reasons: [String] = []
    /// The share of the evidence the model flags.
    public private(set) var flaggedFraction = 0.0
    /// How many readings or probes the verdict rests on, and which they were.
    public private(set) var evidenceCount = 0
    public private(set) var evidenceIsTrainingData = false

    private mutating func add(_ verdict: Verdict, _ reason: String) {
        self.verdict = max(self.verdict, verdict)
        reasons.append(reason)
    }

    /// Checks `model`. `trainingData` (row-major raw readings) and `nu` are the data and
    /// ν it was trained with, when known.
    public static func check(_ model: OneClassSVM, trainingData: [Double]? = nil, nu: Double? = nil) -> ModelHealth {
        var health = ModelHealth()
        let d = model.featureCount
        let count = model.supportVectorCount

        // An upper bound of the decision value: rbf kernel values lie in (0, 1], sigmoid in (-1, 1).
        let positiveDuals = model.dualCoefficients.filter { $0 > 0 }.reduce(0, +)
        let absoluteDuals = model.dualCoefficients.reduce(0) { $0 + abs($1) }
        let bound: Double? =
            switch model.kernel {
            case .rbf: positiveDuals + model.intercept
            case .sigmoid: absoluteDuals + model.intercept
            case .linear, .poly: nil
            }
        if let bound, bound <= 1e-12 * max(1, abs(model.intercept)) {
            health.add(.fail, "its decision value cannot be positive (dual coefficients sum to at most \(positiveDuals), intercept \(model.intercept)): it flags every reading")
        }
        if case .minMax(let scale, _)? = model.scaler, scale.contains(0) {
            health.add(.fail, "its min-max scaler has a zero scale: every reading looks the same to it")
        }

        // Gamma against the spread of the support vectors (scaled space).
        if model.kernel == .rbf, count >= 2 {
            let step = max(1, count / 64)
            var distances: [Double] = []
            for i in stride(from: 0, to: count, by: step) {
                for k in stride(from: i + step, to: count, by: step) {
                    var sum = 0.0
                    for j in 0..<d {
                        let delta = model.supportVectors[i * d + j] - model.supportVectors[k * d + j]
                        sum += delta * delta
                    }
                    distances.append(sum)
                }
            }
            distances.sort()
            let median = distances.isEmpty ? 0 : distances[distances.count / 2]
            if median > 0 {
                let exponent = model.gamma * median
                if exponent > 30 {
                    health.add(.warn, "gamma \(model.gamma) is so large that every point is its own island (kernel between typical support vectors ≈ e^-\(Int(exponent)))")
                } else if exponent < 1e-6 {
                    health.add(.warn, "gamma \(model.gamma) is so small that all points look alike (kernel between typical support vectors ≈ 1 - \(exponent))")
                }
            }
        }

        let scorer = OneClassSVMScorer(model)
        if let trainingData, trainingData.count >= d, trainingData.count % d == 0 {
            guard let scores = try? scorer.decisionFunction(trainingData) else { return health }
            health.evidenceIsTrainingData = true
            health.evidenceCount = scores.count
            let flagged = scores.filter { $0 <= 0 }.count
            health.flaggedFraction = Double(flagged) / Double(scores.count)
            if health.flaggedFraction >= 0.99 {
                health.add(.fail, "it flags \(percent(health.flaggedFraction)) of its training readings")
            } else if let nu {
                let margin = max(0.05, 4 * (nu * (1 - nu) / Double(scores.count)).squareRoot())
                if flagged == 0 && nu >= 0.01 {
                    health.add(.warn, "it flags none of its \(scores.count) training readings (ν \(nu))")
                } else if abs(health.flaggedFraction - nu) > margin {
                    health.add(.warn, "it flags \(percent(health.flaggedFraction)) of its training readings, far from ν = \(percent(nu))")
                }
            }
            return health
        }

        // Probes: the support vectors, points between them, the centre of the data and
        // points around it (inside) and far away (outside).
        let (inside, far) = probes(model)
        guard let insideScores = try? scorer.decisionFunction(inside), let farScores = try? scorer.decisionFunction(far) else { return health }
        health.evidenceCount = insideScores.count + farScores.count
        let flagged = insideScores.filter { $0 <= 0 }.count
        health.flaggedFraction = Double(flagged) / Double(insideScores.count)
        let all = insideScores + farScores
        let spread = (all.max() ?? 0) - (all.min() ?? 0)
        if spread <= 1e-12 * max(1, abs(model.intercept)) {
            health.add(.fail, "its decision function is constant (\(all.first ?? 0)) on its probes: it cannot tell readings apart")
        } else if flagged == insideScores.count {
            if bound.map({ $0 > 1e-12 * max(1, abs(model.intercept)) }) ?? true {
                health.add(.fail, "it flags every probe, its support vectors and the points between them included")
            }
        } else if farScores.allSatisfy({ $0 > 0 }) {
            health.add(.warn, "it flags nothing, not even readings far outside its data (intercept \(model.intercept))")
        }
        return health
    }

    /// Probe points in raw reading space: inside (support vectors, midpoints, the centre)
    /// and far outside (the centre ± 20 spreads along each feature).
    static func probes(_ model: OneClassSVM) -> (inside: [Double], far: [Double]) {
        let d = model.featureCount
        let count = model.supportVectorCount
        let step = max(1, count / 64)
        var scaled: [[Double]] = []
        var previous: [Double]?
        for i in stride(from: 0, to: count, by: step) {
            let vector = Array(model.supportVectors[(i * d)..<((i + 1) * d)])
            scaled.append(vector)
            if let previous { scaled.append(zip(previous, vector).map { ($0 + $1) / 2 }) }
            previous = vector
        }
        var center = [Double](repeating: 0, count: d)
        var spread = [Double](repeating: 0, count: d)
        for i in 0..<count { for j in 0..<d { center[j] += model.supportVectors[i * d + j] / Double(count) } }
        for i in 0..<count { for j in 0..<d { spread[j] = max(spread[j], abs(model.supportVectors[i * d + j] - center[j])) } }
        scaled.append(center)
        var far: [[Double]] = []
        for j in 0..<d {
            let reach = max(spread[j], 1) * 20
            for sign in [-1.0, 1.0] {
                var point = center
                point[j] += sign * reach
                far.append(point)
            }
        }
        return (scaled.flatMap { unscale($0, model.scaler) }, far.flatMap { unscale($0, model.scaler) })
    }

    /// The raw reading a scaled point comes from (the scaler's inverse).
    static func unscale(_ point: [Double], _ scaler: InputScaler?) -> [Double] {
        switch scaler {
        case .standard(let mean, let scale)?: zip(point, zip(mean, scale)).map { $0 * $1.1 + $1.0 }
        case .minMax(let scale, let min)?: zip(point, zip(scale, min)).map { $1.0 == 0 ? 0 : ($0 - $1.1) / $1.0 }
        case nil: point
        }
    }

    private static func percent(_ value: Double) -> String {
        let scaled = value * 100
        return scaled < 1 && scaled > 0 ? "\(Double(Int(scaled * 100)) / 100)%" : "\(Int(scaled.rounded()))%"
    }
}
