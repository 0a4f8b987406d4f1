#!/usr/bin/env python3
"""bench/run ingest: `pgscorer ingest` of a wide CSV (1,000,000 rows, 4 features) for a
few series (200) and for many (20,000: a fleet's file, every series new), each against
`psql \\copy` of the same file into a plain table with the same primary key — the floor
for loading these rows. Each run starts from a fresh database; the median of --runs is
reported with min–max, and the ratio to \\copy. --compare BINARY also times another
pgscorer (an earlier build) in the same runs."""
import argparse
import datetime
import os
import pathlib
import random
import subprocess
import time

from benchlib import RESULTS, Samples, fresh_database, pgscorer, print_table, save_results, scalar


def make_file(rows, series, path):
    """A wide CSV with `rows` readings spread over `series` series, one a minute each."""
    if path.exists():
        return
    random.seed(7)
    start = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
    per_series = rows // series
    with open(path, "w") as out:
        out.write("device,sensor,ts,mean,min,max,std\n")
        for index in range(per_series):
            ts = (start + datetime.timedelta(minutes=index)).strftime("%Y-%m-%dT%H:%M:%SZ")
            for s in range(series):
                mean = 20 + random.random()
                out.write(f"pump-{s // 5:03d},sensor-{s % 5},{ts},{mean:.4f},{mean - 1:.4f},{mean + 1:.4f},{random.random():.4f}\n")


def psql_copy(path):
    """psql \\copy of the file into a plain table keyed like readings; returns seconds."""
    subprocess.run(["psql", "-X", "-q", "-c",
                    "CREATE TABLE floor (device text, sensor text, ts timestamptz, mean float8, min float8, max float8, std float8,"
                    " PRIMARY KEY (device, sensor, ts))"], check=True)
    started = time.perf_counter()
    subprocess.run(["psql", "-X", "-q", "-c", f"\\copy floor FROM '{path}' (FORMAT csv, HEADER)"], check=True)
    return time.perf_counter() - started


def ingest_with(binary, path, database):
    """`binary ingest path` into a fresh database `database`; returns seconds and output."""
    fresh_database(database)
    env = {"PGSCORER": binary}
    pgscorer("migrate", env=env)
    seconds, output = pgscorer("ingest", str(path), env=env)
    return seconds, output


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--series", default="200,20000", help="series per file, comma-separated: one case each")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", help="another pgscorer binary to time in the same runs (an earlier build)")
    options = parser.parse_args()
    cache = RESULTS / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    records, table = [], []
    for series in [int(value) for value in options.series.split(",")]:
        path = cache / f"wide-{options.rows}-{series}.csv"
        make_file(options.rows, series, path)
        print(f"file: {path} ({path.stat().st_size / 1e6:.0f} MB, {options.rows:,} rows, {series} series, 4 features)", flush=True)
        ours, floor, other = Samples(), Samples(), Samples()
        for run in range(1, options.runs + 1):
            seconds, output = ingest_with(os.environ["PGSCORER"], path, "bench_ingest")
            stored = scalar("SELECT count(*) FROM pgscorer.readings")
            if stored != options.rows:
                raise SystemExit(f"pgscorer stored {stored} readings, expected {options.rows}:\n{output}")
            ours.add(seconds)
            line = f"run {run}: pgscorer ingest {seconds:.2f} s ({options.rows / seconds:,.0f} rows/s)"
            records.append({"series": series, "run": run, "contender": "pgscorer ingest", "seconds": seconds})
            if options.compare:
                compared, _ = ingest_with(options.compare, path, "bench_ingest_compared")
                other.add(compared)
                line += f", compared build {compared:.2f} s"
                records.append({"series": series, "run": run, "contender": "compared build", "seconds": compared})
            fresh_database("bench_ingest_floor")
            copy_seconds = psql_copy(path)
            floor.add(copy_seconds)
            print(f"{line}, psql \\copy {copy_seconds:.2f} s ({options.rows / copy_seconds:,.0f} rows/s)", flush=True)
            records.append({"series": series, "run": run, "contender": "psql \\copy", "seconds": copy_seconds})
        table.append([f"pgscorer ingest, {series} series", ours.describe("{:.2f}"), f"{options.rows / ours.median:,.0f}",
                      f"{ours.median / floor.median:.2f}×"])
        if options.compare:
            table.append([f"compared build, {series} series", other.describe("{:.2f}"), f"{options.rows / other.median:,.0f}",
                          f"{other.median / floor.median:.2f}×"])
        table.append([f"psql \\copy, {series} series", floor.describe("{:.2f}"), f"{options.rows / floor.median:,.0f}", "1.00×"])
        print(f"goal: pgscorer ingest within 1.5× of psql \\copy; measured {ours.median / floor.median:.2f}× for {series} series", flush=True)
    print()
    print_table(["contender", "seconds", "rows/s", "time vs \\copy"], table)
    save_results("ingest", records, vars(options))


if __name__ == "__main__":
    main()
