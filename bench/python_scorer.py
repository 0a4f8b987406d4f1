#!/usr/bin/env python3
"""The baseline of `bench/run e2e`: a scorer written the way the classic reference's
predict.py works, driven over PgScorer's job list.

    python_scorer.py MODEL_DIR executemany|copy

For every queued job, in job order, one transaction: load the job's pickled
scikit-learn model from MODEL_DIR (model_{device}_{sensor}.pkl), SELECT the window's
readings with psycopg, decision_function (predict's labels are its sign), and write one
prediction row per reading with executemany (one INSERT per row, pipelined by psycopg)
or with COPY. Jobs are not claimed or marked: the baseline does less bookkeeping than
PgScorer. Prints one JSON line: {"seconds", "jobs", "readings"}; the clock starts after
the imports.
"""
import os
import pathlib
import pickle
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import psycopg  # noqa: E402

INSERT = ("INSERT INTO pgscorer.predictions (series_id, ts, model_id, score, is_anomaly, job_id) "
          "VALUES (%s, %s, %s, %s, %s, %s)")
COPY = "COPY pgscorer.predictions (series_id, ts, model_id, score, is_anomaly, job_id) FROM STDIN"


def main():
    model_dir, write = pathlib.Path(sys.argv[1]), sys.argv[2]
    if write not in ("executemany", "copy"):
        raise SystemExit("write must be executemany or copy")
    started = time.perf_counter()
    readings = 0
    with psycopg.connect("") as conn:
        jobs = conn.execute(
            """SELECT j.job_id, j.series_id, j.model_id, j.window_start, j.window_end, s.device, s.sensor
               FROM pgscorer.jobs j JOIN pgscorer.series s USING (series_id)
               WHERE j.state = 'available' ORDER BY j.job_id""").fetchall()
        conn.commit()
        for job_id, series_id, model_id, start, end, device, sensor in jobs:
            with open(model_dir / f"model_{device}_{sensor}.pkl", "rb") as f:
                model = pickle.load(f)
            with conn.cursor() as cur:
                cur.execute(
                    "SELECT ts, features FROM pgscorer.readings WHERE series_id = %s AND ts >= %s AND ts < %s ORDER BY ts",
                    (series_id, start, end))
                rows = cur.fetchall()
                if not rows:
                    continue
                X = np.asarray([features for _, features in rows], dtype=np.float64)
                scores = model.decision_function(X)
                out = [(series_id, ts, model_id, float(score), bool(score <= 0), job_id)
                       for (ts, _), score in zip(rows, scores)]
                if write == "executemany":
                    cur.executemany(INSERT, out)
                else:
                    with cur.copy(COPY) as copy:
                        for row in out:
                            copy.write_row(row)
            conn.commit()
            readings += len(rows)
    print(f'{{"seconds": {time.perf_counter() - started}, "jobs": {len(jobs)}, "readings": {readings}}}')


if __name__ == "__main__":
    main()
