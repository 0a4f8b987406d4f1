import Foundation
import PgClient
import PgScorer

/// `/ingest`: the telemetry coming in through `pgscorer stream` — its gateways, what they
/// took per minute in the last hour, the aggregations that make windows of raw samples
/// and their late samples, the devices silent longest, the latest rejects.
struct IngestPage {
    let activity: IngestActivity

    var body: HTML {
        let alive = activity.gateways.filter(\.alive).count
        let stored = activity.minutes.reduce(0) { $0 + $1.stored }
        return """
            <div class="cards"><div class="card"><b>\(alive)</b><span>gateways alive</span></div>\
            <div class="card"><b>\(stored)</b><span>readings stored in the last hour</span></div>\
            <div class="card"><b>\(activity.rejectedLastHour)</b><span>rejected in the last hour</span></div></div>
            <h2>Gateways</h2>\(gateways)
            <h2>Readings per minute</h2>\(perMinute)
            <h2>Windows</h2>\(windows)
            <h2>Devices silent longest</h2>\(silent)
            <h2>Latest rejected readings</h2>\(rejected)
            """
    }

    /// The aggregations and the series with the most late samples.
    private var windows: HTML {
        guard !activity.aggregations.isEmpty else {
            return "<p class=\"muted\">No aggregation: every series holds readings. <code>pgscorer aggregate add temp_5m --window 5m --sensor temp</code> makes 5-minute readings of raw samples.</p>"
        }
        let rows = activity.aggregations.map { a -> HTML in
            """
            <tr><td>\(a.name)</td><td>\(a.window)\(a.hop == a.window ? "" : " every \(a.hop)")</td><td>\(a.sensors) → \(a.target)</td>\
            <td>\(a.features.joined(separator: ","))</td><td class="num">\(a.sources)</td><td class="num">\(a.openWindows)</td>\
            <td class="num">\(a.closedWindows)</td><td>\(a.lateness), \(a.latePolicy)</td><td class="num">\(a.lateDropped)</td>\
            <td class="num">\(a.lateRecomputed)</td><td>\(a.closedUntil.map { HTML.format(unixMicroseconds: $0.unixMicroseconds) } ?? "-")</td></tr>
            """
        }
        let late = activity.lateSeries.map { series -> HTML in
            """
            <tr><td><a href="/series\(HTML(raw: HTML.query([("device", series.device), ("sensor", series.sensor)])))">\(HTML.series(series.device, series.sensor))</a></td>\
            <td>\(series.aggregation)</td><td class="num">\(series.dropped)</td><td class="num">\(series.recomputed)</td>\
            <td>\(HTML.format(unixMicroseconds: series.lastAt.unixMicroseconds))</td></tr>
            """
        }
        let lateTable: HTML = late.isEmpty
            ? "<p class=\"muted\">No late sample so far.</p>"
            : """
            <table id="late"><tr><th>series</th><th>aggregation</th><th class="num">dropped (dead letters)</th>\
            <th class="num">recomputed</th><th>last late</th></tr>\(late)</table>
            """
        return """
            <table id="aggregations"><tr><th>aggregation</th><th>window</th><th>sensors</th><th>features</th><th class="num">series</th>\
            <th class="num">open</th><th class="num">closed</th><th>lateness, policy</th><th class="num">late dropped</th>\
            <th class="num">late recomputed</th><th>closed until (UTC)</th></tr>\(rows)</table>
            <h3>Series with late samples</h3>\(lateTable)
            """
    }

    private var gateways: HTML {
        guard !activity.gateways.isEmpty else {
            return "<p class=\"muted\">No gateway runs. Start one with <code>pgscorer stream --listen :8086</code> or <code>pgscorer stream --mqtt mqtt://broker:1883 --topic 'plant/{device}/{sensor}'</code>.</p>"
        }
        let rows = activity.gateways.map { gateway -> HTML in
            """
            <tr><td>\(gateway.gatewayID)</td><td><span class="badge \(gateway.alive ? "ok" : "fail")">\(gateway.alive ? "alive" : "not alive")</span></td>\
            <td>\(gateway.inputs)</td><td class="num">\(gateway.received)</td><td class="num">\(gateway.stored)</td>\
            <td class="num">\(gateway.duplicates)</td><td class="num">\(gateway.rejected)</td><td>\(gateway.lastStoredAt)</td></tr>
            """
        }
        return """
            <table id="gateways"><tr><th>gateway</th><th></th><th>inputs</th><th class="num">received</th><th class="num">stored</th>\
            <th class="num">duplicates</th><th class="num">rejected</th><th>last stored</th></tr>\(rows)</table>
            """
    }

    /// A bar per minute of the last hour: stored, with what was rejected on top in red.
    private var perMinute: HTML {
        guard !activity.minutes.isEmpty else { return "<p class=\"muted\">Nothing came in through a gateway in the last hour.</p>" }
        let width = 720.0, height = 120.0, bar = width / 60
        let top = Double(max(1, activity.minutes.map { $0.stored + $0.rejected }.max() ?? 1))
        let now = Date().timeIntervalSince1970
        let bars = activity.minutes.map { minute -> HTML in
            let age = (now - minute.minute.date.timeIntervalSince1970) / 60
            let x = max(0, width - (age + 1) * bar)
            let storedHeight = Double(minute.stored) / top * height, rejectedHeight = Double(minute.rejected) / top * height
            return """
                <g><title>\(minute.minute): \(minute.stored) stored, \(minute.rejected) rejected, \(minute.received) received</title>\
                <rect class="stored" x="\(x, digits: 1)" y="\(height - storedHeight, digits: 1)" width="\(bar - 1, digits: 1)" height="\(storedHeight, digits: 1)" fill="#3b7dd8"></rect>\
                <rect class="rejected" x="\(x, digits: 1)" y="\(height - storedHeight - rejectedHeight, digits: 1)" width="\(bar - 1, digits: 1)" height="\(rejectedHeight, digits: 1)" fill="#c0392b"></rect></g>
                """
        }
        return """
            <svg id="per-minute" width="\(Int(width))" height="\(Int(height) + 16)" role="img" aria-label="readings per minute in the last hour">\
            \(bars)<text x="0" y="\(Int(height) + 13)" font-size="11" fill="#666">60 min ago</text>\
            <text x="\(Int(width) - 24)" y="\(Int(height) + 13)" font-size="11" fill="#666">now</text></svg>
            <p class="muted">Stored (blue) and rejected (red) per minute; highest minute \(Int(top)) readings.</p>
            """
    }

    private var silent: HTML {
        guard !activity.silent.isEmpty else {
            return "<p class=\"muted\">Not known yet: workers keep each series' newest reading every 5 minutes (series health).</p>"
        }
        let rows = activity.silent.map { device -> HTML in
            "<tr><td><a href=\"/series\(HTML(raw: HTML.query([("device", device.device)])))\"><bdi>\(device.device)</bdi></a></td><td>\(device.newestReading)</td><td class=\"num\">\(HTML.duration(device.silentSeconds))</td></tr>"
        }
        return """
            <table id="silent"><tr><th>device</th><th>newest reading</th><th class="num">silent for</th></tr>\(rows)</table>
            <p class="muted">As series health last saw them (\(activity.silentCheckedAt)).</p>
            """
    }

    private var rejected: HTML {
        guard !activity.rejected.isEmpty else { return "<p class=\"muted\">No rejected reading.</p>" }
        let rows = activity.rejected.map { row -> HTML in
            """
            <tr><td>\(row.receivedAt)</td><td>\(row.source)</td><td>\(row.device.map { HTML.series($0, row.sensor ?? "?") } ?? "—")</td>\
            <td><span class="badge warn">\(row.reason)</span></td><td class="error">\(row.detail)</td><td><code>\(row.payload)</code></td></tr>
            """
        }
        return """
            <table id="rejected"><tr><th>received</th><th>via</th><th>series</th><th>reason</th><th>why</th><th>payload</th></tr>\(rows)</table>
            <p class="muted">All of them: <code>SELECT * FROM pgscorer.rejected_readings ORDER BY rejected_id DESC;</code></p>
            """
    }
}
