/// Fits a one-class SVM the way libsvm (and so scikit-learn's `OneClassSVM`) does:
/// the dual `min ½αᵀQα` subject to `0 ≤ α ≤ 1`, `Σα = ν·l`, starting from libsvm's
/// initial α (the first ⌊ν·l⌋ at 1, the next one fractional), solved by SMO with
/// second-order working-set selection (Fan, Chen & Lin 2005), libsvm's shrinking,
/// its stopping rule (`max violation < tol`) and its computation of ρ. Kernel rows are
/// kept, as float32 like libsvm's `Qfloat`, in an LRU cache bounded by `cacheBytes`.
public struct OneClassSVMTrainer: Sendable {
    /// How gamma is chosen, as scikit-learn's `gamma` parameter.
    public enum Gamma: Sendable, Equatable {
        case value(Double)
        /// `1 / (n_features · X.var())`, on the scaled data (1 if the variance is 0).
        case scale
        /// `1 / n_features`.
        case auto
    }

    /// A scaler fitted on the training data before the SVM, as in a Pipeline.
    public enum Scaling: String, Sendable, CaseIterable {
        case none, standard, minmax
    }

    public var kernel: OneClassSVM.Kernel = .rbf
    public var nu: Double = 0.5
    public var gamma: Gamma = .scale
    public var coef0: Double = 0
    public var degree: Int = 3
    public var tolerance: Double = 1e-3
    public var scaling: Scaling = .none
    /// Upper bound for cached kernel rows (scikit-learn's default cache_size is 200 MB).
    public var cacheBytes: Int = 200 * 1024 * 1024
    /// libsvm's shrinking heuristic (scikit-learn's `shrinking=True`).
    public var shrinking = true

    public init() {}

    /// What a fit produced besides the model.
    public struct Report: Sendable {
        public let iterations: Int
        public let supportVectorCount: Int
        public let resolvedGamma: Double
        /// The training rows that became support vectors, ascending (scikit-learn's `support_`).
        public let supportIndices: [Int]
    }

    /// Fits on `samples` (row-major, `featureCount` values per row).
    public func fit(_ samples: [Double], featureCount: Int) throws(ModelError) -> (model: OneClassSVM, report: Report) {
        guard featureCount >= 1 else { throw .invalid("n_features must be at least 1") }
        guard !samples.isEmpty, samples.count % featureCount == 0 else {
            throw .invalid("training data must hold whole rows of \(featureCount) features (got \(samples.count) values)")
        }
        guard nu > 0, nu <= 1 else { throw .invalid("nu must be in (0, 1], got \(nu)") }
        guard tolerance > 0, tolerance.isFinite else { throw .invalid("tol must be positive, got \(tolerance)") }
        if let index = samples.firstIndex(where: { !$0.isFinite }) {
            throw .invalid("training row \(index / featureCount) feature \(index % featureCount) is not finite")
        }
        let count = samples.count / featureCount
        let scaler = fitScaler(samples, featureCount: featureCount)
        var data = samples
        if let scaler {
            data.withUnsafeMutableBufferPointer { buffer in
                for row in 0..<count {
                    scaler.apply(to: UnsafeMutableBufferPointer(rebasing: buffer[(row * featureCount)..<((row + 1) * featureCount)]))
                }
            }
        }
        let resolvedGamma = try resolveGamma(data, featureCount: featureCount)

        let matrix = KernelMatrix(
            data: data, featureCount: featureCount, kernel: kernel, gamma: resolvedGamma, coef0: coef0, degree: degree,
            cacheBytes: cacheBytes)
        var solver = OneClassSolver(matrix: matrix, nu: nu, tolerance: tolerance, shrinking: shrinking)
        let (alpha, rho, iterations) = solver.solve()

        var vectors: [Double] = []
        var duals: [Double] = []
        var support: [Int] = []
        for index in 0..<count where alpha[index] > 0 {
            support.append(index)
            duals.append(alpha[index])
            vectors.append(contentsOf: data[(index * featureCount)..<((index + 1) * featureCount)])
        }
        let intercept = rho == 0 ? 0 : -rho
        let model = try OneClassSVM(
            kernel: kernel, gamma: kernel == .linear ? max(resolvedGamma, 1e-300) : resolvedGamma, coef0: coef0,
            degree: degree, featureCount: featureCount, supportVectors: vectors, dualCoefficients: duals,
            intercept: intercept, offset: -intercept, scaler: scaler)
        return (
            model, Report(iterations: iterations, supportVectorCount: duals.count, resolvedGamma: resolvedGamma, supportIndices: support)
        )
    }

    func fitScaler(_ samples: [Double], featureCount: Int) -> InputScaler? {
        let count = samples.count / featureCount
        switch scaling {
        case .none:
            return nil
        case .standard:
            // scikit-learn's `_incremental_mean_and_var` on a first fit, with NumPy's sums:
            // mean = S/n; var = (Σt² − (Σt)²/n)/n for t = x − S/n; a feature whose variance
            // is within rounding of zero (`_is_constant_feature`) gets scale 1.
            let n = Double(count)
            let sums = NumPySum.columns(samples, featureCount: featureCount)
            let mean = sums.map { (0.0 + $0) / n }
            var deviations = samples, squares = samples
            for index in samples.indices {
                let t = samples[index] - sums[index % featureCount] / n
                deviations[index] = t
                squares[index] = t * t
            }
            let corrections = NumPySum.columns(deviations, featureCount: featureCount)
            let squareSums = NumPySum.columns(squares, featureCount: featureCount)
            let epsilon = Double.ulpOfOne
            let scale = (0..<featureCount).map { j -> Double in
                let variance = (squareSums[j] - corrections[j] * corrections[j] / n) / n
                let bound = (n * epsilon) * variance + ((n * mean[j]) * epsilon) * ((n * mean[j]) * epsilon)
                return variance <= bound ? 1 : variance.squareRoot()
            }
            return .standard(mean: mean, scale: scale)
        case .minmax:
            var low = [Double](repeating: .infinity, count: featureCount)
            var high = [Double](repeating: -.infinity, count: featureCount)
            for row in 0..<count {
                for j in 0..<featureCount {
                    low[j] = Swift.min(low[j], samples[row * featureCount + j])
                    high[j] = Swift.max(high[j], samples[row * featureCount + j])
                }
            }
            let scale = (0..<featureCount).map { j -> Double in
                let range = high[j] - low[j]
                return 1 / (range < 10 * Double.ulpOfOne ? 1 : range)
            }
            return .minMax(scale: scale, min: (0..<featureCount).map { -low[$0] * scale[$0] })
        }
    }

    func resolveGamma(_ data: [Double], featureCount: Int) throws(ModelError) -> Double {
        switch gamma {
        case .value(let value):
            guard value > 0, value.isFinite else { throw .invalid("gamma must be positive, got \(value)") }
            return value
        case .auto:
            return 1 / Double(featureCount)
        case .scale:
            // `X.var()` as NumPy computes it: pairwise sums over all values, row by row.
            let mean = NumPySum.pairwise(data) / Double(data.count)
            let variance = NumPySum.pairwise(data.map { ($0 - mean) * ($0 - mean) }) / Double(data.count)
            return variance == 0 ? 1 : 1 / (Double(featureCount) * variance)
        }
    }
}
