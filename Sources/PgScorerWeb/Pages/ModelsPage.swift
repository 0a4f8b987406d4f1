import Kernels
import PgClient
import PgScorer

/// `/models`: model versions per series with training facts, health and the
/// distribution of the scores each gave; an activate button when actions are allowed.
struct ModelsPage {
    let actions: ActionForms?

    func body(_ entries: [ModelListing.Entry], comparisons: [ModelLifecycle.Comparison], selector: SeriesSelector, seriesLimit: Int) -> HTML {
        let form: HTML = """
            <form class="filters" method="get" action="/models">device <input name="device" value="\(selector.device)" size="16"> \
            sensor <input name="sensor" value="\(selector.sensor)" size="12"> <button>filter</button> \
            <span class="muted">(* matches any run of characters)</span></form>
            """
        guard !entries.isEmpty else { return "\(form)<p class=\"muted\">No model matches.</p>" }
        let distributions = entries.compactMap(\.scores)
        let scale = Scale.padded(distributions.flatMap { [$0.p05, $0.p95] }, from: 4, to: 196, including: [0])
        let rows = entries.map { entry -> HTML in
            let model = entry.version
            // The reasons as words, not as the JSON array they are stored as.
            let reasons = ((try? JSONValue.parse(Array(model.healthReasons.utf8))).flatMap { value -> [String]? in
                guard case .array(let items) = value else { return nil }
                return items.map { if case .string(let text) = $0 { text } else { $0.serialized } }
            } ?? [model.healthReasons]).joined(separator: "; ")
            let scores: HTML = entry.scores.map { distribution in
                "\(ScoreBox(distribution: distribution, scale: scale).svg) <span class=\"muted\">\(distribution.scored) scored, \(HTML.percent(distribution.anomalyRate)) flagged</span>"
            } ?? "<span class=\"muted\">not scored</span>"
            let activate: HTML =
                model.active || actions == nil ? "" : actions!.button("/models/\(model.modelID)/activate", label: "activate")
            return """
                <tr><td><a href="/series\(HTML(raw: HTML.query([("device", model.device), ("sensor", model.sensor)])))">\(HTML.series(model.device, model.sensor))</a></td>\
                <td class="num">\(model.version)</td><td>\(model.active ? "champion" : model.challenger ? "challenger" : "")\(activate)</td>\
                <td class="wrap"><span class="badge \(model.health ?? "")">\(model.health ?? "unchecked")</span> <span class="muted">\(reasons)</span></td>\
                <td class="wrap">\(model.kernel), \(model.features) feature(s), \(model.supportVectors) SV, \(model.source)</td>\
                <td class="num">\(model.trainingRows.map(String.init) ?? "—")</td>\
                <td class="num">\(model.fitSeconds.map { HTML.duration($0) } ?? "—")</td><td>\(model.createdAt)</td><td>\(scores)</td></tr>
                """
        }
        let seriesCount = Set(entries.map(\.seriesID)).count
        let note: HTML = seriesCount >= seriesLimit ? "<p class=\"muted\">The first \(seriesLimit) series by name; narrow with device or sensor.</p>" : ""
        return """
            \(form)\(note)\(compared(comparisons))
            <div class="wide"><table id="models"><tr><th>series</th><th class="num">version</th><th>role</th><th>health</th><th>model</th>\
            <th class="num">training rows</th><th class="num">fit</th><th>created</th><th>scores (p05–p95 box, p50, zero dashed)</th></tr>\(rows)</table></div>
            """
    }

    /// Champion against challenger for the series of the page that have one.
    private func compared(_ comparisons: [ModelLifecycle.Comparison]) -> HTML {
        guard !comparisons.isEmpty else { return "" }
        func share(_ value: Double?) -> String { value.map(HTML.percent) ?? "—" }
        let rows = comparisons.map { c -> HTML in
            """
            <tr><td>\(HTML.series(c.device, c.sensor))</td><td class="num">\(c.championVersion.map { "v\($0)" } ?? "—")</td>\
            <td class="num">v\(c.challengerVersion) <span class="badge \(c.challengerHealth ?? "")">\(c.challengerHealth ?? "unchecked")</span></td>\
            <td class="num">\(c.readings)</td><td class="num">\(share(c.agreement))</td><td class="num">\(share(c.championRate))</td>\
            <td class="num">\(share(c.challengerRate))</td><td class="num">\(c.scoreCorrelation.map { String(format: "%.4f", $0) } ?? "—")</td></tr>
            """
        }
        return """
            <h2>Champion and challenger</h2><p class="muted">Over the readings both scored (shadow scoring). Promote with \
            <code>pgscorer models promote --min-agreement 0.99</code> or <code>SELECT pgscorer.promote_challenger(series_id)</code>.</p>
            <table id="comparisons"><tr><th>series</th><th class="num">champion</th><th class="num">challenger</th><th class="num">readings</th>\
            <th class="num">agreement</th><th class="num">champion rate</th><th class="num">challenger rate</th>\
            <th class="num">score correlation</th></tr>\(rows)</table><h2>Versions</h2>
            """
    }
}
