"""bench/run dashboard: how fast `pgscorer serve` renders its pages on a large fleet.

Builds 10,000 series (real models from `pgscorer demo`, their payloads reused), 1,000
readings and predictions each (10,000,000 predictions), one series with 100,000
readings and predictions, and 24 hourly jobs with their run log per series (240,000
of each), then requests every page over HTTP, one at a time with keep-alive, and
prints p50/p95/max and the page size against the goals: p95 < 300 ms for every page,
< 500 KB for the series page over 100,000 readings.
    bench/run dashboard [--series 10000] [--readings 1000] [--requests 40]"""
import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import time

from benchlib import connect, fresh_database, pgscorer, print_table, save_results

parser = argparse.ArgumentParser()
parser.add_argument("--series", type=int, default=10_000)
parser.add_argument("--readings", type=int, default=1_000, help="readings (and predictions) per series")
parser.add_argument("--long", type=int, default=100_000, help="readings of the one long series")
parser.add_argument("--requests", type=int, default=40, help="timed requests per page")
args = parser.parse_args()


def step(label, statement, params=None):
    started = time.perf_counter()
    with connect() as conn:
        conn.execute(statement, params)
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)


print(f"building the fleet: {args.series:,} series × {args.readings:,} readings and predictions, "
      f"one series of {args.long:,}", flush=True)
fresh_database("pgscorer_bench_dashboard")
pgscorer("demo", "--device-count", "20", "--seed", "1")
devices = (args.series - 100 + 9) // 10
step("series and models (payloads of the demo's real models)", """
    WITH new AS (
        INSERT INTO pgscorer.series (device, sensor, n_features)
        SELECT format('bench-d%%s', lpad(d::text, 4, '0')), format('s%%s', s), 4
        FROM generate_series(1, %(devices)s) d, generate_series(1, 10) s
        RETURNING series_id
    ), donors AS (
        SELECT row_number() OVER () - 1 AS k, kernel, n_support, params, payload, health FROM pgscorer.models
    )
    INSERT INTO pgscorer.models (series_id, version, kernel, n_features, n_support, params, payload, source, active, health,
                                 training_rows, trained_at)
    SELECT n.series_id, 1, d.kernel, 4, d.n_support, d.params, d.payload, 'native', true, d.health, 288, now()
    FROM new n JOIN donors d ON d.k = n.series_id %% 100
""", {"devices": devices})
step("partitions", "SELECT pgscorer.ensure_partitions(now() - interval '100 days', now() + interval '1 day')")
step(f"{args.series * args.readings:,} readings", """
    INSERT INTO pgscorer.readings (series_id, ts, n_features, features)
    SELECT s.series_id, date_trunc('minute', now()) - make_interval(mins => 5 * i), 4,
           ARRAY[20 + 5 * sin(i / 40.0) + random(), random(), random() * 3, random()]
    FROM pgscorer.series s, generate_series(1, %(readings)s) i
    WHERE s.device LIKE 'bench-d%%'
""", {"readings": args.readings})
step(f"{args.series * args.readings:,} predictions", """
    INSERT INTO pgscorer.predictions (series_id, ts, model_id, score, is_anomaly, job_id)
    SELECT r.series_id, r.ts, m.model_id, v.score, v.score < 0, 0
    FROM pgscorer.readings r JOIN pgscorer.models m ON m.series_id = r.series_id AND m.active
    JOIN pgscorer.series s ON s.series_id = r.series_id AND s.device LIKE 'bench-d%'
    CROSS JOIN LATERAL (SELECT 0.2 + 0.15 * (random() + random() + random() - 1.65) AS score) v
""")
step(f"one series of {args.long:,} readings and predictions", """
    WITH s AS (INSERT INTO pgscorer.series (device, sensor, n_features) VALUES ('bench-long', 'signal', 4) RETURNING series_id),
    m AS (
        INSERT INTO pgscorer.models (series_id, version, kernel, n_features, n_support, params, payload, source, active, health)
        SELECT s.series_id, 1, kernel, 4, n_support, params, payload, 'native', true, health FROM s, pgscorer.models LIMIT 1
        RETURNING model_id, series_id
    ), r AS (
        INSERT INTO pgscorer.readings (series_id, ts, n_features, features)
        SELECT m.series_id, date_trunc('minute', now()) - make_interval(mins => i), 4,
               ARRAY[20 + 5 * sin(i / 600.0) + random(), random(), random() * 3, random()]
        FROM m, generate_series(1, %(long)s) i
        RETURNING series_id, ts
    )
    INSERT INTO pgscorer.predictions (series_id, ts, model_id, score, is_anomaly, job_id)
    SELECT r.series_id, r.ts, m.model_id, v.score, v.score < 0, 0
    FROM r JOIN m USING (series_id) CROSS JOIN LATERAL (SELECT 0.2 + 0.15 * (random() + random() + random() - 1.65) AS score) v
""", {"long": args.long})
step(f"{args.series * 24:,} jobs and run-log rows over the last 24 hours", """
    WITH jobs AS (
        INSERT INTO pgscorer.jobs (series_id, model_id, window_start, window_end, state, attempt, created_at, run_at, finished_at)
        SELECT m.series_id, m.model_id, date_trunc('hour', now()) - make_interval(hours => h + 1),
               date_trunc('hour', now()) - make_interval(hours => h), 'completed', 1, now(), now(), now()
        FROM pgscorer.models m, generate_series(0, 23) h
        WHERE m.active
        RETURNING job_id, series_id, window_end
    )
    INSERT INTO pgscorer.job_runs (job_id, series_id, attempt, worker_id, started_at, finished_at, outcome, rows_scored,
                                   anomalies, duration_ms, window_end)
    SELECT job_id, series_id, 1, 'bench', window_end, window_end + interval '2 seconds', 'completed', 12,
           (random() < 0.1)::int + (random() < 0.05)::int, 3, window_end
    FROM jobs
""")
step("analyze", "ANALYZE")
with connect() as conn:
    predictions = conn.execute("SELECT count(*) FROM pgscorer.predictions").fetchone()[0]
    series = conn.execute("SELECT count(*) FROM pgscorer.series").fetchone()[0]
    job_id = conn.execute("SELECT max(job_id) FROM pgscorer.jobs").fetchone()[0]
print(f"  {series:,} series, {predictions:,} predictions\n", flush=True)

with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
serve = subprocess.Popen([os.environ["PGSCORER"], "serve", "--listen", f"127.0.0.1:{port}"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         env={**os.environ, "LOG_LEVEL": "warning"})
line = serve.stdout.readline()
assert "dashboard at" in line, line

pages = [
    ("overview", "/"),
    ("series, 24 h of 1,000 readings", "/series?device=bench-d0001&sensor=s1"),
    ("series, 7 d (1,000 readings)", "/series?device=bench-d0420&sensor=s3&range=7d"),
    (f"series, 90 d ({args.long:,} readings)", "/series?device=bench-long&sensor=signal&range=90d"),
    ("series list", "/series?device=bench-d00*"),
    ("jobs", "/jobs"),
    ("jobs of one device", "/jobs?device=bench-d0500"),
    ("failed jobs (none)", "/jobs?state=failed"),
    ("one job", f"/jobs/{job_id}"),
    ("models, first 50 series", "/models"),
    ("models of one device", "/models?device=bench-d0777"),
    ("schedules", "/schedules"),
]
client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
rows, records = [], []
for name, path in pages:
    times, size = [], 0
    for attempt in range(3 + args.requests):
        started = time.perf_counter()
        client.request("GET", path)
        response = client.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status == 200, f"{path}: {response.status} {body[:300]}"
        size = len(body)
        if attempt >= 3:
            times.append(elapsed)
    times.sort()
    p50, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
    budget = 300
    rows.append([name, f"{p50:.1f}", f"{p95:.1f}", f"{times[-1]:.1f}", f"{p95 / budget:.2f}", f"{size / 1024:,.0f}"])
    records.append({"page": name, "path": path, "p50_ms": p50, "p95_ms": p95, "max_ms": times[-1], "bytes": size})
serve.terminate()
serve.wait()

print(f"pgscorer serve, {args.requests} requests per page after 3 warm-ups ({series:,} series, {predictions:,} predictions):")
print_table(["page", "p50 ms", "p95 ms", "max ms", "p95 / 300 ms", "KB"], rows)
slow = [r["page"] for r in records if r["p95_ms"] >= 300]
long_page = next(r for r in records if r["path"].startswith("/series?device=bench-long"))
print(f"goal p95 < 300 ms on every page: {'met' if not slow else 'NOT met: ' + ', '.join(slow)}")
print(f"goal series page over {args.long:,} readings < 500 KB: {long_page['bytes'] / 1024:,.0f} KB, "
      f"{'met' if long_page['bytes'] < 500 * 1024 else 'NOT met'}")
save_results("dashboard", records, vars(args))
