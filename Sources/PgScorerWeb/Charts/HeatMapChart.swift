import PgScorer

/// Anomaly rate per device (rows) and hour (columns) as an SVG grid: white for no
/// anomalies, deepening red toward the highest rate shown; grey where nothing was scored.
struct HeatMapChart {
    let map: FleetOverview.HeatMap
    var cell = 22.0
    var rowHeight = 16.0
    var labelWidth = 150.0

    /// The highest rate shown: the deepest red.
    private var highest: Double { max(map.rates.flatMap { $0.compactMap { $0 } }.max() ?? 0, 0.0001) }

    static func fill(rate: Double, highest: Double) -> String {
        let strength = rate / highest
        return "rgb(255,\(Int(245 - 200 * strength)),\(Int(240 - 210 * strength)))"
    }

    /// What the colours mean: five steps from none to the highest rate shown, and grey.
    var legend: HTML {
        let steps = (0...4).map { step -> HTML in
            let rate = highest * Double(step) / 4
            return """
                <rect class="swatch" x="\(70 + step * 46)" y="2" width="44" height="12" fill="\(Self.fill(rate: rate, highest: highest))"/>\
                <text x="\(70 + step * 46 + 22)" y="26" text-anchor="middle">\(HTML.percent(rate))</text>
                """
        }
        return """
            <svg class="heatmap-legend" xmlns="http://www.w3.org/2000/svg" width="480" height="30">\
            <text x="0" y="12">anomalous</text>\(steps)\
            <rect class="swatch" x="310" y="2" width="44" height="12" fill="#eef1f4"/><text x="360" y="12">nothing scored</text></svg>
            """
    }

    var svg: HTML {
        let width = labelWidth + cell * 24 + 10, height = rowHeight * Double(map.devices.count) + 34
        let highest = self.highest
        var cells: [HTML] = []
        for (row, device) in map.devices.enumerated() {
            let y = 4 + Double(row) * rowHeight
            cells.append(
                "<text x=\"\(Int(labelWidth - 6))\" y=\"\(HTML(raw: px(y + rowHeight - 4)))\" text-anchor=\"end\" unicode-bidi=\"isolate\">\(String(device.prefix(24)))</text>")
            for column in 0..<24 {
                let x = labelWidth + Double(column) * cell
                let fill: String
                var title = "\(device), \(HTML.format(unixMicroseconds: map.hours[column].unixMicroseconds, seconds: false)): "
                if let rate = map.rates[row][column] {
                    fill = Self.fill(rate: rate, highest: highest)
                    title += HTML.percent(rate) + " anomalous"
                } else {
                    fill = "#eef1f4"
                    title += "nothing scored"
                }
                cells.append(
                    "<rect class=\"cell\" x=\"\(HTML(raw: px(x)))\" y=\"\(HTML(raw: px(y)))\" width=\"\(HTML(raw: px(cell - 1)))\" height=\"\(HTML(raw: px(rowHeight - 1)))\" fill=\"\(fill)\"><title>\(title)</title></rect>")
            }
        }
        let axisY = 4 + Double(map.devices.count) * rowHeight + 14
        for column in stride(from: 0, to: 24, by: 3) {
            let x = labelWidth + Double(column) * cell
            let label = String(HTML.format(unixMicroseconds: map.hours[column].unixMicroseconds, seconds: false).suffix(5))
            cells.append("<text x=\"\(HTML(raw: px(x)))\" y=\"\(HTML(raw: px(axisY)))\">\(label)</text>")
        }
        return """
            <svg class="heatmap" xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            data-devices="\(map.devices.count)">\(cells)</svg>
            """
    }
}

/// Completed and failed attempts per minute over the last hour, as SVG bars.
struct ThroughputChart {
    let minutes: [FleetOverview.ThroughputMinute]
    let now: Int64
    var width = 720.0
    var height = 120.0

    var svg: HTML {
        let highest = Double(max(minutes.map { $0.completed + $0.failed }.max() ?? 0, 1))
        let bar = (width - 50) / 60
        var parts: [HTML] = []
        for minute in minutes {
            let age = Double(now - minute.minute.unixMicroseconds) / 60_000_000
            guard age >= 0, age < 60 else { continue }
            let x = 40 + (59 - age.rounded(.down)) * bar
            let completed = Double(minute.completed) / highest * (height - 24)
            let failed = Double(minute.failed) / highest * (height - 24)
            let title = "\(HTML.format(unixMicroseconds: minute.minute.unixMicroseconds, seconds: false)): \(minute.completed) completed, \(minute.failed) failed, \(minute.readings) readings"
            parts.append(
                "<rect class=\"done\" x=\"\(HTML(raw: px(x)))\" y=\"\(HTML(raw: px(height - 16 - completed)))\" width=\"\(HTML(raw: px(bar - 1)))\" height=\"\(HTML(raw: px(completed)))\" fill=\"#2563eb\"><title>\(title)</title></rect>")
            if failed > 0 {
                parts.append(
                    "<rect class=\"failed\" x=\"\(HTML(raw: px(x)))\" y=\"\(HTML(raw: px(height - 16 - completed - failed)))\" width=\"\(HTML(raw: px(bar - 1)))\" height=\"\(HTML(raw: px(failed)))\" fill=\"#dc2626\"><title>\(title)</title></rect>")
            }
        }
        return """
            <svg class="throughput" xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))">\
            <line class="axis" x1="40" x2="\(Int(width - 10))" y1="\(Int(height - 16))" y2="\(Int(height - 16))"/>\
            <text x="0" y="12">\(Int(highest))/min</text><text x="40" y="\(Int(height - 2))">−60 min</text>\
            <text x="\(Int(width - 10))" y="\(Int(height - 2))" text-anchor="end">now</text>\(parts)</svg>
            """
    }
}

/// A model's score distribution as a small box: p05–p95 box, p50 line, min/max whiskers,
/// on an axis shared by the versions of one page, with zero marked.
struct ScoreBox {
    let distribution: ModelListing.ScoreDistribution
    let scale: Scale

    var svg: HTML {
        let d = distribution
        return """
            <svg class="scorebox" xmlns="http://www.w3.org/2000/svg" width="200" height="18">\
            <line class="axis" x1="\(HTML(raw: px(scale(d.min))))" x2="\(HTML(raw: px(scale(d.max))))" y1="9" y2="9"/>\
            <rect x="\(HTML(raw: px(scale(d.p05))))" y="3" width="\(HTML(raw: px(max(scale(d.p95) - scale(d.p05), 1))))" height="12" \
            fill="#dbe8fb" stroke="#2563eb"/><line x1="\(HTML(raw: px(scale(d.p50))))" x2="\(HTML(raw: px(scale(d.p50))))" y1="3" y2="15" \
            stroke="#1e3a8a" stroke-width="2"/><line class="zero" x1="\(HTML(raw: px(scale(0))))" x2="\(HTML(raw: px(scale(0))))" \
            y1="0" y2="18"/><title>p05 \(d.p05, digits: 3), p50 \(d.p50, digits: 3), p95 \(d.p95, digits: 3) \
            (min \(d.min, digits: 3), max \(d.max, digits: 3))</title></svg>
            """
    }
}
