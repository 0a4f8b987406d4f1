import Foundation

/// Rows of the training kernel matrix `Q[i][k] = K(x_i, x_k)`, computed on demand and
/// kept as float32 (libsvm's `Qfloat`) in a least-recently-used cache of at most
/// `cacheBytes` (never fewer than two rows, which one SMO step needs at once).
/// Used by one solver on one thread.
final class KernelMatrix {
    let count: Int
    let featureCount: Int
    let kernel: OneClassSVM.Kernel
    let gamma: Double
    let coef0: Double
    let degree: Int
    /// Training rows, as given (libsvm does not centre them: centring changes the last bits).
    private let data: [Double]
    private let norms: [Double]
    /// The data in panels of eight rows, feature-major, as the scorer lays out support vectors.
    private let panels: [SIMD8<Double>]
    private let panelNorms: [SIMD8<Double>]

    private let capacity: Int
    /// `capacity` rows, allocated once (untouched pages cost no memory) so row
    /// pointers stay valid while their rows are cached.
    private let slab: UnsafeMutablePointer<Float>
    private var slotOfRow: [Int]
    private var rowOfSlot: [Int]
    private var lastUse: [UInt64]
    private var clock: UInt64 = 0
    private(set) var computedRows = 0

    init(data: [Double], featureCount: Int, kernel: OneClassSVM.Kernel, gamma: Double, coef0: Double, degree: Int, cacheBytes: Int) {
        let count = data.count / featureCount
        self.count = count
        self.featureCount = featureCount
        self.kernel = kernel
        self.gamma = gamma
        self.coef0 = coef0
        self.degree = degree
        let centered = data
        self.data = data
        // libsvm's x_square: dot(x, x), accumulated as BLAS ddot does for short rows (fused).
        norms = (0..<count).map { row in
            var sum = 0.0
            for j in 0..<featureCount { sum = sum.addingProduct(data[row * featureCount + j], data[row * featureCount + j]) }
            return sum
        }
        let panelCount = (count + 7) / 8
        var panels = [SIMD8<Double>](repeating: .zero, count: panelCount * featureCount)
        var panelNorms = [SIMD8<Double>](repeating: .zero, count: panelCount)
        for row in 0..<count {
            let (panel, lane) = row.quotientAndRemainder(dividingBy: 8)
            for j in 0..<featureCount { panels[panel * featureCount + j][lane] = centered[row * featureCount + j] }
            panelNorms[panel][lane] = norms[row]
        }
        self.panels = panels
        self.panelNorms = panelNorms
        capacity = Swift.min(count, Swift.max(2, cacheBytes / Swift.max(1, count * MemoryLayout<Float>.size)))
        slab = .allocate(capacity: capacity * count)
        slotOfRow = [Int](repeating: -1, count: count)
        rowOfSlot = []
        lastUse = []
    }

    deinit { slab.deallocate() }

    /// True when `value` lies so close to the midpoint between two float32 neighbours
    /// that an error of a few double ulps could round it to the other one.
    @inline(__always)
    static func nearFloatBoundary(_ value: Double) -> Bool {
        let relative = 8 * Double.ulpOfOne
        return Float(value * (1 - relative)) != Float(value * (1 + relative))
    }

    /// `K(x_i, x_i)`, in double precision (libsvm's `QD`).
    func diagonalValue(_ i: Int) -> Double {
        switch kernel {
        case .rbf: return 1
        case .linear: return rawDot(i, i)
        case .poly: return Self.powi(gamma * rawDot(i, i) + coef0, degree)
        case .sigmoid: return tanh(gamma * rawDot(i, i) + coef0)
        }
    }

    private func rawDot(_ a: Int, _ b: Int) -> Double {
        var sum = 0.0
        for j in 0..<featureCount { sum = sum.addingProduct(data[a * featureCount + j], data[b * featureCount + j]) }
        return sum
    }

    /// libsvm's `powi`: square and multiply.
    static func powi(_ base: Double, _ times: Int) -> Double {
        var power = base, result = 1.0, t = times
        while t > 0 {
            if t % 2 == 1 { result *= power }
            power *= power
            t /= 2
        }
        return result
    }

    /// Row `i` of Q; valid until the next call evicts it (the previous row never is).
    func row(_ i: Int) -> UnsafeBufferPointer<Float> {
        clock += 1
        var slot = slotOfRow[i]
        if slot < 0 {
            if rowOfSlot.count < capacity {
                slot = rowOfSlot.count
                rowOfSlot.append(i)
                lastUse.append(clock)
            } else {
                slot = lastUse.indices.min { lastUse[$0] < lastUse[$1] }!
                slotOfRow[rowOfSlot[slot]] = -1
                rowOfSlot[slot] = i
            }
            slotOfRow[i] = slot
            fill(row: i, slot: slot)
        }
        lastUse[slot] = clock
        return UnsafeBufferPointer(start: slab + slot * count, count: count)
    }

    private func fill(row i: Int, slot: Int) {
        computedRows += 1
        let d = featureCount
        let x = Array(data[(i * d)..<((i + 1) * d)])
        let norm = norms[i]
        let negativeGamma = -gamma
        let out = slab + slot * count
        do {
            panels.withUnsafeBufferPointer { panels in
                for panel in 0..<panelNorms.count {
                    var dot = SIMD8<Double>.zero
                    for j in 0..<d { dot = dot.addingProduct(x[j], panels[panel * d + j]) }
                    let values: SIMD8<Double>
                    switch kernel {
                    case .rbf:
                        // As libsvm: exp(−γ·(‖xi‖² + ‖xj‖² − 2·xi·xj)), not clamped at 0. The
                        // vector exp is within an ulp of glibc's; where that could round to
                        // another float32, glibc's exp decides (the cache holds float32).
                        let exponent = negativeGamma * (norm + panelNorms[panel] - 2 * dot)
                        var result = vectorExpOfNonPositive(exponent.replacing(with: 0, where: exponent .> 0))
                        for lane in 0..<8 where exponent[lane] > 0 || Self.nearFloatBoundary(result[lane]) {
                            result[lane] = Foundation.exp(exponent[lane])
                        }
                        values = result
                    case .linear:
                        values = dot
                    case .poly:
                        var result = SIMD8<Double>(repeating: 1)
                        var power = gamma * dot + coef0
                        var t = degree
                        while t > 0 {
                            if t % 2 == 1 { result *= power }
                            power *= power
                            t /= 2
                        }
                        values = result
                    case .sigmoid:
                        var result = gamma * dot + coef0
                        for lane in 0..<8 { result[lane] = tanh(result[lane]) }
                        values = result
                    }
                    let base = panel * 8
                    for lane in 0..<Swift.min(8, count - base) { out[base + lane] = Float(values[lane]) }
                }
            }
        }
    }
}
