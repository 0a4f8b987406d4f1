/// The frame every page shares: navigation, styles, and the tag of the one script
/// (`PageScript`, served by the same server). Nothing from elsewhere: the pages work offline.
enum Layout {
    enum Section: String, CaseIterable {
        case overview = "Overview", series = "Series", jobs = "Jobs", models = "Models", schedules = "Schedules", ingest = "Ingest", health = "Health"

        var path: String {
            switch self {
            case .overview: "/"
            case .series: "/series"
            case .jobs: "/jobs"
            case .models: "/models"
            case .schedules: "/schedules"
            case .ingest: "/ingest"
            case .health: "/health"
            }
        }
    }

    /// `attention`: open alerts, held series and failing active models, badged on Health.
    static func page(title: String, section: Section, actionsAllowed: Bool, attention: Int? = nil, refresh: Bool = true, _ body: HTML) -> HTML {
        let navigation = Section.allCases.map { item -> HTML in
            let badge: HTML = item == .health && (attention ?? 0) > 0
                ? "<span class=\"badge fail\" id=\"attention\" title=\"open alerts, held series, failing active models\">\(attention ?? 0)</span>" : ""
            return item == section
                ? "<a class=\"here\" href=\"\(item.path)\">\(item.rawValue)\(badge)</a>" : "<a href=\"\(item.path)\">\(item.rawValue)\(badge)</a>"
        }
        let mode: HTML = actionsAllowed ? "<span class=\"badge warn\">actions enabled</span>" : "<span class=\"badge\">read-only</span>"
        let refresher: HTML = refresh
            ? """
            <label class="refresh"><input type="checkbox" id="autorefresh"> refresh every 10 s</label>
            """ : ""
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · PgScorer</title><style>\(HTML(raw: style))</style>\(PageScript.tag)</head>
            <body><header><b>PgScorer</b><nav>\(navigation)</nav>\(mode)\(refresher)</header>
            <main><h1>\(title)</h1>
            \(body)
            </main></body></html>
            """
    }

    static let style = """
        body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d232a;background:#f6f7f9}
        header{display:flex;gap:18px;align-items:center;padding:8px 20px;background:#1f2d3d;color:#fff}
        header nav a{color:#cfd8e3;text-decoration:none;margin-right:14px}header nav a.here{color:#fff;font-weight:600}header nav .badge{margin-left:4px}
        .refresh{margin-left:auto;font-size:12px;color:#cfd8e3}
        main{padding:12px 20px 40px}h1{font-size:20px;margin:6px 0 12px}h2{font-size:16px;margin:22px 0 8px}
        table{border-collapse:collapse;background:#fff;font-size:13px}td,th{padding:4px 9px;border-bottom:1px solid #e3e6ea;text-align:left;vertical-align:top}
        th{background:#eef1f4;font-weight:600}td{white-space:nowrap}td.error{white-space:pre-wrap;max-width:520px}td.wrap,td.reason{white-space:normal;max-width:300px}
        .wide{max-width:100%;overflow-x:auto}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
        .cards{display:flex;flex-wrap:wrap;gap:12px}.card{background:#fff;border:1px solid #e3e6ea;border-radius:6px;padding:8px 14px;min-width:110px}
        a.card{color:inherit;text-decoration:none}a.card:hover{border-color:#2563eb}.card b{display:block;font-size:22px}.card span{color:#5b6673;font-size:12px}
        .badge{font-size:11px;padding:2px 7px;border-radius:9px;background:#e3e6ea;color:#1d232a}
        .ok{background:#d8f0df;color:#14532d}.warn{background:#fdf0c8;color:#713f12}.fail,.failed{background:#fbd5d5;color:#7f1d1d}
        .running{background:#dbe8fb;color:#1e3a8a}.available,.retryable{background:#eef1f4}
        form.inline{display:inline}button{font:inherit;font-size:12px;padding:2px 9px;cursor:pointer}
        .muted{color:#6b7480}.error{color:#9b1c1c;white-space:pre-wrap}a{color:#1d4ed8}.filters{margin:6px 0 12px}.filters input,.filters select{font:inherit;font-size:13px}
        svg text{font:11px system-ui,sans-serif;fill:#5b6673}svg .axis{stroke:#c7cdd4}svg .zero{stroke:#b91c1c;stroke-dasharray:4 3}
        svg .flag{fill:#dc2626}svg .change{stroke:#7c3aed;stroke-dasharray:2 2}svg .lane{fill:#fff;stroke:#e3e6ea}
        """
}
