#!/usr/bin/env python3
"""scikit-learn side of `pgscorer-bench kernels`.

    sklearn_kernels.py D N_SV SAMPLES OUT_DIR RUNS

Fits an rbf OneClassSVM with about N_SV support vectors on D features, writes its
model JSON (tools/export_sklearn.py) and the samples (float64, row-major) to OUT_DIR,
times decision_function on them single-threaded (median of RUNS), and prints one
JSON line: {"n_sv", "seconds": [...], "decision_head": [...]}.
"""
import json
import os
import pathlib
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn.svm import OneClassSVM  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tools"))
from export_sklearn import export_estimator  # noqa: E402


def main():
    d, target, count, out, runs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), pathlib.Path(sys.argv[4]), int(sys.argv[5])
    rng = np.random.default_rng(d * 10007 + target)
    # With nu = 0.5 about half the training rows become support vectors.
    train = rng.normal(size=(2 * target, d))
    model = OneClassSVM(kernel="rbf", gamma="scale", nu=0.5).fit(train)
    samples = rng.normal(size=(count, d)) * 1.2
    (out / "model.json").write_text(json.dumps(export_estimator(model)))
    samples.astype("<f8").tofile(out / "samples.f64")
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        decision = model.decision_function(samples)
        seconds.append(time.perf_counter() - started)
    print(json.dumps({"n_sv": int(model.support_vectors_.shape[0]), "seconds": seconds,
                      "decision_head": decision[:1000].tolist()}))


if __name__ == "__main__":
    main()
