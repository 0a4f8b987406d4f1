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
        // libsvm's `solve_one_class`: ν·l summed one weight at a time (not multiplied),
        // then handed out in order — 1 each while it lasts, the remainder to the next.
        // The remainder's last bits decide which tied points end at the bounds.
        var total = 0.0
        for _ in 0..<count { total += 1.0 * nu }
        var alpha = [Double](repeating: 0, count: count)
        var index = 0
        while total > 0 && index < count {
            alpha[index] = Swift.min(1.0, total)
            total -= alpha[index]
            index += 1
        }
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
