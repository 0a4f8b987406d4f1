"""Shared by the database suites of bench/run (fleet.py, queue_throughput.py): timing, medians,
the printed table and the CSV/JSON results, and small process/SQL helpers."""
import csv
import datetime
import json
import os
import pathlib
import statistics
import subprocess
import time

import psycopg

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def connect(autocommit=True):
    """A psycopg connection to the throwaway cluster (libpq's PG* variables)."""
    return psycopg.connect("", autocommit=autocommit)


def fresh_database(name):
    """Drops and creates database `name` and points libpq (PGDATABASE) at it, so each
    suite starts from an empty database on the shared throwaway cluster."""
    with connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["PGDATABASE"] = name


def execute(statement, params=None):
    with connect() as conn:
        conn.execute(statement, params)


def scalar(statement, params=None):
    with connect() as conn:
        return conn.execute(statement, params).fetchone()[0]


def pgscorer(*args, env=None, check=True):
    """Runs the pgscorer binary given in $PGSCORER (release build; `env` may name another);
    returns (seconds, output)."""
    binary = (env or {}).get("PGSCORER", os.environ["PGSCORER"])
    started = time.perf_counter()
    done = subprocess.run([binary, *args], capture_output=True, text=True,
                          env={**os.environ, "LOG_LEVEL": "warning", **(env or {})})
    elapsed = time.perf_counter() - started
    if check and done.returncode != 0:
        raise SystemExit(f"pgscorer {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return elapsed, done.stdout + done.stderr


def python_json(script, *args):
    """Runs a Python baseline script from bench/; it prints one JSON object last."""
    done = subprocess.run(["python3", str(ROOT / "bench" / script), *map(str, args)], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{script} {' '.join(map(str, args))} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class Samples:
    """Repeated measurements of one figure; reported as median (min–max)."""

    def __init__(self):
        self.values = []

    def add(self, value):
        self.values.append(value)

    @property
    def median(self):
        return statistics.median(self.values)

    def describe(self, fmt="{:,.0f}"):
        if len(self.values) == 1:
            return fmt.format(self.values[0])
        return f"{fmt.format(self.median)} ({fmt.format(min(self.values))}–{fmt.format(max(self.values))})"


def print_table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(headers, widths))
    print(line)
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths))))
    print(flush=True)


def save_results(suite, records, settings):
    """Writes every measurement as CSV and JSON under bench/results/ (ignored by git)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    base = RESULTS / f"{suite}-{stamp}"
    with open(f"{base}.json", "w") as out:
        json.dump({"suite": suite, "settings": settings, "measurements": records}, out, indent=1, default=str)
    keys = sorted({k for r in records for k in r})
    with open(f"{base}.csv", "w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=keys)
        writer.writeheader()
        writer.writerows(records)
    print(f"results: {base}.csv, {base}.json")
