/// `exp` for eight doubles at once, for the rbf kernel's hot loop.
///
/// Range reduction `x = k·ln2 + r` with `|r| ≤ ln2/2` (ln2 split in two so `k·ln2` is
/// exact), a degree-13 Taylor polynomial for `e^r` (truncation < 5e-18), and `2^k`
/// written into the exponent bits with integer vector ops. Relative error stays within
/// a few ulp (≈1e-15) on `[-708.39, 709]`; below that the result is 0 (where `exp`
/// would give subnormals under 2.3e-308), above it +inf.
@inlinable
public func vectorExp(_ x: SIMD8<Double>) -> SIMD8<Double> {
    let log2e = 1.4426950408889634
    let ln2High = 0.693147180369123816490  // ln 2 with its low 32 bits zero
    let ln2Low = 1.90821492927058770002e-10
    // Adding 1.5·2^52 rounds to an integer and leaves it in the low mantissa bits.
    let shifter = SIMD8<Double>(repeating: 6_755_399_441_055_744.0)
    let clamped = x.clamped(lowerBound: SIMD8(repeating: -708.39), upperBound: SIMD8(repeating: 709.0))
    let shifted = clamped * log2e + shifter
    let k = shifted - shifter
    let r = (clamped - k * ln2High) - k * ln2Low
    // Horner for Σ r^n / n!, n = 0…13.
    var p = SIMD8<Double>(repeating: 1.0 / 6_227_020_800)
    p = p * r + 1.0 / 479_001_600
    p = p * r + 1.0 / 39_916_800
    p = p * r + 1.0 / 3_628_800
    p = p * r + 1.0 / 362_880
    p = p * r + 1.0 / 40_320
    p = p * r + 1.0 / 5_040
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    // 2^k: (k + 1023) in the exponent field; the shifter's high bits shift out.
    let integerBits = unsafeBitCast(shifted, to: SIMD8<UInt64>.self)
    let scale = unsafeBitCast((integerBits &+ 1023) &<< 52, to: SIMD8<Double>.self)
    var result = p * scale
    result.replace(with: 0, where: x .< -708.39)
    result.replace(with: .infinity, where: x .> 709.0)
    result.replace(with: .nan, where: x .!= x)
    return result
}
