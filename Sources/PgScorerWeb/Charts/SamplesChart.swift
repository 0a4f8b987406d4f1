import PgScorer

/// The raw samples beneath an aggregated series, inline SVG on the same time axis as
/// its readings: per bucket a light bar from the lowest to the highest sample and a line
/// through the means, with the window boundaries as faint ticks when they are far enough
/// apart to see.
struct SamplesChart {
    let samples: SampleTrace
    let from: Int64
    let to: Int64
    var width = 1100.0
    var height = 140.0

    private let left = 58.0, right = 12.0, top = 8.0

    var svg: HTML {
        let x = Scale(domain: Double(from)...Double(to), from: left, to: width - right)
        let y = Scale.padded(samples.buckets.flatMap { [$0.low, $0.high] }, from: top + height, to: top)
        var bars = "", means = ""
        for bucket in samples.buckets {
            let at = px(x(Double(bucket.start) + Double(samples.bucketMicroseconds) / 2))
            bars += "M\(at),\(px(y(bucket.low)))V\(px(y(bucket.high)))"
            means += "\(at),\(px(y(bucket.mean))) "
        }
        var ticks = ""
        if let window = samples.windowMicroseconds, window > 0, (to - from) / window <= 200 {
            var end = (from / window + 1) * window
            while end < to {
                let at = px(x(Double(end)))
                ticks += "M\(at),\(px(top))V\(px(top + height))"
                end += window
            }
        }
        return """
            <svg class="chart samples" xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height + top + 4))" \
            viewBox="0 0 \(Int(width)) \(Int(height + top + 4))" data-samples="\(samples.sampleCount)" data-buckets="\(samples.buckets.count)">\
            <rect class="lane" x="\(Int(left))" y="\(Int(top))" width="\(Int(width - left - right))" height="\(Int(height))"/>\
            <text x="4" y="\(Int(top + 12))">samples</text>\
            <text x="4" y="\(Int(top + 28))">\(Self.label(y.high))</text><text x="4" y="\(Int(top + height - 2))">\(Self.label(y.low))</text>\
            <path class="window-end" stroke="#e3e6ea" d="\(HTML(raw: ticks))"/>\
            <path class="range" stroke="#bfdbfe" stroke-width="2" d="\(HTML(raw: bars))"/>\
            <polyline class="samples-mean" fill="none" stroke="#1d4ed8" stroke-width="1" points="\(HTML(raw: means))"/></svg>
            """
    }

    private static func label(_ value: Double) -> String { String(format: abs(value) >= 1000 ? "%.0f" : "%.3g", value) }
}
