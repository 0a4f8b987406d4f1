#!/usr/bin/env python3
"""Checks the DOM that headless Chromium dumped for each dashboard page (after its
scripts ran): the plots have their points and their flagged points, the tables their
rows. Usage: dom_check.py FOLDER (holding overview.html, series.html, …). Prints one
line per page and exits 1 if any check fails."""
import html.parser
import pathlib
import sys


class Elements(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements = []  # (tag, attributes)
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def find(self, tag, **wanted):
        return [a for t, a in self.elements if t == tag and all(a.get(k.replace("_", "-")) == v for k, v in wanted.items())]


def load(folder, name):
    parser = Elements()
    parser.feed((folder / f"{name}.html").read_text(encoding="utf-8"))
    return parser


def check_width(page):
    """No page is wider than the 1280-px window it was dumped in."""
    roots = [a for t, a in page.elements if t == "html"]
    width = int(roots[0].get("data-scroll-width", "0")) if roots else 0
    assert 0 < width <= 1280, f"the page is {width} px wide in a 1280-px window"


def check_series(page):
    check_width(page)
    charts = page.find("svg", **{"class": "chart"})
    assert len(charts) == 1, "one plot"
    readings, flagged = int(charts[0]["data-readings"]), int(charts[0]["data-flagged"])
    lines = [a for t, a in page.elements if t == "polyline" and "data-points" in a]
    assert len(lines) >= 2, f"a line per feature and the score strip, found {len(lines)}"
    for line in lines:
        points = line["points"].split()
        assert len(points) == int(line["data-points"]) > 0, "every line has its points"
        assert int(line.get("data-drawn-width", "0")) > 100, f"the browser drew the line ({line.get('data-drawn-width')} px wide)"
    circles = page.find("circle", **{"class": "flag"})
    assert flagged > 0, "the demo has flagged readings"
    assert len(circles) == flagged * len(lines), f"{flagged} flagged readings marked on {len(lines)} lines, found {len(circles)}"
    # The score strip: labels apart, a robust scale whose clipped scores are marked.
    score_label = page.find("text", **{"class": "score-label"})[0]
    zero_label = page.find("text", **{"class": "zero-label"})[0]
    assert abs(float(score_label["y"]) - float(zero_label["y"])) >= 12, "the 'score' label and the 0 tick do not overlap"
    strip = page.find("g", **{"class": "scores"})[0]
    clipped = int(strip["data-clipped"])
    assert len(page.find("path", **{"class": "clipped"})) == clipped, "each clipped score is marked"
    # Time ticks on round times.
    axis = page.find("g", **{"class": "time-axis"})[0]
    step = int(axis["data-step"])
    ticks = page.find("text", **{"class": "tick"})
    assert 2 <= len(ticks) <= 9 and all(int(t["data-at"]) % step == 0 for t in ticks), f"ticks every {step} s on round times"
    # The versions table: a header for every column, each version's role.
    headers = [t for t in page.text if t.strip()]
    roles = page.find("table", id="versions")
    assert roles, "the versions table"
    assert "role" in headers and "champion" in headers, "the versions table names each version's role"
    # The demo's readings are windows of raw samples: the samples are drawn beneath them.
    samples = page.find("svg", **{"class": "chart samples"})
    assert samples and int(samples[0]["data-samples"]) > 0, "the raw samples beneath the aggregated readings"
    assert page.find("polyline", **{"class": "samples-mean"}), "a line through the samples' means"
    return (f"{readings} readings, {sum(int(l['data-points']) for l in lines)} points drawn, {flagged} flagged readings "
            f"({len(circles)} marks), {clipped} clipped scores, {len(ticks)} ticks every {step // 60} min, "
            f"{samples[0]['data-samples']} raw samples beneath")


def check_overview(page):
    check_width(page)
    assert page.find("svg", **{"class": "heatmap-legend"}), "the heat map has a legend"
    heatmaps = page.find("svg", **{"class": "heatmap"})
    assert heatmaps, "the heat map is there"
    devices = int(heatmaps[0]["data-devices"])
    cells = page.find("rect", **{"class": "cell"})
    assert devices > 0 and len(cells) == devices * 24, f"{devices} devices × 24 hours, found {len(cells)} cells"
    bars = page.find("rect", **{"class": "done"})
    assert bars, "throughput bars"
    return f"heat map {devices}×24, {len(bars)} throughput bars"


def check_table(page, table_id, minimum=1):
    check_width(page)
    rows = [a for t, a in page.elements if t == "tr"]
    assert len(rows) > minimum, f"rows in {table_id}"
    return f"{len(rows) - 1} rows"


def check_models(page):
    check_width(page)
    boxes = page.find("svg", **{"class": "scorebox"})
    assert boxes, "score distributions drawn"
    return f"{len(boxes)} score distributions"


def check_schedules(page):
    check_width(page)
    ticks = page.find("table", **{"class": "ticks"})
    assert ticks, "a schedule with its ticks"
    return f"{len(ticks)} schedule(s) with ticks"


def check_health(page):
    check_width(page)
    tables = [a.get("id") for t, a in page.elements if t == "table"]
    assert "series-health" in tables, f"series health table (tables: {tables})"
    badges = [t for t in page.text if t.strip() in ("stale", "rate_spike", "score_shift", "drift") or "," in t.strip() and t.strip().split(",")[0] in ("stale", "rate_spike", "score_shift", "drift")]
    reasons = [t for t in page.text if ":" in t and t.split(":")[0].strip() in ("stale", "rate spike", "score shift", "drift")]
    assert len(reasons) >= len(badges), f"every unhealthy series says why ({len(badges)} badges, {len(reasons)} reasons)"
    return f"series health of {len([1 for t, a in page.elements if t == 'tr']) - 1} rows in {len(tables)} table(s)"


def check_ingest(page):
    check_width(page)
    check_table(page, "gateways")
    check_table(page, "rejected")
    assert page.find("table", id="aggregations"), "the demo's aggregation in the windows table"
    bars = page.find("rect", **{"class": "stored"})
    assert bars, "a bar of readings stored per minute"
    assert any(float(b["height"]) > 0 for b in bars), "a bar with height"
    return f"{len(bars)} minute bar(s), gateways and rejected readings"


def check_missing(page):
    text = " ".join(page.text)
    assert "Not found" in text and "There is no page at /nosuchpage" in text, "a page that says the path names no page"
    return "a 404 page that says so"


checks = {
    "overview": check_overview,
    "missing": check_missing,
    "series": check_series,
    "jobs": lambda page: check_table(page, "jobs"),
    "models": check_models,
    "schedules": check_schedules,
    "ingest": check_ingest,
    "health": check_health,
}
folder = pathlib.Path(sys.argv[1])
passed = failed = 0
for name, check in checks.items():
    try:
        print(f"  {name}: {check(load(folder, name))}")
        passed += 1
    except (AssertionError, KeyError, ValueError, FileNotFoundError) as problem:
        print(f"  {name}: FAILED: {problem}")
        failed += 1
print(f"browser check: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
