"""bench/run retrain: retraining a whole fleet from PostgreSQL.

10,000 series × 288 readings (a day of 5-minute aggregates, 4 features) are trained
anew by `pgscorer train` (read, fit, health check, store each as a new version, in
parallel on the machine's cores) — end to end, the database included — and, as the
baseline in the same run, by scikit-learn's OneClassSVM.fit on the same arrays already
in memory (fit only, one process: what a Python retraining job spends in fit alone).
    bench/run retrain [--series 10000] [--readings 288] [--baseline-series 1000]"""
import argparse
import time

import numpy as np

from benchlib import connect, fresh_database, pgscorer, print_table, save_results

parser = argparse.ArgumentParser()
parser.add_argument("--series", type=int, default=10_000)
parser.add_argument("--readings", type=int, default=288)
parser.add_argument("--baseline-series", type=int, default=1_000,
                    help="series scikit-learn fits (its time is scaled to the fleet)")
parser.add_argument("--nu", type=float, default=0.05)
args = parser.parse_args()

fresh_database("pgscorer_bench_retrain")
pgscorer("migrate")
started = time.perf_counter()
with connect() as conn:
    conn.execute("SELECT pgscorer.ensure_partitions(now() - interval '3 days', now() + interval '1 day')")
    conn.execute("""
        INSERT INTO pgscorer.series (device, sensor, n_features)
        SELECT format('d%%s', lpad((i / 10)::text, 4, '0')), format('s%%s', i %% 10), 4 FROM generate_series(0, %(n)s - 1) i
    """, {"n": args.series})
    conn.execute("""
        INSERT INTO pgscorer.readings (series_id, ts, n_features, features)
        SELECT s.series_id, date_trunc('minute', now()) - make_interval(mins => 5 * i), 4,
               ARRAY[20 + 5 * sin(i / 40.0 + s.series_id) + random(), random(), random() * 3, round((random() * 8)::numeric)::float8]
        FROM pgscorer.series s, generate_series(1, %(r)s) i
    """, {"r": args.readings})
    conn.execute("ANALYZE")
    sample = conn.execute("""
        SELECT series_id, array_agg(features ORDER BY ts) FROM pgscorer.readings
        WHERE series_id <= %(k)s GROUP BY series_id ORDER BY series_id
    """, {"k": args.baseline_series}).fetchall()
print(f"{args.series:,} series × {args.readings} readings (4 features, one of them integer-valued) loaded in "
      f"{time.perf_counter() - started:.1f} s", flush=True)

rows, records = [], []
for run in range(3):
    seconds, output = pgscorer("train", "--nu", str(args.nu), "--scaler", "standard", "--format", "json")
    records.append({"run": run, "pgscorer_train_seconds": seconds})
    rows.append([f"pgscorer train, run {run + 1}", f"{seconds:.2f}", f"{args.series / seconds:,.0f}"])

from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM

arrays = [np.array(features, dtype=np.float64) for _, features in sample]
fit_started = time.perf_counter()
for x in arrays:
    make_pipeline(StandardScaler(), OneClassSVM(nu=args.nu, gamma="scale")).fit(x)
baseline = time.perf_counter() - fit_started
scaled = baseline * args.series / len(arrays)
rows.append([f"scikit-learn fit only, {len(arrays):,} series (×{args.series / len(arrays):.0f})", f"{scaled:.2f}",
             f"{args.series / scaled:,.0f}"])
records.append({"sklearn_fit_seconds_scaled": scaled, "sklearn_series": len(arrays)})

median = sorted(r["pgscorer_train_seconds"] for r in records if "pgscorer_train_seconds" in r)[1]
print(f"retraining {args.series:,} series × {args.readings} readings (rbf, nu={args.nu}, standard scaler):")
print_table(["what", "seconds", "series/s"], rows)
print(f"median pgscorer train: {median:.2f} s end to end ({'under' if median < 10 else 'OVER'} the 10 s goal); "
      f"{scaled / median:.1f}× scikit-learn's fit alone")
save_results("retrain", records, vars(args))
