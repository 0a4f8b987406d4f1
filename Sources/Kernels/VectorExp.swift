/// `exp` for eight doubles at once.
///
/// Range reduction `x = k·ln2 + r` with `|r| ≤ ln2/2` (ln2 split in two so `k·ln2` is
/// exact), a degree-12 Taylor polynomial for `e^r` evaluated with fused multiply-adds
/// (truncation below 2e-16), and `2^k` written into the exponent bits with integer
/// vector ops. Relative error stays within about 1 ulp (≈2e-16) on `[-708.39, 709]`;
/// below that the result is 0 (where `exp` gives subnormals under 2.3e-308), above it
/// +inf, and NaN stays NaN.
@inlinable @inline(__always)
public func vectorExp(_ x: SIMD8<Double>) -> SIMD8<Double> {
    // (`clamped`/`pointwiseMin` compile to scalar loops; masked replacement vectorises.)
    var result = exponentialCore(x.replacing(with: -708.39, where: x .< -708.39).replacing(with: 709.0, where: x .> 709.0))
    result.replace(with: 0, where: x .< -708.39)
    result.replace(with: .infinity, where: x .> 709.0)
    result.replace(with: .nan, where: x .!= x)
    return result
}

/// `exp` of eight finite values ≤ 0, such as rbf kernel exponents: `vectorExp` without
/// the overflow and NaN handling that such values never need.
@inlinable @inline(__always)
public func vectorExpOfNonPositive(_ x: SIMD8<Double>) -> SIMD8<Double> {
    let underflow = x .< -708.39
    return exponentialCore(x.replacing(with: -708.39, where: underflow)).replacing(with: 0, where: underflow)
}

/// `e^x` for x in [-708.39, 709] (see `vectorExp`).
@inlinable @inline(__always)
func exponentialCore(_ x: SIMD8<Double>) -> SIMD8<Double> {
    let log2e = 1.4426950408889634
    let ln2High = 0.693147180369123816490  // ln 2 with its low 32 bits zero
    let ln2Low = 1.90821492927058770002e-10
    // Adding 1.5·2^52 rounds to an integer and leaves it in the low mantissa bits.
    let shifter = SIMD8<Double>(repeating: 6_755_399_441_055_744.0)
    let shifted = x * log2e + shifter
    let k = shifted - shifter
    let r = (x - k * ln2High) - k * ln2Low
    var p = SIMD8<Double>(repeating: 1.0 / 479_001_600)
    p = SIMD8(repeating: 1.0 / 39_916_800).addingProduct(p, r)
    p = SIMD8(repeating: 1.0 / 3_628_800).addingProduct(p, r)
    p = SIMD8(repeating: 1.0 / 362_880).addingProduct(p, r)
    p = SIMD8(repeating: 1.0 / 40_320).addingProduct(p, r)
    p = SIMD8(repeating: 1.0 / 5_040).addingProduct(p, r)
    p = SIMD8(repeating: 1.0 / 720).addingProduct(p, r)
    p = SIMD8(repeating: 1.0 / 120).addingProduct(p, r)
    p = SIMD8(repeating: 1.0 / 24).addingProduct(p, r)
    p = SIMD8(repeating: 1.0 / 6).addingProduct(p, r)
    p = SIMD8(repeating: 0.5).addingProduct(p, r)
    p = SIMD8(repeating: 1.0).addingProduct(p, r)
    p = SIMD8(repeating: 1.0).addingProduct(p, r)
    // 2^k: (k + 1023) in the exponent field; the shifter's high bits shift out.
    let integerBits = unsafeBitCast(shifted, to: SIMD8<UInt64>.self)
    return p * unsafeBitCast((integerBits &+ 1023) &<< 52, to: SIMD8<Double>.self)
}
