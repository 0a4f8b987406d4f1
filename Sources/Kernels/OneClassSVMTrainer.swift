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
        for index in 0..<count where alpha[index] > 0 {
            duals.append(alpha[index])
            vectors.append(contentsOf: data[(index * featureCount)..<((index + 1) * featureCount)])
        }
        let intercept = rho == 0 ? 0 : -rho
        let model = try OneClassSVM(
            kernel: kernel, gamma: kernel == .linear ? max(resolvedGamma, 1e-300) : resolvedGamma, coef0: coef0,
            degree: degree, featureCount: featureCount, supportVectors: vectors, dualCoefficients: duals,
            intercept: intercept, offset: -intercept, scaler: scaler)
        return (model, Report(iterations: iterations, supportVectorCount: duals.count, resolvedGamma: resolvedGamma))
    }

    func fitScaler(_ samples: [Double], featureCount: Int) -> InputScaler? {
        let count = samples.count / featureCount
        switch scaling {
        case .none:
            return nil
        case .standard:
            var mean = [Double](repeating: 0, count: featureCount)
            for row in 0..<count { for j in 0..<featureCount { mean[j] += samples[row * featureCount + j] } }
            for j in 0..<featureCount { mean[j] /= Double(count) }
            var variance = [Double](repeating: 0, count: featureCount)
            for row in 0..<count {
                for j in 0..<featureCount {
                    let difference = samples[row * featureCount + j] - mean[j]
                    variance[j] += difference * difference
                }
            }
            // Like scikit-learn: a constant feature gets scale 1.
            let scale = variance.map { value -> Double in
                let deviation = (value / Double(count)).squareRoot()
                return deviation < 10 * Double.ulpOfOne ? 1 : deviation
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
            let mean = data.reduce(0, +) / Double(data.count)
            let variance = data.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(data.count)
            return variance == 0 ? 1 : 1 / (Double(featureCount) * variance)
        }
    }
}

/// libsvm's `Solver` specialised to the one-class problem (all y = +1, C = 1, p = 0),
/// with its shrinking heuristic. Variables live at *positions*: the first
/// `activeSize` are active; `order[position]` is the training row, so cached kernel
/// rows keep the original order and shrinking only permutes these arrays.
struct OneClassSolver {
    var matrix: KernelMatrix
    let tolerance: Double
    let shrinking: Bool
    var order: [Int]
    var alpha: [Double]
    var gradient: [Double]
    /// Σ over variables at the upper bound of C·Q_ij, to rebuild shrunk gradients.
    var gradientBar: [Double]
    var diagonal: [Double]
    var activeSize: Int
    var unshrunk = false
    static let tau = 1e-12

    init(matrix: KernelMatrix, nu: Double, tolerance: Double, shrinking: Bool = true) {
        self.matrix = matrix
        self.tolerance = tolerance
        self.shrinking = shrinking
        let count = matrix.count
        let whole = Int(nu * Double(count))
        var alpha = [Double](repeating: 0, count: count)
        for index in 0..<Swift.min(whole, count) { alpha[index] = 1 }
        if whole < count { alpha[whole] = nu * Double(count) - Double(whole) }
        self.alpha = alpha
        order = Array(0..<count)
        diagonal = (0..<count).map { matrix.diagonalValue($0) }
        gradient = [Double](repeating: 0, count: count)
        gradientBar = [Double](repeating: 0, count: count)
        activeSize = count
    }

    func isUpper(_ position: Int) -> Bool { alpha[position] >= 1 }
    func isLower(_ position: Int) -> Bool { alpha[position] <= 0 }

    /// Kernel value between the variables at two positions, from a row of the first.
    @inline(__always)
    func q(_ row: UnsafeBufferPointer<Float>, _ position: Int) -> Double { Double(row[order[position]]) }

    mutating func solve() -> (alpha: [Double], rho: Double, iterations: Int) {
        let count = matrix.count
        for i in 0..<count where !isLower(i) {
            let row = matrix.row(order[i])
            let weight = alpha[i]
            for k in 0..<count { gradient[k] += weight * q(row, k) }
            if isUpper(i) { for k in 0..<count { gradientBar[k] += q(row, k) } }
        }
        let maximumIterations = Swift.max(10_000_000, count > Int(Int32.max) / 100 ? Int(Int32.max) : 100 * count)
        var iterations = 0
        var counter = Swift.min(count, 1000) + 1
        while iterations < maximumIterations {
            counter -= 1
            if counter == 0 {
                counter = Swift.min(count, 1000)
                if shrinking { shrink() }
            }
            var selected = selectWorkingSet()
            if selected == nil {
                // Optimal on the active set: check again on all variables.
                reconstructGradient()
                activeSize = count
                selected = selectWorkingSet()
                guard selected != nil else { break }
                counter = 1
            }
            iterations += 1
            update(selected!.0, selected!.1)
        }
        if activeSize < count {
            reconstructGradient()
            activeSize = count
        }
        var result = [Double](repeating: 0, count: count)
        for position in 0..<count { result[order[position]] = alpha[position] }
        return (result, calculateRho(), iterations)
    }

    /// WSS 2: i maximises −G over α < C; j minimises the second-order objective
    /// decrease over α > 0 with G_j > −G_i. Nil when the max violation is below tol.
    mutating func selectWorkingSet() -> (Int, Int)? {
        var gMax = -Double.infinity, gMax2 = -Double.infinity
        var gMaxIndex = -1
        for t in 0..<activeSize where !isUpper(t) && -gradient[t] >= gMax {
            gMax = -gradient[t]
            gMaxIndex = t
        }
        guard gMaxIndex >= 0 else { return nil }
        let i = gMaxIndex
        let rowI = matrix.row(order[i])
        var gMinIndex = -1
        var objectiveMin = Double.infinity
        for j in 0..<activeSize where !isLower(j) {
            let gradientDifference = gMax + gradient[j]
            if gradient[j] >= gMax2 { gMax2 = gradient[j] }
            if gradientDifference > 0 {
                let quadratic = diagonal[i] + diagonal[j] - 2 * q(rowI, j)
                let objective = -(gradientDifference * gradientDifference) / (quadratic > 0 ? quadratic : Self.tau)
                if objective <= objectiveMin {
                    gMinIndex = j
                    objectiveMin = objective
                }
            }
        }
        if gMax + gMax2 < tolerance || gMinIndex == -1 { return nil }
        return (i, gMinIndex)
    }

    mutating func update(_ i: Int, _ j: Int) {
        let rowI = matrix.row(order[i])
        let rowJ = matrix.row(order[j])
        let oldI = alpha[i], oldJ = alpha[j]
        let wasUpperI = isUpper(i), wasUpperJ = isUpper(j)
        var quadratic = diagonal[i] + diagonal[j] - 2 * q(rowI, j)
        if quadratic <= 0 { quadratic = Self.tau }
        let delta = (gradient[i] - gradient[j]) / quadratic
        let sum = alpha[i] + alpha[j]
        alpha[i] -= delta
        alpha[j] += delta
        if sum > 1 {
            if alpha[i] > 1 {
                alpha[i] = 1
                alpha[j] = sum - 1
            }
        } else if alpha[j] < 0 {
            alpha[j] = 0
            alpha[i] = sum
        }
        if sum > 1 {
            if alpha[j] > 1 {
                alpha[j] = 1
                alpha[i] = sum - 1
            }
        } else if alpha[i] < 0 {
            alpha[i] = 0
            alpha[j] = sum
        }
        let deltaI = alpha[i] - oldI, deltaJ = alpha[j] - oldJ
        for k in 0..<activeSize {
            gradient[k] += q(rowI, k) * deltaI + q(rowJ, k) * deltaJ
        }
        // Keep G_bar in step with variables entering or leaving the upper bound.
        if wasUpperI != isUpper(i) {
            let sign = wasUpperI ? -1.0 : 1.0
            for k in 0..<matrix.count { gradientBar[k] += sign * q(rowI, k) }
        }
        if wasUpperJ != isUpper(j) {
            let sign = wasUpperJ ? -1.0 : 1.0
            for k in 0..<matrix.count { gradientBar[k] += sign * q(rowJ, k) }
        }
    }

    /// libsvm's `be_shrunk`: a bounded variable that cannot be chosen again soon.
    func canShrink(_ position: Int, _ gMax1: Double, _ gMax2: Double) -> Bool {
        if isUpper(position) { return -gradient[position] > gMax1 }
        if isLower(position) { return gradient[position] > gMax2 }
        return false
    }

    /// libsvm's `do_shrinking`: moves shrinkable variables past `activeSize`; once the
    /// solution is close (violation ≤ 10·tol), unshrinks everything once.
    mutating func shrink() {
        var gMax1 = -Double.infinity, gMax2 = -Double.infinity
        for i in 0..<activeSize {
            if !isUpper(i) { gMax1 = Swift.max(gMax1, -gradient[i]) }
            if !isLower(i) { gMax2 = Swift.max(gMax2, gradient[i]) }
        }
        if !unshrunk && gMax1 + gMax2 <= tolerance * 10 {
            unshrunk = true
            reconstructGradient()
            activeSize = matrix.count
        }
        var i = 0
        while i < activeSize {
            if canShrink(i, gMax1, gMax2) {
                activeSize -= 1
                while activeSize > i {
                    if !canShrink(activeSize, gMax1, gMax2) {
                        swapPositions(i, activeSize)
                        break
                    }
                    activeSize -= 1
                }
            }
            i += 1
        }
    }

    mutating func swapPositions(_ a: Int, _ b: Int) {
        order.swapAt(a, b)
        alpha.swapAt(a, b)
        gradient.swapAt(a, b)
        gradientBar.swapAt(a, b)
        diagonal.swapAt(a, b)
    }

    /// Rebuilds the gradient of shrunk variables from G_bar and the free variables.
    mutating func reconstructGradient() {
        let count = matrix.count
        guard activeSize < count else { return }
        for j in activeSize..<count { gradient[j] = gradientBar[j] }
        for i in 0..<activeSize where !isUpper(i) && !isLower(i) {
            let row = matrix.row(order[i])
            let weight = alpha[i]
            for j in activeSize..<count { gradient[j] += weight * q(row, j) }
        }
    }

    /// ρ: the mean gradient over free α, else the middle of the bounds.
    func calculateRho() -> Double {
        var free = 0
        var sumFree = 0.0
        var upper = Double.infinity, lower = -Double.infinity
        for index in 0..<activeSize {
            let value = gradient[index]
            if isUpper(index) {
                lower = Swift.max(lower, value)
            } else if isLower(index) {
                upper = Swift.min(upper, value)
            } else {
                free += 1
                sumFree += value
            }
        }
        return free > 0 ? sumFree / Double(free) : (upper + lower) / 2
    }
}
