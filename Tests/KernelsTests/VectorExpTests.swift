import Foundation
import Kernels
import Testing

@Suite("Vectorised exp")
struct VectorExpTests {
    /// Largest relative error of `vectorExp` against Foundation's `exp` over `range`.
    func maxRelativeError(in range: ClosedRange<Double>, count: Int) -> Double {
        var generator = SystemRandomNumberGenerator()
        var worst = 0.0
        for _ in 0..<(count / 8) {
            var x = SIMD8<Double>()
            for lane in 0..<8 { x[lane] = Double.random(in: range, using: &generator) }
            let values = vectorExp(x)
            for lane in 0..<8 {
                let reference = Foundation.exp(x[lane])
                worst = max(worst, abs(values[lane] - reference) / reference)
            }
        }
        return worst
    }

    @Test("relative error against Foundation's exp stays within a few ulp (≈1e-15)")
    func accuracy() {
        let kernelRange = maxRelativeError(in: -40...0, count: 400_000)
        let fullRange = maxRelativeError(in: -708...709, count: 400_000)
        let nearZero = maxRelativeError(in: -1e-6...1e-6, count: 80_000)
        print("vectorExp max relative error: [-40,0] \(kernelRange), [-708,709] \(fullRange), near 0 \(nearZero)")
        #expect(kernelRange < 1e-15)
        #expect(fullRange < 1e-15)
        #expect(nearZero < 1e-15)
        var generator = SystemRandomNumberGenerator()
        var worst = 0.0
        for _ in 0..<20_000 {
            var x = SIMD8<Double>()
            for lane in 0..<8 { x[lane] = -Double.random(in: 0...700, using: &generator) }
            let fast = vectorExpOfNonPositive(x)
            for lane in 0..<8 { worst = max(worst, abs(fast[lane] - Foundation.exp(x[lane])) / Foundation.exp(x[lane])) }
        }
        #expect(worst < 1e-15)
        #expect(vectorExpOfNonPositive(SIMD8(repeating: -800)) == .zero)
    }

    @Test("edges: exp(0) is 1, underflow is 0, overflow is infinity, NaN stays NaN")
    func edges() {
        let values = vectorExp(SIMD8(0, -745, -1e9, 1000, .nan, 1, -.infinity, 709))
        #expect(values[0] == 1)
        #expect(values[1] == 0 && values[2] == 0 && values[6] == 0)
        #expect(values[3] == .infinity)
        #expect(values[4].isNaN)
        #expect(abs(values[5] - Foundation.exp(1.0)) <= 4e-16 * Foundation.exp(1.0))
        #expect(abs(values[7] - Foundation.exp(709.0)) / Foundation.exp(709.0) < 1e-15)
    }
}
