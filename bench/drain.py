#!/usr/bin/env python3
"""bench/run fleet: an hourly tick of a large fleet, drained. S series (default 20,000:
4,000 devices × 5 sensors, 4 features) with 12 readings each (an hour of 5-minute
readings) and a native model each (trained on the two hours before); one job per series over that hour. Per run, the
jobs are queued again on emptied predictions and run logs, and timed twice:

  exit-when-idle   `pgscorer worker --exit-when-idle` from process start to exit
  running worker   a worker already running (metrics on), from "jobs queued" to "all
                   completed"; its /metrics then say where the time went per phase of a
                   batch (claim, read, score, complete)

Medians of --runs with min–max, and the phase shares of the running worker's time.
Repeat --worker-args to time several variants (e.g. '--batch 32' and '--batch auto'),
interleaved within each run."""
import argparse
import datetime
import os
import random
import re
import signal
import socket
import subprocess
import time
import urllib.request

from benchlib import RESULTS, Samples, execute, fresh_database, pgscorer, print_table, save_results, scalar

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def make_file(series, path):
    """A wide CSV: every series' 12 readings of one hour (plus two hours before, for training)."""
    if path.exists():
        return
    random.seed(11)
    with open(path, "w") as out:
        out.write("device,sensor,ts,a,b,c,d\n")
        for step in range(-24, 12):
            ts = (START + datetime.timedelta(minutes=5 * step)).strftime("%Y-%m-%dT%H:%M:%SZ")
            for s in range(series):
                base = 20 + (s % 7)
                out.write(f"dev-{s // 5:05d},s{s % 5},{ts},{base + random.random():.3f},{random.random():.3f},"
                          f"{base - 1 + random.random():.3f},{random.random():.3f}\n")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def queue_jobs():
    """Empties what a drain leaves and queues one job per series over the hour."""
    execute("TRUNCATE pgscorer.predictions, pgscorer.job_runs, pgscorer.jobs")
    until = (START + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    pgscorer("enqueue", "--since", START.strftime("%Y-%m-%dT%H:%M:%SZ"), "--until", until)


def phase_sums(port):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    sums = {}
    for phase, value in re.findall(r'pgscorer_batch_phase_seconds_sum\{phase="(\w+)"\} ([0-9.e+-]+)', text):
        sums[phase] = float(value)
    return sums


def label(variant):
    return f" [{variant}]" if variant else ""


def report_other_outcomes(mode, seconds):
    """Says when a drain logged attempts that did not complete (a retry, a lost lease):
    they explain a drain that took far longer than the others."""
    other = scalar("SELECT count(*) FROM pgscorer.job_runs WHERE outcome <> 'completed'")
    if other:
        first = scalar("SELECT outcome || ': ' || coalesce(error, '') FROM pgscorer.job_runs WHERE outcome <> 'completed' ORDER BY run_id LIMIT 1")
        print(f"  note: the {mode} drain ({seconds:.2f} s) logged {other} attempt(s) that did not complete; the first: {first}", flush=True)


def drain_once(series, extra):
    """One drain by `worker --exit-when-idle` and one by a running worker, with `extra`
    flags: seconds of each and the running worker's phase sums."""
    queue_jobs()
    seconds, _ = pgscorer("worker", "--exit-when-idle", "--no-scheduler", "--no-maintenance", *extra)
    done = scalar("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed'")
    if done != series:
        raise SystemExit(f"exit-when-idle completed {done} of {series} jobs")
    report_other_outcomes("exit-when-idle", seconds)

    port = free_port()
    env = dict(os.environ, LOG_LEVEL="warning")
    worker = subprocess.Popen([os.environ["PGSCORER"], "worker", "--no-scheduler", "--no-maintenance", "--metrics-listen",
                               f"127.0.0.1:{port}", *extra], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        execute("TRUNCATE pgscorer.predictions, pgscorer.job_runs, pgscorer.jobs")
        for _ in range(200):
            if scalar("SELECT count(*) FROM pgscorer.workers") > 0:
                break
            time.sleep(0.05)
        before = phase_sums(port)
        started = time.perf_counter()
        until = (START + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        pgscorer("enqueue", "--since", START.strftime("%Y-%m-%dT%H:%M:%SZ"), "--until", until)
        while scalar("SELECT count(*) FROM pgscorer.jobs WHERE state = 'completed'") < series:
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        after = phase_sums(port)
        report_other_outcomes("running worker", elapsed)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    return seconds, elapsed, {phase: after.get(phase, 0) - before.get(phase, 0) for phase in after}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--worker-args", action="append",
                        help="more worker flags, e.g. '--batch 128'; repeat it to time several variants in the same runs")
    options = parser.parse_args()
    cache = RESULTS / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"drain-{options.series}.csv"
    make_file(options.series, path)
    fresh_database("bench_drain")
    pgscorer("migrate")
    pgscorer("ingest", str(path))
    until_training = START.strftime("%Y-%m-%dT%H:%M:%SZ")
    pgscorer("train", "--until", until_training, "--since", (START - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "--nu", "0.1", "--force")
    models = scalar("SELECT count(*) FROM pgscorer.models WHERE active")
    print(f"{options.series:,} series × 12 readings (4 features) in the hour scored, {models:,} active models", flush=True)

    variants = options.worker_args or [""]
    idle = {variant: Samples() for variant in variants}
    running = {variant: Samples() for variant in variants}
    records, phases_total = [], {variant: {} for variant in variants}
    for run in range(1, options.runs + 1):
        for variant in variants:  # interleaved, so each run times every variant on the same machine state
            seconds, elapsed, phases = drain_once(options.series, variant.split())
            idle[variant].add(seconds)
            running[variant].add(elapsed)
            for phase, value in phases.items():
                phases_total[variant].setdefault(phase, []).append(value)
            records.append({"run": run, "worker_args": variant, "mode": "exit-when-idle", "seconds": seconds})
            records.append({"run": run, "worker_args": variant, "mode": "running worker", "seconds": elapsed,
                            **{f"phase_{k}": v for k, v in phases.items()}})
            print(f"run {run}{label(variant)}: exit-when-idle {seconds:.2f} s, running worker {elapsed:.2f} s ("
                  + ", ".join(f"{k} {v:.2f} s" for k, v in sorted(phases.items())) + ")", flush=True)

    print()
    rows = []
    for variant in variants:
        rows += [[f"exit-when-idle (process start to exit){label(variant)}", idle[variant].describe("{:.2f}"),
                  f"{options.series / idle[variant].median:,.0f}"],
                 [f"running worker (queued to completed){label(variant)}", running[variant].describe("{:.2f}"),
                  f"{options.series / running[variant].median:,.0f}"]]
    print_table(["drain of the hourly tick", "seconds", "jobs/s"], rows)
    for variant in variants:
        medians = {phase: sorted(v)[len(v) // 2] for phase, v in phases_total[variant].items()}
        total = sum(medians.values())
        print(f"\nwhere a running worker's batch time goes{label(variant)} (medians): " + ", ".join(
            f"{phase} {value:.2f} s ({100 * value / max(total, 1e-9):.0f} %)" for phase, value in sorted(medians.items())))
    save_results("fleet", records, vars(options))


if __name__ == "__main__":
    main()
