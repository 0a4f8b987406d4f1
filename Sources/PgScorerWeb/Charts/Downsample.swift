/// Picks the points of a long series worth drawing: per pixel column, the first, the
/// lowest, the highest and the last point, in time order. A line through them looks
/// like the line through all points (every spike keeps its extreme), while the page
/// carries at most four points per column, however many readings the range holds.
enum Downsample {
    /// Indices into `times` (ascending) to keep, for a chart `columns` pixels wide over
    /// [from, to); `value(i)` is nil for points that have no value on this line.
    static func minMax(times: [Int64], from: Int64, to: Int64, columns: Int, value: (Int) -> Double?) -> [Int] {
        guard times.count > columns * 4 else { return times.indices.filter { value($0) != nil } }
        let span = Double(max(to - from, 1))
        var kept: [Int] = []
        kept.reserveCapacity(columns * 4)
        var column = -1
        var first = -1, last = -1, low = -1, high = -1
        func flush() {
            guard first >= 0 else { return }
            for index in Set([first, low, high, last]).sorted() { kept.append(index) }
        }
        for index in times.indices {
            guard let y = value(index) else { continue }
            let c = Int(Double(times[index] - from) / span * Double(columns))
            if c != column {
                flush()
                column = c
                first = index; low = index; high = index
            }
            if y < value(low)! { low = index }
            if y > value(high)! { high = index }
            last = index
        }
        flush()
        return kept
    }
}
