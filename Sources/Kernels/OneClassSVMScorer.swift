import Foundation

/// A one-class SVM prepared for fast batched scoring: support vectors laid out in
/// panels of eight (feature-major inside a panel, one SIMD lane per support vector),
/// their squared norms and dual coefficients beside them. Build it once per model and
/// reuse it; it is immutable and safe to share between threads.
///
/// Kernel values for a block of four samples against one panel come from eight-wide
/// dot products; rbf turns them into distances with `‖x‖² + ‖s‖² − 2·x·s` and a SIMD
/// `exp`. Panels are processed in tiles that fit in cache, and no memory is allocated
/// inside the loops.
public struct OneClassSVMScorer: Sendable {
    public let model: OneClassSVM

    static let lanes = 8
    static let sampleBlock = 4
    /// Support-vector panels per tile, so one tile (≈ 128 KiB) stays in cache.
    let panelsPerTile: Int
    let panelCount: Int
    /// `panelCount × featureCount` vectors: panel p, feature j at `p·d + j`.
    let panels: [SIMD8<Double>]
    /// ‖s − center‖² per support vector (rbf), panel by panel.
    let panelNorms: [SIMD8<Double>]
    /// Dual coefficients, zero in the padding lanes.
    let panelDuals: [SIMD8<Double>]
    /// rbf works on `x − center` and `s − center` (the support vectors' mean): the
    /// distance is unchanged, and the norms stay small so the expansion keeps its digits.
    let center: [Double]
    /// Row-major centred support vectors, for exact recomputation of close pairs.
    let centeredSupportVectors: [Double]

    /// When `‖x−s‖²` comes out below this fraction of `‖x‖² + ‖s‖²`, cancellation may
    /// have eaten its digits, so that pair is recomputed directly as `Σ (x_j − s_j)²`.
    static let cancellationThreshold = 1e-3

    /// The bytes this scorer holds: the model's arrays and the panels built from them.
    public var memoryBytes: Int {
        let scalerValues: Int =
            switch model.scaler {
            case .standard(let mean, let scale)?: mean.count + scale.count
            case .minMax(let scale, let min)?: scale.count + min.count
            case nil: 0
            }
        let doubles = model.supportVectors.count + model.dualCoefficients.count + scalerValues + center.count + centeredSupportVectors.count
        let vectors = panels.count + panelNorms.count + panelDuals.count
        return doubles * MemoryLayout<Double>.stride + vectors * MemoryLayout<SIMD8<Double>>.stride + 512
    }

    public init(_ model: OneClassSVM) {
        self.model = model
        let d = model.featureCount
        let count = model.supportVectorCount
        let lanes = Self.lanes
        panelCount = (count + lanes - 1) / lanes
        panelsPerTile = max(1, (128 * 1024) / (d * lanes * MemoryLayout<Double>.size))

        var center = [Double](repeating: 0, count: d)
        if model.kernel == .rbf {
            for i in 0..<count {
                for j in 0..<d { center[j] += model.supportVectors[i * d + j] }
            }
            for j in 0..<d { center[j] /= Double(count) }
        }
        var centered = model.supportVectors
        for i in 0..<count {
            for j in 0..<d { centered[i * d + j] -= center[j] }
        }

        // Padding lanes hold a zero vector with a zero dual coefficient: finite kernel
        // values times zero add nothing.
        var panels = [SIMD8<Double>](repeating: .zero, count: panelCount * d)
        var norms = [SIMD8<Double>](repeating: .zero, count: panelCount)
        var duals = [SIMD8<Double>](repeating: .zero, count: panelCount)
        for i in 0..<count {
            let (panel, lane) = i.quotientAndRemainder(dividingBy: lanes)
            var norm = 0.0
            for j in 0..<d {
                let value = centered[i * d + j]
                panels[panel * d + j][lane] = value
                norm += value * value
            }
            norms[panel][lane] = norm
            duals[panel][lane] = model.dualCoefficients[i]
        }
        self.center = center
        self.centeredSupportVectors = centered
        self.panels = panels
        self.panelNorms = norms
        self.panelDuals = duals
    }

    /// Decision values for `samples` (row-major, `featureCount` values per sample).
    public func decisionFunction(_ samples: [Double]) throws(ModelError) -> [Double] {
        let d = model.featureCount
        guard samples.count % d == 0 else { throw .wrongFeatureCount(expected: d, got: samples.count % d) }
        var output = [Double](repeating: 0, count: samples.count / d)
        samples.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in decisionFunction(input, into: out) }
        }
        return output
    }

    /// Decision value of one sample.
    public func decisionFunction(sample: [Double]) throws(ModelError) -> Double {
        guard sample.count == model.featureCount else {
            throw .wrongFeatureCount(expected: model.featureCount, got: sample.count)
        }
        return try decisionFunction(sample)[0]
    }

    /// `score_samples`: decision values plus the model's offset.
    public func scoreSamples(_ samples: [Double]) throws(ModelError) -> [Double] {
        try decisionFunction(samples).map { $0 + model.offset }
    }

    /// +1 for inliers, -1 for anomalies (decision value ≤ 0), as scikit-learn's `predict`.
    public static func predict(decision: Double) -> Int { decision > 0 ? 1 : -1 }

    /// Writes the decision value of each sample in `samples` (row-major) to `output`,
    /// which must hold `samples.count / featureCount` values.
    public func decisionFunction(_ samples: UnsafeBufferPointer<Double>, into output: UnsafeMutableBufferPointer<Double>) {
        let d = model.featureCount
        let sampleCount = samples.count / d
        precondition(output.count >= sampleCount, "output holds \(output.count) values for \(sampleCount) samples")
        guard sampleCount > 0 else { return }
        let block = Self.sampleBlock
        let paddedCount = (sampleCount + block - 1) / block * block

        // Scaled (and for rbf centred) samples, padded to whole blocks, and their norms.
        let prepared = UnsafeMutableBufferPointer<Double>.allocate(capacity: paddedCount * d)
        let norms = UnsafeMutableBufferPointer<Double>.allocate(capacity: paddedCount)
        let sums = UnsafeMutableBufferPointer<Double>.allocate(capacity: paddedCount)
        defer {
            prepared.deallocate()
            norms.deallocate()
            sums.deallocate()
        }
        prepared.initialize(repeating: 0)
        sums.initialize(repeating: 0)
        for i in 0..<sampleCount {
            let row = UnsafeMutableBufferPointer(rebasing: prepared[i * d..<(i + 1) * d])
            for j in 0..<d { row[j] = samples[i * d + j] }
            model.scaler?.apply(to: row)
            var norm = 0.0
            for j in 0..<d {
                row[j] -= center[j]
                norm += row[j] * row[j]
            }
            norms[i] = norm
        }
        for i in sampleCount..<paddedCount { norms[i] = 0 }

        // Dot products of one sample block against one tile go to a small scratch
        // (pass 1, a GEMM micro-kernel); a tight per-kernel loop then turns them into
        // weighted kernel values (pass 2). Both stay in L1.
        let scratch = UnsafeMutableBufferPointer<SIMD8<Double>>.allocate(capacity: block * panelsPerTile)
        defer { scratch.deallocate() }
        panels.withUnsafeBufferPointer { panels in
            panelNorms.withUnsafeBufferPointer { panelNorms in
                panelDuals.withUnsafeBufferPointer { panelDuals in
                    var tileStart = 0
                    while tileStart < panelCount {
                        let tile = tileStart..<min(panelCount, tileStart + panelsPerTile)
                        var first = 0
                        while first < paddedCount {
                            dotProducts(
                                first: first, panels: panels, tile: tile, prepared: UnsafeBufferPointer(prepared), into: scratch)
                            for r in 0..<block {
                                let dots = UnsafeBufferPointer(rebasing: scratch[(r * tile.count)..<((r + 1) * tile.count)])
                                sums[first + r] += weightedKernelSum(
                                    dots, sample: first + r, tile: tile, norms: UnsafeBufferPointer(norms),
                                    panelNorms: panelNorms, panelDuals: panelDuals, prepared: UnsafeBufferPointer(prepared))
                            }
                            first += block
                        }
                        tileStart = tile.upperBound
                    }
                }
            }
        }
        for i in 0..<sampleCount { output[i] = sums[i] + model.intercept }
    }

    /// Pass 1: dot products of samples `first ..< first+4` with every support vector of
    /// `tile`, written as `scratch[r · tile.count + offset]`.
    @inline(__always)
    private func dotProducts(
        first: Int, panels: UnsafeBufferPointer<SIMD8<Double>>, tile: Range<Int>,
        prepared: UnsafeBufferPointer<Double>, into scratch: UnsafeMutableBufferPointer<SIMD8<Double>>
    ) {
        let d = model.featureCount
        let x0 = prepared.baseAddress! + first * d
        let x1 = x0 + d, x2 = x1 + d, x3 = x2 + d
        let width = tile.count
        for offset in 0..<width {
            var dot0 = SIMD8<Double>.zero, dot1 = SIMD8<Double>.zero
            var dot2 = SIMD8<Double>.zero, dot3 = SIMD8<Double>.zero
            let column = panels.baseAddress! + (tile.lowerBound + offset) * d
            for j in 0..<d {
                let s = column[j]
                dot0 = dot0.addingProduct(x0[j], s)
                dot1 = dot1.addingProduct(x1[j], s)
                dot2 = dot2.addingProduct(x2[j], s)
                dot3 = dot3.addingProduct(x3[j], s)
            }
            scratch[offset] = dot0
            scratch[width + offset] = dot1
            scratch[2 * width + offset] = dot2
            scratch[3 * width + offset] = dot3
        }
    }

    /// Pass 2: `Σ dual · K` over the tile for one sample, from its dot products.
    @inline(__always)
    private func weightedKernelSum(
        _ dots: UnsafeBufferPointer<SIMD8<Double>>, sample: Int, tile: Range<Int>, norms sampleNorms: UnsafeBufferPointer<Double>,
        panelNorms: UnsafeBufferPointer<SIMD8<Double>>, panelDuals: UnsafeBufferPointer<SIMD8<Double>>,
        prepared: UnsafeBufferPointer<Double>
    ) -> Double {
        var total = SIMD8<Double>.zero
        let norms = UnsafeBufferPointer(rebasing: panelNorms[tile])
        let duals = UnsafeBufferPointer(rebasing: panelDuals[tile])
        switch model.kernel {
        case .rbf:
            let sampleNorm = sampleNorms[sample]
            let negativeGamma = -model.gamma
            let threshold = Self.cancellationThreshold
            for offset in 0..<dots.count {
                let magnitude = sampleNorm + norms[offset]
                var distance = magnitude - 2 * dots[offset]
                let suspect = distance .< threshold * magnitude
                if any(suspect) {
                    distance = exactDistances(
                        distance, suspect: suspect, sample: sample, panel: tile.lowerBound + offset, prepared: prepared)
                }
                total = total.addingProduct(duals[offset], vectorExpOfNonPositive(negativeGamma * distance))
            }
        case .linear:
            for offset in 0..<dots.count { total = total.addingProduct(duals[offset], dots[offset]) }
        case .poly:
            for offset in 0..<dots.count {
                total = total.addingProduct(duals[offset], powi(model.gamma * dots[offset] + model.coef0, model.degree))
            }
        case .sigmoid:
            for offset in 0..<dots.count {
                var values = model.gamma * dots[offset] + model.coef0
                for lane in 0..<Self.lanes { values[lane] = tanh(values[lane]) }
                total = total.addingProduct(duals[offset], values)
            }
        }
        return total.sum()
    }

    /// Recomputes `‖x − s‖²` as `Σ (x_j − s_j)²` in the lanes where the expansion may
    /// have cancelled (close pairs); the others keep their expanded value. Rare, so
    /// kept out of line.
    @inline(never)
    private func exactDistances(
        _ distance: SIMD8<Double>, suspect: SIMDMask<SIMD8<Int64>>, sample: Int, panel: Int,
        prepared: UnsafeBufferPointer<Double>
    ) -> SIMD8<Double> {
        let d = model.featureCount
        var result = distance
        for lane in 0..<Self.lanes where suspect[lane] {
            let vector = panel * Self.lanes + lane
            guard vector < model.supportVectorCount else { continue }
            var sum = 0.0
            for j in 0..<d {
                let difference = prepared[sample * d + j] - centeredSupportVectors[vector * d + j]
                sum += difference * difference
            }
            result[lane] = sum
        }
        return result
    }

    /// `base^times` by repeated squaring, in libsvm's order of operations.
    @inline(__always)
    private func powi(_ base: SIMD8<Double>, _ times: Int) -> SIMD8<Double> {
        var power = base
        var result = SIMD8<Double>(repeating: 1)
        var t = times
        while t > 0 {
            if t % 2 == 1 { result *= power }
            power *= power
            t /= 2
        }
        return result
    }
}
