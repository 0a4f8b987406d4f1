#!/usr/bin/env python3
"""bench/run windows: raw samples into windows, three cases, each from a fresh database.

close   10,000,000 samples of 10,000 series (one every 10 s) into 5-minute windows with
        mean, min, max, std, count. The samples go into pgscorer.samples in time-ordered
        batches of 100,000 (as ingest and the gateway send them; the trigger merges each
        batch into its windows' state), then `pgscorer aggregate run` closes every window.
        Floors, same run: the same batches into a plain table with the same key, and one
        `INSERT … SELECT … GROUP BY` over those samples.
stream  a steady stream (--rate samples/s, default 100,000) through `pgscorer ingest -`,
        one batch a second with the devices' current time, 10-second windows closed by a
        running `pgscorer worker`; every second the lag of the closed windows behind the
        clock (now − the oldest device's closed_until) is sampled, for --duration seconds.
late    1,000 late samples, one in a closed and scored window of each of 1,000 series
        (late recompute): from the commit of the late samples until every rewritten reading
        has its new prediction (`pgscorer aggregate run`, then `pgscorer worker`).
--runs repeats each case; medians with min–max."""
import argparse
import datetime
import os
import random
import statistics
import subprocess
import threading
import time

from benchlib import Samples, connect, execute, fresh_database, pgscorer, print_table, save_results, scalar

EPOCH = datetime.datetime(2026, 11, 30, tzinfo=datetime.timezone.utc)


def fresh(name):
    """A fresh database `name`, made from the maintenance database (not from the one the
    previous case left in PGDATABASE, which may be `name` itself)."""
    os.environ["PGDATABASE"] = "postgres"
    fresh_database(name)


def close_case(series, per_series, batch):
    """Returns (load seconds, close seconds, plain load seconds, GROUP BY seconds, windows)."""
    fresh("bench_windows")
    pgscorer("migrate")
    pgscorer("aggregate", "add", "s5m", "--window", "5m", "--features", "mean,min,max,std,count", "--sensor", "s", "--lateness", "0s")
    devices = series
    with connect() as conn:
        conn.execute("INSERT INTO pgscorer.series (device, sensor, n_features) "
                     "SELECT 'dev-' || g, 's', 1 FROM generate_series(1, %s) g", (devices,))
        conn.execute("SELECT pgscorer.ensure_partitions(%s, %s)", (EPOCH, EPOCH + datetime.timedelta(seconds=10 * per_series)))
        conn.execute("CREATE TABLE plain (series_id int8, ts timestamptz, n_features int2, features float8[], PRIMARY KEY (series_id, ts))")
    total = series * per_series
    steps_per_batch = max(1, batch // series)
    load = plain = 0.0
    with connect() as conn:
        for first in range(0, per_series, steps_per_batch):
            last = min(per_series, first + steps_per_batch) - 1
            select = ("SELECT s.series_id, %s::timestamptz + k * interval '10 seconds', 1::int2, "
                      "ARRAY[20 + 5 * sin(k / 100.0 + s.series_id) + (hashint8(s.series_id * 1000000 + k) %% 1000) / 1000.0] "
                      "FROM pgscorer.series s, generate_series(%s::int, %s::int) k WHERE s.sensor = 's'")
            started = time.perf_counter()
            conn.execute("INSERT INTO pgscorer.samples " + select, (EPOCH, first, last))
            load += time.perf_counter() - started
            started = time.perf_counter()
            conn.execute("INSERT INTO plain " + select, (EPOCH, first, last))
            plain += time.perf_counter() - started
        conn.execute("VACUUM ANALYZE plain")
        conn.execute("VACUUM ANALYZE pgscorer.windows")
    # Every device is silent now: idle close closes the last windows too.
    execute("UPDATE pgscorer.aggregations SET idle_close = '1 second'")
    time.sleep(1.1)
    closed_seconds, output = pgscorer("aggregate", "run")
    windows = scalar("SELECT count(*) FROM pgscorer.readings")
    expected = scalar("SELECT count(DISTINCT (series_id, date_bin('5 min', ts, 'epoch'))) FROM plain")
    if windows != expected or scalar("SELECT count(*) FROM pgscorer.samples") != total:
        raise SystemExit(f"closed {windows} windows, expected {expected}:\n{output}")
    with connect() as conn:
        conn.execute("CREATE TABLE floor_out (series_id int8, ts timestamptz, features float8[])")
        started = time.perf_counter()
        conn.execute("INSERT INTO floor_out SELECT series_id, date_bin('5 min', ts, 'epoch') + interval '5 min', "
                     "ARRAY[avg(features[1]), min(features[1]), max(features[1]), coalesce(stddev_samp(features[1]), 0), count(*)] "
                     "FROM plain GROUP BY series_id, date_bin('5 min', ts, 'epoch')")
        group_by = time.perf_counter() - started
        # The readings equal the floor's aggregates.
        worst = conn.execute("SELECT max(abs(r.features[4] - f.features[4]) / greatest(1, abs(f.features[4]))) "
                             "FROM pgscorer.readings r JOIN pgscorer.series t ON t.series_id = r.series_id "
                             "JOIN floor_out f ON f.series_id = t.source_series_id AND f.ts = r.ts").fetchone()[0]
        if worst is None or worst > 1e-12:
            raise SystemExit(f"readings differ from the GROUP BY floor: worst relative std difference {worst}")
    return load, closed_seconds, plain, group_by, windows


def stream_case(rate, duration, series):
    """Returns the lag samples (seconds) and the samples stored per second."""
    fresh("bench_windows_stream")
    pgscorer("migrate")
    pgscorer("aggregate", "add", "s10s", "--window", "10s", "--features", "mean,min,max,std,count", "--sensor", "s",
             "--lateness", "2s")
    env = {**os.environ, "LOG_LEVEL": "warning"}
    worker = subprocess.Popen([os.environ["PGSCORER"], "worker", "--concurrency", "1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lags, stop = [], threading.Event()

    def watch():
        with connect() as conn:
            while not stop.wait(1.0):
                lag = conn.execute("SELECT extract(epoch FROM now() - min(closed_until)) FROM pgscorer.aggregation_devices "
                                   "WHERE closed_until > '-infinity'").fetchone()[0]
                if lag is not None:
                    lags.append(float(lag))

    watcher = threading.Thread(target=watch)
    per_tick = rate  # one batch a second
    per_series = max(1, per_tick // series)
    late_batches = 0
    started = time.monotonic()
    watcher.start()
    try:
        tick = 0
        while time.monotonic() - started < duration:
            due = started + tick
            now = time.time()
            if now < due:
                time.sleep(due - now)
            else:
                late_batches += now - due > 1
            base = datetime.datetime.now(datetime.timezone.utc)
            lines = ["device,sensor,ts,value"]
            for k in range(per_series):
                ts = (base - datetime.timedelta(seconds=1) + datetime.timedelta(seconds=k / per_series)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                value = f"{20 + random.random():.4f}"
                lines.extend(f"dev-{s},s,{ts},{value}" for s in range(series))
            done = subprocess.run([os.environ["PGSCORER"], "ingest", "-"], input="\n".join(lines) + "\n", capture_output=True,
                                  text=True, env=env)
            if done.returncode != 0:
                raise SystemExit(f"ingest failed:\n{done.stdout}{done.stderr}")
            tick += 1
    finally:
        stop.set()
        watcher.join()
        worker.terminate()
        worker.wait()
    elapsed = time.monotonic() - started
    stored = scalar("SELECT count(*) FROM pgscorer.samples")
    return lags, stored / elapsed, late_batches


def late_case(series):
    """Returns seconds from the late samples' commit until every rewritten reading is re-scored."""
    fresh("bench_windows_late")
    pgscorer("migrate")
    pgscorer("aggregate", "add", "s5m", "--window", "5m", "--features", "mean,min,max,std", "--sensor", "s",
             "--lateness", "0s", "--late", "recompute")
    with connect() as conn:
        conn.execute("INSERT INTO pgscorer.series (device, sensor, n_features) SELECT 'dev-' || g, 's', 1 FROM generate_series(1, %s) g",
                     (series,))
        conn.execute("SELECT pgscorer.ensure_partitions(%s, %s)", (EPOCH, EPOCH + datetime.timedelta(days=1)))
        # Two hours of a sample every 10 s: 24 windows per series.
        conn.execute("INSERT INTO pgscorer.samples SELECT s.series_id, %s::timestamptz + k * interval '10 seconds', 1, "
                     "ARRAY[20 + sin(k / 30.0) + random()] FROM pgscorer.series s, generate_series(0, 719) k WHERE s.sensor = 's'",
                     (EPOCH,))
    execute("UPDATE pgscorer.aggregations SET idle_close = '1 second'")
    time.sleep(1.1)
    pgscorer("aggregate", "run")
    pgscorer("train", "--sensor", "s_5m", "--nu", "0.1")
    pgscorer("enqueue", "--since", EPOCH.isoformat(), "--until", (EPOCH + datetime.timedelta(hours=3)).isoformat(), "--sensor", "s_5m")
    pgscorer("worker", "--exit-when-idle")
    scored = scalar("SELECT count(*) FROM pgscorer.predictions")
    if scored != series * 24:
        raise SystemExit(f"{scored} predictions before the late samples, expected {series * 24}")
    before = scalar("SELECT max(job_id) FROM pgscorer.jobs")
    # One late sample per series, each in a different (closed, scored) window.
    started = time.perf_counter()
    execute("INSERT INTO pgscorer.samples SELECT s.series_id, %s::timestamptz + (s.series_id %% 24) * interval '5 minutes' "
            "+ interval '7 seconds', 1, '{40}' FROM pgscorer.series s WHERE s.sensor = 's'", (EPOCH,))
    pgscorer("aggregate", "run")
    pgscorer("worker", "--exit-when-idle")
    seconds = time.perf_counter() - started
    followed = scalar("SELECT count(*) FROM pgscorer.predictions WHERE job_id > %s", (before,))
    rewritten = scalar("SELECT count(*) FROM pgscorer.windows WHERE late > 0")
    if rewritten != series or followed < series:
        raise SystemExit(f"{rewritten} windows rewritten and {followed} predictions re-made, expected {series} each")
    if scalar("SELECT count(*) FROM pgscorer.predictions") != series * 24:
        raise SystemExit("not one prediction per reading and model")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", default="close,late,stream")
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=10_000_000, help="close: samples in all")
    parser.add_argument("--batch", type=int, default=100_000, help="close: samples per INSERT")
    parser.add_argument("--rate", type=int, default=100_000, help="stream: samples per second")
    parser.add_argument("--duration", type=int, default=300, help="stream: seconds")
    parser.add_argument("--late-series", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    cases = options.cases.split(",")
    records, table = [], []
    if "close" in cases:
        load, close, plain, group_by = Samples(), Samples(), Samples(), Samples()
        for run in range(1, options.runs + 1):
            figures = close_case(options.series, options.samples // options.series, options.batch)
            for samples, value in zip([load, close, plain, group_by], figures):
                samples.add(value)
            print(f"close run {run}: samples in {figures[0]:.1f} s (plain table {figures[2]:.1f} s), {figures[4]:,} windows closed "
                  f"in {figures[1]:.2f} s (GROUP BY {figures[3]:.2f} s)", flush=True)
            records.append({"case": "close", "run": run, "load": figures[0], "close": figures[1], "plain_load": figures[2],
                            "group_by": figures[3], "windows": figures[4]})
        table.append([f"close: {options.samples:,} samples, {options.series:,} series", close.describe("{:.2f}"),
                      f"GROUP BY {group_by.describe('{:.2f}')}", f"{close.median / group_by.median:.2f}×"])
        table.append(["close: the samples in, state kept", load.describe("{:.1f}"), f"plain table {plain.describe('{:.1f}')}",
                      f"{load.median / plain.median:.2f}×"])
        table.append(["close: in and closed", f"{load.median + close.median:.1f}", f"plain + GROUP BY {plain.median + group_by.median:.1f}",
                      f"{(load.median + close.median) / (plain.median + group_by.median):.2f}×"])
        print(f"goal: closed in < 10 s; measured {close.median:.2f} s (median of {options.runs})", flush=True)
    if "late" in cases:
        late = Samples()
        for run in range(1, options.runs + 1):
            seconds = late_case(options.late_series)
            late.add(seconds)
            print(f"late run {run}: {options.late_series} late samples recomputed and re-scored in {seconds:.2f} s", flush=True)
            records.append({"case": "late", "run": run, "seconds": seconds})
        table.append([f"late: {options.late_series:,} windows recomputed and re-scored", late.describe("{:.2f}"), "goal < 2 s",
                      f"{late.median / 2:.2f} of the goal"])
    if "stream" in cases:
        lags, stored_rate, behind = stream_case(options.rate, options.duration, options.series)
        ordered = sorted(lags)
        median = statistics.median(ordered) if ordered else float("nan")
        p99 = ordered[int(0.99 * (len(ordered) - 1))] if ordered else float("nan")
        print(f"stream: {stored_rate:,.0f} samples/s stored over {options.duration} s ({behind} batches more than a second late); "
              f"closed-window lag median {median:.1f} s, p99 {p99:.1f} s, max {max(ordered):.1f} s (10-second windows)", flush=True)
        records.append({"case": "stream", "rate": stored_rate, "lag_median": median, "lag_p99": p99, "lag_max": max(ordered),
                        "late_batches": behind})
        table.append([f"stream: {options.rate:,} samples/s asked, {options.duration} s", f"{stored_rate:,.0f}/s stored",
                      f"lag median {median:.1f} s, max {max(ordered):.1f} s", f"{max(ordered) / 10:.1f} windows at worst"])
    print()
    print_table(["case", "seconds", "against", "ratio"], table)
    save_results("windows", records, vars(options))


if __name__ == "__main__":
    main()
