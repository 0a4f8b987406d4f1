import PgClient
import PgScorer

/// `/series?device=D&sensor=S[&range=24h][&feature=N]`: one series' readings over a time
/// range with the flagged readings, the score strip and model changes, and its anomaly
/// episodes. Without a series: a list to pick one from.
struct SeriesPage {
    static let ranges: [(name: String, duration: Duration)] = [
        ("1h", .seconds(3600)), ("6h", .seconds(6 * 3600)), ("24h", .seconds(86400)), ("7d", .seconds(7 * 86400)),
        ("30d", .seconds(30 * 86400)), ("90d", .seconds(90 * 86400)), ("1y", .seconds(365 * 86400)),
    ]

    static func span(named name: String?) -> Duration? {
        guard let name else { return .seconds(86400) }
        return ranges.first { $0.name == name }?.duration
    }

    static func picker(device: String?, sensor: String?, range: String?, feature: Int?, featureCount: Int?, until: String?) -> HTML {
        let options = ranges.map { item -> HTML in
            "<option\(HTML(raw: item.name == (range ?? "24h") ? " selected" : ""))>\(item.name)</option>"
        }
        var featureOptions: [HTML] = ["<option value=\"\">all</option>"]
        for index in 0..<(featureCount ?? 0) {
            featureOptions.append("<option value=\"\(index)\"\(HTML(raw: feature == index ? " selected" : ""))>\(index)</option>")
        }
        return """
            <form class="filters" method="get" action="/series">device <input name="device" value="\(device)" size="18"> \
            sensor <input name="sensor" value="\(sensor)" size="14"> range <select name="range">\(options)</select> \
            feature <select name="feature">\(featureOptions)</select> \
            ending <input name="until" value="\(until)" size="20" placeholder="newest reading"> <button>show</button></form>
            """
    }

    static func body(trace: SeriesTrace, samples: SampleTrace?, range: String?, feature: Int?) -> HTML {
        let scored = trace.scores.reduce(0) { $0 + ($1 == nil ? 0 : 1) }
        let flagged = trace.flags.reduce(0) { $0 + ($1 ? 1 : 0) }
        let active = trace.versions.first { $0.modelID == trace.activeModelID }
        let summary: HTML = """
            <p class="muted">\(HTML.format(unixMicroseconds: trace.from.unixMicroseconds)) to \
            \(HTML.format(unixMicroseconds: trace.to.unixMicroseconds)) UTC: \(trace.timestamps.count) readings, \(scored) scored, \
            <b class="flagcount">\(flagged)</b> flagged. Active model: \(active.map { "version \($0.version)" } ?? "none")\
            \(HTML(raw: active?.health.map { " (<span class=\"badge \($0)\">\($0)</span>)" } ?? "")). \
            Series data from \(trace.oldest) to \(trace.newest).</p>
            """
        let chart: HTML = trace.timestamps.isEmpty
            ? "<p class=\"muted\">No readings in this range.</p>" : SeriesChart(trace: trace, feature: feature).svg
        let episodes = trace.episodes
        let episodeRows = episodes.suffix(200).reversed().map { episode -> HTML in
            """
            <tr><td>\(HTML.format(unixMicroseconds: episode.start))</td><td>\(HTML.format(unixMicroseconds: episode.end))</td>\
            <td class="num">\(episode.readings)</td><td class="num">\(episode.lowestScore, digits: 4)</td></tr>
            """
        }
        let episodeTable: HTML = episodes.isEmpty
            ? "<p class=\"muted\">No flagged reading in this range.</p>"
            : """
            <p class="muted">\(episodes.count) episodes\(HTML(raw: episodes.count > 200 ? ", the newest 200 shown" : "")).</p>
            <table id="episodes"><tr><th>from</th><th>to</th><th class="num">readings</th><th class="num">lowest score</th></tr>\(episodeRows)</table>
            """
        let versions = trace.versions.reversed().map { version -> HTML in
            """
            <tr><td>\(version.version)</td><td>\(version.modelID)</td><td>\(version.active ? "champion" : version.challenger ? "challenger" : "stored")</td>\
            <td><span class="badge \(version.health ?? "")">\(version.health ?? "unchecked")</span></td></tr>
            """
        }
        return """
            \(summary)\(chart)
            <p class="muted">Blue: readings (downsampled per pixel column on long ranges, extremes kept). Red dots: flagged \
            readings. Green: the score, flagged below the red zero line. Violet dashes: the scoring model changed.</p>
            \(samples.map { Self.samplesSection($0, trace: trace) } ?? "")
            <h2>Anomaly episodes</h2>\(episodeTable)
            <h2>Model versions</h2><table id="versions"><tr><th>version</th><th>model</th><th>role</th><th>health</th></tr>\(versions)</table>
            <p><a href="/models\(HTML(raw: HTML.query([("device", trace.device), ("sensor", trace.sensor)])))">models of this series</a> · \
            <a href="/jobs\(HTML(raw: HTML.query([("device", trace.device), ("sensor", trace.sensor)])))">jobs of this series</a></p>
            """
    }

    /// The raw samples beneath an aggregated series' readings, on the same time axis.
    static func samplesSection(_ samples: SampleTrace, trace: SeriesTrace) -> HTML {
        let made = samples.aggregation.map { name -> HTML in
            let window = samples.windowMicroseconds.map { DurationText.format(.microseconds($0)) } ?? "?"
            return "the \(window) windows of aggregation <b>\(name)</b>"
        } ?? "an aggregation since removed"
        let chart: HTML = samples.buckets.isEmpty
            ? "<p class=\"muted\">No raw samples in this range (retention may have dropped them).</p>"
            : SamplesChart(samples: samples, from: trace.from.unixMicroseconds, to: trace.to.unixMicroseconds).svg
        return """
            <h2 id="raw-samples">Raw samples</h2>
            <p class="muted">Each reading above is one of \(made) over the raw samples of \
            <a href="/series\(HTML(raw: HTML.query([("device", samples.sourceDevice), ("sensor", samples.sourceSensor)])))">\(HTML.series(samples.sourceDevice, samples.sourceSensor))</a>, \
            stamped with the window's end: \(samples.sampleCount) samples in this range. Light bars: lowest to highest sample; \
            line: their mean (per \(DurationText.format(.microseconds(samples.bucketMicroseconds)))); faint ticks: window ends.</p>
            \(chart)
            """
    }

    static func list(_ series: [SeriesListing], limit: Int) -> HTML {
        guard !series.isEmpty else { return "<p class=\"muted\">No series matches.</p>" }
        let rows = series.map { item -> HTML in
            """
            <tr><td><a href="/series\(HTML(raw: HTML.query([("device", item.device), ("sensor", item.sensor)])))">\(HTML.series(item.device, item.sensor))</a></td>\
            <td class="num">\(item.features)</td><td class="num">\(item.activeVersion.map(String.init) ?? "none")</td></tr>
            """
        }
        let note: HTML = series.count >= limit ? "<p class=\"muted\">The first \(limit); narrow with device or sensor (* matches any run).</p>" : ""
        return "\(note)<table><tr><th>series</th><th class=\"num\">features</th><th class=\"num\">active version</th></tr>\(rows)</table>"
    }
}
