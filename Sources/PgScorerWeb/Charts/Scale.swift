/// Maps data to pixels along one axis: `low...high` onto `start...end` (`end` may be
/// less than `start`, as on a y axis that grows upward).
struct Scale {
    let low: Double
    let high: Double
    let start: Double
    let end: Double

    init(domain: ClosedRange<Double>, from start: Double, to end: Double) {
        low = domain.lowerBound
        high = domain.upperBound
        self.start = start
        self.end = end
    }

    /// A domain widened a little, so that extremes do not sit on the frame.
    static func padded(_ values: some Sequence<Double>, from start: Double, to end: Double, including extra: [Double] = []) -> Scale {
        var low = Double.infinity, high = -Double.infinity
        for value in values where value.isFinite {
            low = min(low, value)
            high = max(high, value)
        }
        for value in extra {
            low = min(low, value)
            high = max(high, value)
        }
        if !low.isFinite { low = 0; high = 1 }
        if low == high {
            // A constant: a band around it wide enough to be a band at any magnitude.
            let half = Swift.max(1, abs(low) * 0.01)
            low -= half
            high += half
        }
        let pad = (high - low) * 0.05
        return Scale(domain: (low - pad)...(high + pad), from: start, to: end)
    }

    func callAsFunction(_ value: Double) -> Double {
        start + (value - low) / (high - low) * (end - start)
    }
}

/// A coordinate with one decimal: enough for a screen, half the bytes of full precision.
func px(_ value: Double) -> String {
    // Off-chart values (an outlier score, a non-finite one) are clamped, never a trap:
    // a trap would take the whole server down.
    let value = value.isFinite ? Swift.min(Swift.max(value, -1e6), 1e6) : 0
    let tenths = (value * 10).rounded()
    let whole = Int(tenths) / 10, fraction = abs(Int(tenths)) % 10
    return fraction == 0 ? String(whole) : (tenths < 0 && whole == 0 ? "-0" : String(whole)) + "." + String(fraction)
}
