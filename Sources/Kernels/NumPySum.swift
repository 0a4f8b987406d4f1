/// Sums as NumPy does, so that the statistics a fit depends on (a scaler's mean and
/// variance, gamma = 'scale') match scikit-learn to the last bit — on tied data the
/// solver's path turns on those bits.
enum NumPySum {
    /// `np.sum` of a contiguous float64 array: pairwise summation (numpy's
    /// `pairwise_sum`): below 8 values a plain loop; up to 128, eight accumulators
    /// combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) plus the rest in order; above,
    /// the two halves (the first a multiple of 8) summed recursively.
    static func pairwise(_ values: UnsafeBufferPointer<Double>) -> Double {
        0.0 + pairwise(values, start: 0, count: values.count)
    }

    static func pairwise(_ values: [Double]) -> Double {
        values.withUnsafeBufferPointer { pairwise($0) }
    }

    private static func pairwise(_ a: UnsafeBufferPointer<Double>, start s: Int, count n: Int) -> Double {
        if n < 8 {
            var result = 0.0
            for i in 0..<n { result += a[s + i] }
            return result
        }
        if n <= 128 {
            var r0 = a[s], r1 = a[s + 1], r2 = a[s + 2], r3 = a[s + 3]
            var r4 = a[s + 4], r5 = a[s + 5], r6 = a[s + 6], r7 = a[s + 7]
            var i = 8
            while i < n - n % 8 {
                r0 += a[s + i]; r1 += a[s + i + 1]; r2 += a[s + i + 2]; r3 += a[s + i + 3]
                r4 += a[s + i + 4]; r5 += a[s + i + 5]; r6 += a[s + i + 6]; r7 += a[s + i + 7]
                i += 8
            }
            var result = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
            while i < n {
                result += a[s + i]
                i += 1
            }
            return result
        }
        var half = n / 2
        half -= half % 8
        return pairwise(a, start: s, count: half) + pairwise(a, start: s + half, count: n - half)
    }

    /// `np.sum(X, axis=0)` of a C-contiguous rows × `featureCount` array: one column is
    /// contiguous (pairwise); several are added row by row, in order.
    static func columns(_ data: [Double], featureCount d: Int) -> [Double] {
        let rows = data.count / d
        if d == 1 { return [pairwise(data)] }
        var sums = [Double](repeating: 0, count: d)
        for row in 0..<rows { for j in 0..<d { sums[j] += data[row * d + j] } }
        return sums
    }
}
