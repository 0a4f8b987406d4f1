#!/usr/bin/env python3
"""`bench/run queue`: claim + complete throughput of no-op jobs, PgScorer vs PgQueuer.

    queue_throughput.py [--sizes 10000,1000000] [--concurrency 1,4,16] [--drain 20000] [--batch 10] [--runs 3]

For every table size N, concurrency C and with/without a held-back xmin (another
session keeps a REPEATABLE READ snapshot open for the whole drain, so no dead row can
be cleaned up), each system drains min(N, DRAIN) jobs from a table holding N jobs:

- PgScorer: one `pgscorer worker --concurrency C --batch BATCH --max-jobs D` process
  (C slots, each on its own connection); a no-op job is a real job whose window has no
  readings: claim, model from the cache, an empty window read, completion with its
  job_runs row, all through the production statements.
- PgQueuer: C QueueManagers on C connections in one process (pgqueuer_drain.py),
  batch BATCH, a no-op entrypoint.

The clock covers process start to exit (PgScorer) and manager start to return
(PgQueuer). Before each drain the tables are vacuumed and a checkpoint is taken. With
N = 1M the completed jobs stay in PgScorer's table (its history) while PgQueuer moves
them out, so PgQueuer's queue is topped up to N again after each drain.
"""
import argparse
import time

from benchlib import Samples, connect, execute, fresh_database, pgscorer, print_table, python_json, save_results, scalar

SERIES = 100


def setup():
    fresh_database("bench_queue")
    pgscorer("migrate")
    # 100 one-feature series with a small native model each; jobs look at 2030, where
    # there are no readings, so scoring is empty and only the queue is measured.
    with connect() as conn:
        conn.execute(
            """INSERT INTO pgscorer.series (device, sensor, n_features)
               SELECT 'dev-' || lpad(i::text, 3, '0'), 'temp', 1 FROM generate_series(0, %s - 1) i""", (SERIES,))
        conn.execute("SELECT pgscorer.ensure_partitions('2026-01-01', '2026-01-02')")
        conn.execute(
            """INSERT INTO pgscorer.readings (series_id, ts, n_features, features)
               SELECT s.series_id, '2026-01-01'::timestamptz + k * interval '1 minute', 1, ARRAY[sin(k / 3.0) + s.series_id]
               FROM pgscorer.series s, generate_series(0, 19) k""")
    pgscorer("train", "--nu", "0.2", "--min-readings", "10")
    assert scalar("SELECT count(*) FROM pgscorer.models WHERE active") == SERIES
    python_json("pgqueuer_drain.py", "install")


def fill_pgscorer(count):
    with connect() as conn:
        conn.execute("TRUNCATE pgscorer.job_runs, pgscorer.jobs")
        conn.execute(
            """INSERT INTO pgscorer.jobs (series_id, model_id, window_start, window_end)
               SELECT m.series_id, m.model_id, '2030-01-01'::timestamptz + g * interval '1 minute',
                      '2030-01-01'::timestamptz + (g + 1) * interval '1 minute'
               FROM generate_series(0, %s - 1) g CROSS JOIN pgscorer.models m
               WHERE m.active ORDER BY g, m.series_id LIMIT %s""", ((count + SERIES - 1) // SERIES, count))


def fill_pgqueuer(count):
    execute("TRUNCATE pgqueuer")
    python_json("pgqueuer_drain.py", "fill", count)


def settle(table):
    with connect() as conn:
        conn.execute(f"VACUUM ANALYZE {table}")
        conn.execute("CHECKPOINT")


class XminHolder:
    """Another session with an open REPEATABLE READ snapshot: VACUUM and pruning can
    remove no row deleted or updated after it started."""

    def __enter__(self):
        self.conn = connect(autocommit=False)
        self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        self.conn.execute("SELECT count(*) FROM pgscorer.series").fetchone()
        return self

    def __exit__(self, *exc):
        self.conn.rollback()
        self.conn.close()


def drain_pgscorer(concurrency, wanted, batch):
    seconds, _ = pgscorer("worker", "--no-scheduler", "--exit-when-idle", "--concurrency", str(concurrency),
                          "--batch", str(batch), "--max-jobs", str(wanted))
    return seconds, wanted


def drain_pgqueuer(concurrency, wanted, batch):
    result = python_json("pgqueuer_drain.py", "drain", concurrency, wanted, batch)
    return result["seconds"], result["completed"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--concurrency", default="1,4,16")
    parser.add_argument("--drain", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    levels = [int(c) for c in args.concurrency.split(",")]
    setup()

    systems = {
        "pgscorer": (fill_pgscorer, "pgscorer.jobs", drain_pgscorer),
        "PgQueuer": (fill_pgqueuer, "pgqueuer", drain_pgqueuer),
    }
    rates, records = {}, []
    for size in sizes:
        wanted = min(size, args.drain)
        for fill, _, _ in systems.values():
            started = time.perf_counter()
            fill(size)
            print(f"filled with {size:,} jobs in {time.perf_counter() - started:.1f} s", flush=True)
        for concurrency in levels:
            for held in (False, True):
                for run in range(1, args.runs + 1):
                    for name, (fill, table, drain) in systems.items():
                        if size <= args.drain:
                            fill(size)  # the previous drain emptied it
                        elif name == "PgQueuer":
                            topped = size - scalar("SELECT count(*) FROM pgqueuer")
                            if topped > 0:
                                python_json("pgqueuer_drain.py", "fill", topped)
                        settle(table)
                        if held:
                            with XminHolder():
                                seconds, done = drain(concurrency, wanted, args.batch)
                        else:
                            seconds, done = drain(concurrency, wanted, args.batch)
                        rate = done / seconds
                        rates.setdefault((size, concurrency, held, name), Samples()).add(rate)
                        records.append({"system": name, "table_rows": size, "concurrency": concurrency,
                                        "xmin_held": held, "run": run, "jobs": done, "seconds": seconds,
                                        "jobs_per_second": rate})
                        print(f"N={size:,} C={concurrency} xmin {'held' if held else 'free'} run {run}: "
                              f"{name} {rate:,.0f} jobs/s", flush=True)

    print(f"\nQueue throughput, no-op jobs, batch {args.batch}, jobs/s, median of {args.runs} (min–max)\n")
    rows = []
    for size in sizes:
        for concurrency in levels:
            for held in (False, True):
                ours, theirs = rates[(size, concurrency, held, "pgscorer")], rates[(size, concurrency, held, "PgQueuer")]
                rows.append([f"{size:,}", concurrency, "held" if held else "-", ours.describe(), theirs.describe(),
                             f"{ours.median / theirs.median:.2f}×"])
    print_table(["jobs table", "concurrency", "xmin", "pgscorer", "PgQueuer", "pgscorer / PgQueuer"], rows)
    rows = []
    for size in sizes:
        for concurrency in levels:
            row = [f"{size:,}", concurrency]
            for name in systems:
                free, held = rates[(size, concurrency, False, name)].median, rates[(size, concurrency, True, name)].median
                row.append(f"{(1 - held / free) * 100:.0f} %")
            rows.append(row)
    print("Slowdown with xmin held back, 1 − held/free (negative: faster; goal for pgscorer: at most 30 %)\n")
    print_table(["jobs table", "concurrency", "pgscorer", "PgQueuer"], rows)
    save_results("queue", records, vars(args))


if __name__ == "__main__":
    main()
