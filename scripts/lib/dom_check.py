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


def check_series(page):
    charts = page.find("svg", **{"class": "chart"})
    assert len(charts) == 1, "one plot"
    readings, flagged = int(charts[0]["data-readings"]), int(charts[0]["data-flagged"])
    lines = page.find("polyline")
    assert len(lines) >= 2, f"a line per feature and the score strip, found {len(lines)}"
    for line in lines:
        points = line["points"].split()
        assert len(points) == int(line["data-points"]) > 0, "every line has its points"
        assert int(line.get("data-drawn-width", "0")) > 100, f"the browser drew the line ({line.get('data-drawn-width')} px wide)"
    circles = page.find("circle", **{"class": "flag"})
    assert flagged > 0, "the demo has flagged readings"
    assert len(circles) == flagged * len(lines), f"{flagged} flagged readings marked on {len(lines)} lines, found {len(circles)}"
    return f"{readings} readings, {sum(int(l['data-points']) for l in lines)} points drawn, {flagged} flagged readings ({len(circles)} marks)"


def check_overview(page):
    heatmaps = page.find("svg", **{"class": "heatmap"})
    assert heatmaps, "the heat map is there"
    devices = int(heatmaps[0]["data-devices"])
    cells = page.find("rect", **{"class": "cell"})
    assert devices > 0 and len(cells) == devices * 24, f"{devices} devices × 24 hours, found {len(cells)} cells"
    bars = page.find("rect", **{"class": "done"})
    assert bars, "throughput bars"
    return f"heat map {devices}×24, {len(bars)} throughput bars"


def check_table(page, table_id, minimum=1):
    rows = [a for t, a in page.elements if t == "tr"]
    assert len(rows) > minimum, f"rows in {table_id}"
    return f"{len(rows) - 1} rows"


def check_models(page):
    boxes = page.find("svg", **{"class": "scorebox"})
    assert boxes, "score distributions drawn"
    return f"{len(boxes)} score distributions"


def check_schedules(page):
    ticks = page.find("table", **{"class": "ticks"})
    assert ticks, "a schedule with its ticks"
    return f"{len(ticks)} schedule(s) with ticks"


def check_health(page):
    tables = [a.get("id") for t, a in page.elements if t == "table"]
    assert "series-health" in tables, f"series health table (tables: {tables})"
    return f"series health of {len([1 for t, a in page.elements if t == 'tr']) - 1} rows in {len(tables)} table(s)"


checks = {
    "overview": check_overview,
    "series": check_series,
    "jobs": lambda page: check_table(page, "jobs"),
    "models": check_models,
    "schedules": check_schedules,
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
