import PgScorer

/// The series page's plot, inline SVG: a panel per feature with the readings as a line
/// and the flagged readings as red dots, a score strip with the zero threshold below,
/// and a dashed violet line where the scoring model changed. Long ranges are
/// downsampled per pixel column (`Downsample`); flagged readings are all drawn unless
/// there are more than `maxFlags`, then the lowest-scoring one per column.
struct SeriesChart {
    let trace: SeriesTrace
    /// nil: every feature.
    let feature: Int?
    var width = 1100.0
    var panelHeight = 150.0
    var scoreHeight = 110.0
    var maxFlags = 3000

    private let left = 58.0, right = 12.0
    private var columns: Int { Int(width - left - right) }

    var svg: HTML {
        let features = feature.map { [$0] } ?? Array(0..<trace.featureCount)
        var panels: [HTML] = []
        var top = 8.0
        for feature in features {
            panels.append(panel(feature: feature, top: top))
            top += panelHeight + 14
        }
        panels.append(scoreStrip(top: top))
        top += scoreHeight + 22
        panels.append(timeAxis(top: top - 20))
        let flagged = trace.flags.reduce(0) { $0 + ($1 ? 1 : 0) }
        return """
            <svg class="chart" xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(top))" \
            viewBox="0 0 \(Int(width)) \(Int(top))" data-readings="\(trace.timestamps.count)" data-flagged="\(flagged)">\
            \(panels)</svg>
            """
    }

    private var timeScale: Scale {
        Scale(domain: Double(trace.from.unixMicroseconds)...Double(trace.to.unixMicroseconds), from: left, to: width - right)
    }

    private func panel(feature: Int, top: Double) -> HTML {
        let n = trace.featureCount
        let value = { (index: Int) -> Double? in trace.features[index * n + feature] }
        let kept = Downsample.minMax(
            times: trace.timestamps, from: trace.from.unixMicroseconds, to: trace.to.unixMicroseconds, columns: columns, value: value)
        let y = Scale.padded(kept.lazy.map { value($0)! }, from: top + panelHeight, to: top)
        let x = timeScale
        var points = ""
        points.reserveCapacity(kept.count * 12)
        for index in kept {
            points += px(x(Double(trace.timestamps[index]))) + "," + px(y(value(index)!)) + " "
        }
        let flags = flaggedIndices().map { index -> HTML in
            "<circle class=\"flag\" cx=\"\(HTML(raw: px(x(Double(trace.timestamps[index])))))\" cy=\"\(HTML(raw: px(y(value(index)!))))\" r=\"3\"/>"
        }
        return """
            <g class="panel" data-feature="\(feature)"><rect class="lane" x="\(Int(left))" y="\(HTML(raw: px(top)))" \
            width="\(Int(width - left - right))" height="\(Int(panelHeight))"/>\
            <text x="4" y="\(HTML(raw: px(top + 12)))">feature \(feature)</text>\
            <text x="4" y="\(HTML(raw: px(top + 28)))">\(label(y.high))</text>\
            <text x="4" y="\(HTML(raw: px(top + panelHeight - 2)))">\(label(y.low))</text>\
            \(changeMarkers(top: top, height: panelHeight))\
            <polyline class="line" fill="none" stroke="#2563eb" stroke-width="1.2" data-points="\(kept.count)" \
            points="\(HTML(raw: points))"/>\(flags)</g>
            """
    }

    /// The score strip. Its scale is robust: a few very negative scores would squash the
    /// rest against the top, so the range is the 2nd to the 99.5th percentile (and zero);
    /// scores beyond it are drawn at the edge as small triangles (`clipped`).
    private func scoreStrip(top: Double) -> HTML {
        let value = { (index: Int) -> Double? in trace.scores[index] }
        let kept = Downsample.minMax(
            times: trace.timestamps, from: trace.from.unixMicroseconds, to: trace.to.unixMicroseconds, columns: columns, value: value)
        let range = Self.robustRange(trace.scores.compactMap { $0 })
        let y = Scale.padded([range.lowerBound, range.upperBound], from: top + scoreHeight, to: top, including: [0])
        let clamp = { (score: Double) in min(max(score, range.lowerBound), range.upperBound) }
        let x = timeScale
        var points = ""
        var clipped: [HTML] = []
        for index in kept {
            let score = value(index)!, at = x(Double(trace.timestamps[index]))
            points += px(at) + "," + px(y(clamp(score))) + " "
            if score < range.lowerBound || score > range.upperBound {
                let edge = y(clamp(score)), tip = score < range.lowerBound ? edge + 5 : edge - 5
                clipped.append(
                    "<path class=\"clipped\" d=\"M\(HTML(raw: px(at - 3))),\(HTML(raw: px(edge)))L\(HTML(raw: px(at + 3))),\(HTML(raw: px(edge)))L\(HTML(raw: px(at))),\(HTML(raw: px(tip)))Z\"><title>score \(score, digits: 3), beyond the scale</title></path>")
            }
        }
        let flags = flaggedIndices().map { index -> HTML in
            "<circle class=\"flag\" cx=\"\(HTML(raw: px(x(Double(trace.timestamps[index])))))\" cy=\"\(HTML(raw: px(y(clamp(trace.scores[index]!)))))\" r=\"2.5\"/>"
        }
        // "score" goes to the bottom of the lane when the zero line runs near its top.
        let zero = y(0)
        let labelY = abs(zero - (top + 12)) < 16 ? top + scoreHeight - 3 : top + 12
        return """
            <g class="scores" data-clipped="\(clipped.count)" data-low="\(range.lowerBound, digits: 4)" data-high="\(range.upperBound, digits: 4)">\
            <rect class="lane" x="\(Int(left))" y="\(HTML(raw: px(top)))" width="\(Int(width - left - right))" \
            height="\(Int(scoreHeight))"/><text class="score-label" x="4" y="\(HTML(raw: px(labelY)))">score</text>\
            <text class="zero-label" x="4" y="\(HTML(raw: px(zero + 4)))">0</text>\
            \(changeMarkers(top: top, height: scoreHeight))\
            <line class="zero" x1="\(Int(left))" x2="\(Int(width - right))" y1="\(HTML(raw: px(zero)))" y2="\(HTML(raw: px(zero)))"/>\
            <polyline class="line" fill="none" stroke="#0f766e" stroke-width="1.1" data-points="\(kept.count)" \
            points="\(HTML(raw: points))"/>\(clipped)\(flags)</g>
            """
    }

    /// The 2nd to the 99.5th percentile of `scores` (all of them when there are few).
    static func robustRange(_ scores: [Double]) -> ClosedRange<Double> {
        let sorted = scores.filter(\.isFinite).sorted()
        guard let first = sorted.first, let last = sorted.last else { return 0...1 }
        guard sorted.count >= 50 else { return first...last }
        let low = sorted[Int(Double(sorted.count - 1) * 0.02)], high = sorted[Int(Double(sorted.count - 1) * 0.995)]
        return low < high ? low...high : first...last
    }

    private func changeMarkers(top: Double, height: Double) -> HTML {
        let x = timeScale
        let versions = Dictionary(trace.versions.map { ($0.modelID, $0.version) }, uniquingKeysWith: { a, _ in a })
        let markers = trace.modelChanges.map { change -> HTML in
            let at = px(x(Double(change.at)))
            return """
                <line class="change" x1="\(HTML(raw: at))" x2="\(HTML(raw: at))" y1="\(HTML(raw: px(top)))" \
                y2="\(HTML(raw: px(top + height)))"><title>model version \(versions[change.modelID] ?? 0) from \
                \(HTML.format(unixMicroseconds: change.at))</title></line>
                """
        }
        return "\(markers)"
    }

    /// Ticks on round times (every 5 min, 30 min, 3 h, a day…, UTC), four to eight of them.
    private func timeAxis(top: Double) -> HTML {
        let x = timeScale
        let from = trace.from.unixMicroseconds, to = trace.to.unixMicroseconds
        let step = Self.tickStep(spanMicroseconds: to - from)
        var at = (from + step - 1) / step * step
        var labels: [HTML] = []
        while at <= to {
            let text = step >= 86_400_000_000
                ? String(HTML.format(unixMicroseconds: at, seconds: false).prefix(10))
                : (at % 86_400_000_000 == 0 || labels.isEmpty ? HTML.format(unixMicroseconds: at, seconds: false) : String(HTML.format(unixMicroseconds: at, seconds: false).suffix(5)))
            labels.append(
                "<text class=\"tick\" data-at=\"\(at / 1_000_000)\" x=\"\(HTML(raw: px(x(Double(at)))))\" y=\"\(HTML(raw: px(top + 14)))\" text-anchor=\"middle\">\(text)</text>")
            at += step
        }
        return "<g class=\"time-axis\" data-step=\"\(step / 1_000_000)\">\(labels)</g>"
    }

    /// The roundest step that puts at most eight ticks on a span.
    static func tickStep(spanMicroseconds span: Int64) -> Int64 {
        let minute: Int64 = 60_000_000
        let steps = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].map { $0 * minute }
        return steps.first { span / $0 <= 8 } ?? steps.last!
    }

    /// The flagged readings to mark: all, or past `maxFlags` the lowest-scoring per column.
    private func flaggedIndices() -> [Int] {
        let flagged = trace.flags.indices.filter { trace.flags[$0] }
        guard flagged.count > maxFlags else { return flagged }
        let from = trace.from.unixMicroseconds, span = Double(max(trace.to.unixMicroseconds - from, 1))
        var best: [Int: Int] = [:]
        for index in flagged {
            let column = Int(Double(trace.timestamps[index] - from) / span * Double(columns))
            if let current = best[column], (trace.scores[current] ?? 0) <= (trace.scores[index] ?? 0) { continue }
            best[column] = index
        }
        return best.values.sorted()
    }

    private func label(_ value: Double) -> String {
        abs(value) >= 1000 || (abs(value) < 0.01 && value != 0) ? String(format: "%.2g", value) : String(format: "%.2f", value)
    }
}
