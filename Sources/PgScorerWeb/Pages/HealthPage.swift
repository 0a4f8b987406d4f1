import Foundation
import PgClient
import PgScorer

/// `/health`: what cannot be trusted — open alerts (with their webhook delivery), held
/// series, models whose health check warns or fails, and series health.
struct HealthPage {
    let health: FleetHealth
    let selector: SeriesSelector

    var body: HTML {
        """
        <div class="cards"><div class="card"><b>\(health.alerts.count)</b><span>open alerts</span></div>\
        <div class="card"><b>\(health.held.count)</b><span>held series</span></div>\
        <div class="card"><b>\(health.models.filter { $0.active && $0.health == "fail" }.count)</b><span>failing active models</span></div>\
        <div class="card"><b>\(health.models.count)</b><span>models warn or fail</span></div></div>
        <h2>Open alerts</h2>\(alerts)
        <h2>Held series</h2>\(held)
        <h2>Models that cannot be trusted</h2>\(models)
        <h2>Series health</h2>\(series)
        """
    }

    private var alerts: HTML {
        guard !health.alerts.isEmpty else { return "<p class=\"muted\">No open alert.</p>" }
        let rows = health.alerts.map { alert -> HTML in
            """
            <tr><td>\(alert.openedAt)</td><td>\(alert.rule)</td><td><span class="badge fail">\(alert.kind)</span></td>\
            <td><a href="/series\(HTML(raw: HTML.query([("device", alert.device), ("sensor", alert.sensor)])))">\(HTML.series(alert.device, alert.sensor))</a></td>\
            <td>\(alert.acknowledgedAt == nil ? "" : "acknowledged")</td><td>\(delivery(alert.alertID))</td>\
            <td class="error">\(String(alert.evidence.prefix(240)))</td></tr>
            """
        }
        return """
            <table id="alerts"><tr><th>opened</th><th>rule</th><th>kind</th><th>series</th><th></th><th>webhook</th><th>evidence</th></tr>\(rows)</table>
            """
    }

    private func delivery(_ alertID: Int64) -> HTML {
        guard let delivery = health.deliveries[alertID] else { return "<span class=\"muted\">—</span>" }
        if delivery.deliveredAt != nil { return "<span class=\"badge ok\">delivered</span>" }
        if delivery.failedAt != nil { return "<span class=\"badge fail\" title=\"\(delivery.lastError ?? "")\">given up</span>" }
        return "<span class=\"badge warn\" title=\"\(delivery.lastError ?? "")\">retrying (\(delivery.attempts))</span>"
    }

    private var held: HTML {
        guard !health.held.isEmpty else { return "<p class=\"muted\">No held series.</p>" }
        let rows = health.held.map { series -> HTML in
            "<tr><td>\(HTML.series(series.device, series.sensor))</td><td class=\"num\">\(series.consecutive)</td><td>\(series.heldSince)</td><td class=\"error\">\(series.lastError)</td></tr>"
        }
        return """
            <p class="muted">Ticks skip these until pgscorer series resume or a new active model.</p>
            <table><tr><th>series</th><th class="num">failures in a row</th><th>held since</th><th>last error</th></tr>\(rows)</table>
            """
    }

    private var models: HTML {
        guard !health.models.isEmpty else { return "<p class=\"muted\">Every checked model passed.</p>" }
        let rows = health.models.map { model -> HTML in
            """
            <tr><td><a href="/models\(HTML(raw: HTML.query([("device", model.device), ("sensor", model.sensor)])))">\(HTML.series(model.device, model.sensor))</a></td>\
            <td class="num">\(model.version)</td><td>\(model.active ? "active" : "")</td>\
            <td><span class="badge \(model.health)">\(model.health)</span></td><td class="error">\(model.reasons)</td></tr>
            """
        }
        return "<table id=\"unhealthy-models\"><tr><th>series</th><th class=\"num\">version</th><th></th><th>health</th><th>reasons</th></tr>\(rows)</table>"
    }

    private var series: HTML {
        let form: HTML = """
            <form class="filters" method="get" action="/health">device <input name="device" value="\(selector.device)" size="16"> \
            sensor <input name="sensor" value="\(selector.sensor)" size="12"> <button>check</button></form>
            """
        guard let rows = health.series else {
            return """
                \(form)<p class="muted">\(health.seriesCount) series, and no worker has kept their health yet (every 5 minutes): \
                choose devices or sensors (* matches any run) to check them now.</p>
                """
        }
        let unhealthy = rows.filter { $0.health != "ok" }
        let shown = rows.prefix(300).map { row -> HTML in
            """
            <tr><td><a href="/series\(HTML(raw: HTML.query([("device", row.device), ("sensor", row.sensor)])))">\(HTML.series(row.device, row.sensor))</a></td>\
            <td><span class="badge \(row.health == "ok" ? "ok" : "fail")">\(row.health)</span></td>\
            <td class="reason">\(Self.reasons(row, now: Date()))</td><td>\(row.newestReading)</td>\
            <td class="num">\(row.recentScored)</td><td class="num">\(row.recentRate.map(HTML.percent) ?? "—")</td>\
            <td class="num">\(row.baselineRate.map(HTML.percent) ?? "—")</td></tr>
            """
        }
        return """
            \(form)<p class="muted">\(unhealthy.count) of \(rows.count) series need a look (stale, rate_spike, score_shift, drift)\
            \(HTML(raw: health.checkedAt.map { " — as the workers last kept it, at " + HTML.escape(HTML.format($0)) + " UTC" } ?? ", checked now")).</p>
            <table id="series-health"><tr><th>series</th><th>health</th><th>why</th><th>newest reading</th><th class="num">recent scored</th>\
            <th class="num">recent rate</th><th class="num">baseline rate</th></tr>\(shown)</table>
            """
    }

    /// Each problem of a series in words, with the figures behind it ("" when healthy).
    static func reasons(_ row: SeriesHealthRow, now: Date) -> String {
        guard row.health != "ok" else { return "" }
        return row.health.split(separator: ",").map { problem -> String in
            switch problem {
            case "stale":
                guard let newest = row.newestReading else { return "stale: no reading yet" }
                return "stale: the newest reading is \(HTML.duration(now.timeIntervalSince1970 - Double(newest.unixMicroseconds) / 1e6)) old"
            case "rate_spike":
                return "rate spike: \(row.recentRate.map(HTML.percent) ?? "?") anomalous lately against \(row.baselineRate.map(HTML.percent) ?? "?") before"
            case "score_shift":
                return String(format: "score shift: median score %.3f lately against %.3f before", row.recentMedianScore ?? .nan, row.baselineMedianScore ?? .nan)
            case "drift":
                return "drift: the readings moved away from those the model was trained on"
            default:
                return String(problem)
            }
        }.joined(separator: "; ")
    }
}
