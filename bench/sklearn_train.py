#!/usr/bin/env python3
"""scikit-learn side of `pgscorer-bench train`.

    sklearn_train.py ROWS FEATURES NU OUT_DIR RUNS

Writes the training data (float64, row-major) to OUT_DIR/train.f64, fits
OneClassSVM(rbf, gamma='scale', nu=NU, tol=1e-3, shrinking=True) RUNS times
(single-threaded), and prints one JSON line with the fit times and the model.
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


def main():
    rows, features, nu, out, runs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), pathlib.Path(sys.argv[4]), int(sys.argv[5])
    rng = np.random.default_rng(rows * 31 + features)
    mix = rng.normal(scale=0.4, size=(features, features)) + np.eye(features)
    data = rng.normal(size=(rows, features)) @ mix + np.sin(np.linspace(0, 20, rows))[:, None]
    data.astype("<f8").tofile(out / "train.f64")
    seconds = []
    for _ in range(runs):
        model = OneClassSVM(kernel="rbf", gamma="scale", nu=nu, tol=1e-3, shrinking=True)
        started = time.perf_counter()
        model.fit(data)
        seconds.append(time.perf_counter() - started)
    print(json.dumps({"seconds": seconds, "n_support": int(model.support_vectors_.shape[0]),
                      "intercept": float(model.intercept_[0])}))


if __name__ == "__main__":
    main()
