#!/usr/bin/env python3
"""`bench/run citus`: the same fleet end to end, and the same queue drained, on
single-node PostgreSQL and on a Citus cluster (a coordinator and two worker nodes) on
the same machine, with the same durable settings per node (see bench/README.md).

    citus.py [--series 1000] [--readings 288] [--jobs 20000] [--runs 3]

Setup per target: the fleet of `bench/run e2e` (S series, one scikit-learn rbf model
each, R five-minute readings per series) loaded with `pgscorer ingest` and `pgscorer
models import` after `pgscorer migrate` (on Citus: readings and predictions distributed
by series in 32 shards over the two worker nodes, the queue on the coordinator).

e2e: one job per series covering its day, scored by two `pgscorer worker
--exit-when-idle` processes, timed from start to exit, every reading predicted once.
queue: J jobs whose windows hold no readings (2030), drained by two such processes:
the claim, the window read and the fenced completion, without scoring.
The targets alternate within each run; medians of --runs, and the ratio Citus / single.
Everything shares the machine's two cores, so the ratio is the cost of distribution
when nothing is gained from more machines.
"""
import argparse
import contextlib
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sklearn  # noqa: E402

from benchlib import RESULTS, Samples, connect, fresh_database, pgscorer, print_table, save_results, scalar  # noqa: E402
from fleet import check_predictions, fleet, queue_jobs, run_workers, train_models, write_readings  # noqa: E402


@contextlib.contextmanager
def target(name):
    """Points libpq (and so pgscorer and benchlib) at the target's database."""
    saved = {key: os.environ.get(key) for key in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER")}
    if name == "citus":
        directory = os.environ["PGSCORER_CITUS_DIR"]
        ports = dict(line.split("=") for line in open(f"{directory}/ports").read().split())
        os.environ.update(PGHOST=directory, PGPORT=ports["coordinator"], PGDATABASE="pgscorer", PGUSER="postgres")
    else:
        os.environ["PGDATABASE"] = "bench_citus_single"
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def setup(name, args, cache, csv_path):
    if name == "single":
        fresh_database("bench_citus_single")  # on Citus: the database scripts/citus-cluster made
    with target(name):
        _, migrated = pgscorer("migrate")
        seconds, _ = pgscorer("ingest", str(csv_path))
        pgscorer("models", "import", str(cache), "--name-pattern", "model_{device}_{sensor}")
        with connect() as conn:
            conn.execute("VACUUM ANALYZE")
        print(f"{name}: {args.series * args.readings:,} readings ingested in {seconds:.1f} s; "
              + (migrated.strip().splitlines()[-1] if name == "citus" else "one server"), flush=True)
        return seconds


def empty_queue():
    with connect() as conn:
        conn.execute("TRUNCATE pgscorer.predictions")
        conn.execute("TRUNCATE pgscorer.job_runs, pgscorer.jobs")


def score_fleet(args):
    empty_queue()
    with connect() as conn:
        queue_jobs(conn, args.readings)
        conn.execute("VACUUM ANALYZE pgscorer.jobs")
    seconds = run_workers(2)
    check_predictions(args.series * args.readings, "e2e")
    return seconds


def drain_queue(args):
    empty_queue()
    with connect() as conn:
        conn.execute(
            """INSERT INTO pgscorer.jobs (series_id, model_id, window_start, window_end)
               SELECT m.series_id, m.model_id, '2030-01-01'::timestamptz + g * interval '1 minute',
                      '2030-01-01'::timestamptz + (g + 1) * interval '1 minute'
               FROM generate_series(0, %s - 1) g CROSS JOIN pgscorer.models m
               WHERE m.active ORDER BY g, m.series_id LIMIT %s""", ((args.jobs + args.series - 1) // args.series, args.jobs))
        conn.execute("VACUUM ANALYZE pgscorer.jobs")
    seconds = run_workers(2)
    done = scalar("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed'")
    if done != args.jobs:
        raise SystemExit(f"queue: {done} of {args.jobs} jobs completed")
    return seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--readings", type=int, default=288)
    parser.add_argument("--jobs", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    names = fleet(args.series)
    cache = RESULTS / "cache" / f"fleet-{args.series}-sklearn-{sklearn.__version__}"
    fitted = train_models(names, cache)
    print(f"models: {len(names)} pickles in {cache} ({fitted} fitted now)")
    csv_path = RESULTS / "cache" / f"fleet-{args.series}x{args.readings}.csv"
    write_readings(names, args.readings, csv_path)

    targets = ["single", "citus"]
    samples = {(case, name): Samples() for case in ("ingest", "e2e", "queue") for name in targets}
    for name in targets:
        samples[("ingest", name)].add(setup(name, args, cache, csv_path))
    records = []
    total = args.series * args.readings
    for run in range(1, args.runs + 1):
        for case, measure in (("e2e", score_fleet), ("queue", drain_queue)):
            for name in targets:
                with target(name):
                    seconds = measure(args)
                samples[(case, name)].add(seconds)
                count = total if case == "e2e" else args.jobs
                records.append({"run": run, "case": case, "target": name, "seconds": seconds, "per_second": count / seconds})
                unit = "readings/s" if case == "e2e" else "jobs/s"
                print(f"run {run}: {case} on {name}: {seconds:.2f} s ({count / seconds:,.0f} {unit})", flush=True)

    print(f"\nSingle-node PostgreSQL against Citus (coordinator + 2 worker nodes), same machine, "
          f"medians of {args.runs} (min–max)\n")
    rows = []
    for case, count, unit in (("ingest", total, "readings/s"), ("e2e", total, "readings/s"), ("queue", args.jobs, "jobs/s")):
        single, citus = samples[(case, "single")], samples[(case, "citus")]
        rows.append([case, single.describe("{:.2f}"), f"{count / single.median:,.0f} {unit}",
                     citus.describe("{:.2f}"), f"{count / citus.median:,.0f} {unit}", f"{citus.median / single.median:.2f}×"])
    print_table(["case", "single s", "single rate", "Citus s", "Citus rate", "time Citus / single"], rows)
    save_results("citus", records, vars(args))


if __name__ == "__main__":
    main()
