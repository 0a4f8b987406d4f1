#!/usr/bin/env python3
"""Regenerates the scikit-learn reference fixtures in Tests/KernelsTests/Fixtures.

Each fixture is a fitted OneClassSVM (or Pipeline(scaler, OneClassSVM)) exported with
tools/export_sklearn.py, plus samples and scikit-learn's decision_function,
score_samples and predict for them. The Swift tests score the same samples with the
exported model and compare. Deterministic (fixed seeds).

    pip install scikit-learn && tools/make_fixtures.py
"""
import json
import pathlib
import sys

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import OneClassSVM

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from export_sklearn import export_estimator  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "KernelsTests" / "Fixtures"


def cloud(rng, n, d, scale=1.0, shift=0.0):
    """A correlated Gaussian cloud with a little daily-cycle structure."""
    base = rng.normal(size=(n, d))
    mix = rng.normal(scale=0.3, size=(d, d)) + np.eye(d)
    t = np.linspace(0, 4 * np.pi, n)[:, None]
    return (base @ mix + np.sin(t + np.arange(d))) * scale + shift


def samples_for(rng, train, count=None):
    """Training points (some exactly), nearby points and far outliers."""
    n, d = train.shape
    count = count or (24 if d >= 32 else 60)
    spread = train.std(axis=0) + 1e-300
    exact = train[rng.choice(n, size=min(10, n), replace=False)]
    near = train[rng.choice(n, size=count // 2)] + rng.normal(size=(count // 2, d)) * spread * 0.3
    far = train.mean(axis=0) + rng.normal(size=(count - count // 2 - len(exact), d)) * spread * 4
    return np.vstack([exact, near, far])


CASES = []


def case(name, train, estimator, samples=None, seed=0):
    CASES.append((name, train, estimator, samples, seed))


def define_cases():
    rng = np.random.default_rng(7)
    # Every kernel, gamma given / 'scale' / 'auto', with and without each scaler.
    case("rbf_scale_d5_sv500", cloud(rng, 1000, 5), OneClassSVM(kernel="rbf", gamma="scale", nu=0.5))
    case("rbf_auto_d16_standard", cloud(rng, 300, 16, 3.0, 10.0),
         Pipeline([("scaler", StandardScaler()), ("svm", OneClassSVM(kernel="rbf", gamma="auto", nu=0.2))]))
    case("rbf_given_d1_minmax_sv2000", cloud(rng, 4000, 1, 5.0),
         Pipeline([("scaler", MinMaxScaler()), ("svm", OneClassSVM(kernel="rbf", gamma=30.0, nu=0.55))]))
    case("rbf_scale_d64", cloud(rng, 110, 64), OneClassSVM(kernel="rbf", gamma="scale", nu=0.1))
    case("rbf_given_d8_standard_sv440", cloud(rng, 1100, 8, 2.0, -4.0),
         Pipeline([("scaler", StandardScaler()), ("svm", OneClassSVM(kernel="rbf", gamma=0.2, nu=0.4))]))
    case("linear_d8", cloud(rng, 400, 8, 1.0, 2.0), OneClassSVM(kernel="linear", nu=0.2))
    case("linear_d3_minmax", cloud(rng, 300, 3),
         Pipeline([("scaler", MinMaxScaler()), ("svm", OneClassSVM(kernel="linear", nu=0.3))]))
    case("poly3_scale_d4_standard", cloud(rng, 400, 4),
         Pipeline([("scaler", StandardScaler()), ("svm", OneClassSVM(kernel="poly", degree=3, gamma="scale", coef0=1.0, nu=0.15))]))
    case("poly2_given_d32", cloud(rng, 110, 32), OneClassSVM(kernel="poly", degree=2, gamma=0.01, coef0=0.5, nu=0.1))
    case("sigmoid_auto_d6_minmax", cloud(rng, 400, 6),
         Pipeline([("scaler", MinMaxScaler()), ("svm", OneClassSVM(kernel="sigmoid", gamma="auto", coef0=0.5, nu=0.2))]))
    case("sigmoid_given_d2", cloud(rng, 300, 2), OneClassSVM(kernel="sigmoid", gamma=0.05, coef0=-0.2, nu=0.3))
    # A single support vector.
    case("rbf_one_support_vector", cloud(rng, 1, 3), OneClassSVM(kernel="rbf", gamma=0.5, nu=0.5),
         samples=cloud(rng, 20, 3))
    # Extreme but legal inputs: huge and tiny magnitudes, far from the origin, duplicates.
    case("rbf_huge_values_scale", cloud(rng, 500, 4, 1e6, 3e8), OneClassSVM(kernel="rbf", gamma="scale", nu=0.3))
    case("rbf_huge_values_standard", cloud(rng, 500, 4, 1e6, 3e8),
         Pipeline([("scaler", StandardScaler()), ("svm", OneClassSVM(kernel="rbf", gamma="scale", nu=0.3))]))
    case("rbf_tiny_values_scale", cloud(rng, 500, 3, 1e-7, 1e-6), OneClassSVM(kernel="rbf", gamma="scale", nu=0.3))
    duplicates = np.repeat(cloud(rng, 25, 3), 8, axis=0)
    case("rbf_identical_points", duplicates, OneClassSVM(kernel="rbf", gamma=2.0, nu=0.5),
         samples=np.vstack([duplicates[::10], duplicates[:5] + 1e-9]))
    far = cloud(rng, 300, 2, 1.0, 1e5)
    case("rbf_far_from_origin_given_gamma", far, OneClassSVM(kernel="rbf", gamma=0.7, nu=0.3))
    case("linear_large_values", cloud(rng, 300, 5, 1e4, 1e5), OneClassSVM(kernel="linear", nu=0.2))


def main():
    define_cases()
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.json"):
        old.unlink()
    total = 0
    for name, train, estimator, samples, seed in CASES:
        estimator.fit(train)
        rng = np.random.default_rng(seed + 1)
        samples = samples_for(rng, train) if samples is None else samples
        document = {
            "name": name,
            "model": export_estimator(estimator),
            "samples": samples.tolist(),
            "decision_function": estimator.decision_function(samples).tolist(),
            "score_samples": estimator.score_samples(samples).tolist(),
            "predict": [int(v) for v in estimator.predict(samples)],
        }
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
        size = path.stat().st_size
        total += size
        print(f"{name}: {len(document['model']['dual_coef'])} SV, d={document['model']['n_features']}, "
              f"{len(samples)} samples, {size // 1024} KiB")
    total += legacy_fixture()
    print(f"total {total // 1024} KiB in {OUT}")


def legacy_fixture():
    """The scikit-learn 0.19.2 pipeline from ../shared/fixtures, exported without running
    its code; expected values computed from its raw pickled state."""
    from test_export_sklearn import LEGACY, legacy_expected

    from export_sklearn import export_estimator, load_pickle

    samples = np.linspace(5, 20, 61)[:, None]
    expected = legacy_expected(samples)
    document = {
        "name": "legacy_sklearn_0.19.2_pipeline",
        "model": export_estimator(load_pickle(str(LEGACY)), sklearn_version="0.19.2"),
        "samples": samples.tolist(),
        "decision_function": expected.tolist(),
        "score_samples": (expected - document_intercept(LEGACY)).tolist(),
        "predict": [1 if v > 0 else -1 for v in expected],
    }
    path = OUT / "legacy_sklearn_0.19.2_pipeline.json"
    path.write_text(json.dumps(document, separators=(",", ":")), encoding="utf-8")
    print(f"legacy_sklearn_0.19.2_pipeline: {path.stat().st_size // 1024} KiB")
    return path.stat().st_size


def document_intercept(path):
    from export_sklearn import load_pickle

    return float(np.ravel(load_pickle(str(path)).steps[1][1].intercept_)[0])


if __name__ == "__main__":
    main()
