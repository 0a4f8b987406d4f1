#!/usr/bin/env python3
"""Regenerates Tests/KernelsTests/TrainerFixtures: scikit-learn OneClassSVM fits that
the native trainer must reproduce.

Data is not stored: it comes from a generator that Swift reproduces bit for bit
(SplitMix64 uniforms, normals as the sequential sum of 12 uniforms minus 6, then a
per-feature scale and shift), optionally made to tie (`ties`: x·a + b, rounded to a
grid with floor(x·k + 0.5)/k, clipped, each row repeated, a stretch of rows held
constant — the shapes of real sensor data with repeated values). Each fixture stores
the generator parameters, the fit parameters, and scikit-learn's support indices, dual
coefficients, intercept and decision values on held-out points.
"""
import json
import pathlib

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import OneClassSVM

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "KernelsTests" / "TrainerFixtures"
MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def splitmix_uniforms(seed, count):
    """Uniforms in [0, 1): outputs 1..count of SplitMix64 seeded with `seed`."""
    with np.errstate(over="ignore"):
        k = np.arange(1, count + 1, dtype=np.uint64)
        z = np.uint64(seed) + k * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def generated(seed, rows, features, spread):
    """rows × features: normal(0,1) · (1 + j % 3) · spread + j, as the Swift twin makes it."""
    u = splitmix_uniforms(seed, rows * features * 12).reshape(rows * features, 12)
    acc = u[:, 0].copy()
    for t in range(1, 12):
        acc = acc + u[:, t]
    normal = (acc - 6.0).reshape(rows, features)
    scale = np.array([(1 + j % 3) * spread for j in range(features)])
    shift = np.array([float(j) for j in range(features)])
    return normal * scale + shift


def tied(data, ties):
    """The `ties` transformations, in this order, as the Swift twin applies them."""
    if not ties:
        return data
    if "affine" in ties:
        a, b = ties["affine"]
        data = data * a + b
    if "round" in ties:
        k = float(ties["round"])
        data = np.floor(data * k + 0.5) / k
    if "clip" in ties:
        lo, hi = ties["clip"]
        data = np.minimum(np.maximum(data, lo), hi)
    if "repeat" in ties:
        data = np.repeat(data, ties["repeat"], axis=0)
    if "constant" in ties:
        start, stop = ties["constant"]
        data = data.copy()
        data[start:stop] = data[start]
    return np.ascontiguousarray(data)


# Tied data: (name, kernel, nu, gamma, scaler, n, d, ties). The first is shaped like the
# traffic-speed series of the issue: 1,127 integer readings with about 64 values.
TIED = [
    ("tied_integer_speed_n1127_d1_standard", "rbf", 0.05, "scale", "standard", 1127, 1, {"affine": [9.0, 52.0], "round": 1, "clip": [20.0, 83.0]}),
    ("tied_rounded_n800_d2", "rbf", 0.1, "scale", None, 800, 2, {"round": 4}),
    ("tied_clipped_n600_d3_standard", "rbf", 0.05, "scale", "standard", 600, 3, {"round": 2, "clip": [-1.0, 2.5]}),
    ("tied_duplicates_n300x3_d2", "rbf", 0.1, "scale", None, 300, 2, {"round": 10, "repeat": 3}),
    ("tied_constant_stretch_n700_d1_minmax", "rbf", 0.1, "scale", "minmax", 700, 1, {"round": 5, "constant": [100, 400]}),
    ("tied_rounded_n500_d4_auto", "rbf", 0.2, "auto", "standard", 500, 4, {"round": 1}),
]

CASES = [
    # name, kernel, nu, gamma, coef0, degree, scaler, n, d
    ("rbf_nu0.1_n500_d2", "rbf", 0.1, "scale", 0.0, 3, None, 500, 2),
    ("rbf_nu0.5_n1000_d5_standard", "rbf", 0.5, "scale", 0.0, 3, "standard", 1000, 5),
    ("rbf_nu0.01_n2000_d8_auto", "rbf", 0.01, "auto", 0.0, 3, None, 2000, 8),
    ("rbf_nu0.1_n5000_d1", "rbf", 0.1, "scale", 0.0, 3, None, 5000, 1),
    ("rbf_nu0.1_n1000_d16_minmax_given", "rbf", 0.1, 0.5, 0.0, 3, "minmax", 1000, 16),
    ("rbf_nu0.5_n50_d32", "rbf", 0.5, "scale", 0.0, 3, None, 50, 32),
    ("linear_nu0.5_n300_d3", "linear", 0.5, "scale", 0.0, 3, None, 300, 3),
    ("poly3_nu0.1_n400_d4_minmax", "poly", 0.1, "scale", 1.0, 3, "minmax", 400, 4),
    ("sigmoid_nu0.1_n300_d2_standard", "sigmoid", 0.1, "auto", 0.0, 3, "standard", 300, 2),
]


def fixture(name, kernel, nu, gamma, coef0, degree, scaler, train, test, train_spec, test_spec):
    svm = OneClassSVM(kernel=kernel, nu=nu, gamma=gamma, coef0=coef0, degree=degree, tol=1e-3, shrinking=True)
    steps = [("scaler", StandardScaler() if scaler == "standard" else MinMaxScaler())] if scaler else []
    estimator = Pipeline(steps + [("svm", svm)]).fit(train)
    document = {
        "name": name,
        "params": {"kernel": kernel, "nu": nu, "gamma": gamma, "coef0": coef0, "degree": degree, "scaler": scaler or "none"},
        "train": train_spec,
        "test": test_spec,
        "n_support": int(svm.support_vectors_.shape[0]),
        "support": svm.support_.tolist(),
        "dual_coef": svm.dual_coef_[0].tolist(),
        "intercept": float(svm.intercept_[0]),
        "gamma_resolved": float(svm._gamma),
        "decision_function": estimator.decision_function(test).tolist(),
        "train_head": train[:3].tolist(),
    }
    (OUT / f"{name}.json").write_text(json.dumps(document), encoding="utf-8")
    print(f"{name}: n_SV={document['n_support']} intercept={document['intercept']:.6g}")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.json"):
        old.unlink()
    for index, (name, kernel, nu, gamma, coef0, degree, scaler, n, d) in enumerate(CASES):
        train_seed, test_seed = 1000 + index, 2000 + index
        train = generated(train_seed, n, d, 1.0)
        test = generated(test_seed, 200, d, 1.5)
        fixture(name, kernel, nu, gamma, coef0, degree, scaler, train, test,
                {"seed": train_seed, "rows": n, "features": d, "spread": 1.0},
                {"seed": test_seed, "rows": 200, "features": d, "spread": 1.5})
    for index, (name, kernel, nu, gamma, scaler, n, d, ties) in enumerate(TIED):
        train_seed, test_seed = 3000 + index, 4000 + index
        train = tied(generated(train_seed, n, d, 1.0), ties)
        test = tied(generated(test_seed, 200, d, 1.5), {k: v for k, v in ties.items() if k not in ("repeat", "constant")})
        fixture(name, kernel, nu, gamma, 0.0, 3, scaler, train, test,
                {"seed": train_seed, "rows": n, "features": d, "spread": 1.0, "ties": ties},
                {"seed": test_seed, "rows": 200, "features": d, "spread": 1.5,
                 "ties": {k: v for k, v in ties.items() if k not in ("repeat", "constant")}})


if __name__ == "__main__":
    main()
