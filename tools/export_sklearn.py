#!/usr/bin/env python3
"""Export a fitted scikit-learn OneClassSVM, or Pipeline(scaler, OneClassSVM), to
PgScorer's model JSON (format "pgscorer.one_class_svm", described in the README).

    tools/export_sklearn.py MODEL.joblib|MODEL.pkl OUT.json

Accepts OneClassSVM with kernel rbf, linear, poly or sigmoid, optionally preceded in a
Pipeline by a StandardScaler or a MinMaxScaler (clip=False). Anything else is refused
with a message naming what was found.

Note: joblib/pickle files execute code when loaded; only export files you trust.
"""
import json
import sys

import numpy as np

FORMAT = "pgscorer.one_class_svm"
KERNELS = ("rbf", "linear", "poly", "sigmoid")


class ExportError(Exception):
    """The file does not hold a model PgScorer can score."""


def _floats(values):
    return [float(v) for v in np.asarray(values, dtype=np.float64).ravel()]


def _scaler_document(scaler, n_features):
    name = type(scaler).__name__
    if name == "StandardScaler":
        mean = scaler.mean_ if getattr(scaler, "mean_", None) is not None else np.zeros(n_features)
        scale = scaler.scale_ if getattr(scaler, "scale_", None) is not None else np.ones(n_features)
        if not getattr(scaler, "with_mean", True):
            mean = np.zeros(n_features)
        if not getattr(scaler, "with_std", True):
            scale = np.ones(n_features)
        return {"type": "standard", "mean": _floats(mean), "scale": _floats(scale)}
    if name == "MinMaxScaler":
        if getattr(scaler, "clip", False):
            raise ExportError("MinMaxScaler(clip=True) is not supported: refit with clip=False")
        return {"type": "minmax", "scale": _floats(scaler.scale_), "min": _floats(scaler.min_)}
    raise ExportError(f"unsupported pipeline step {name}: expected StandardScaler or MinMaxScaler")


def _svm_state(svm):
    """The fitted state of a OneClassSVM as plain values."""
    name = type(svm).__name__
    if name != "OneClassSVM":
        raise ExportError(f"found {name}, expected OneClassSVM or Pipeline(scaler, OneClassSVM)")
    kernel = svm.kernel
    if not isinstance(kernel, str) or kernel not in KERNELS:
        raise ExportError(f"kernel {kernel!r} is not supported (rbf, linear, poly or sigmoid)")
    if getattr(svm, "support_vectors_", None) is None:
        raise ExportError("the OneClassSVM is not fitted (no support vectors)")
    vectors = np.asarray(svm.support_vectors_, dtype=np.float64)
    if vectors.ndim != 2 or vectors.shape[0] == 0:
        raise ExportError("the OneClassSVM is not fitted (no support vectors)")
    return {
        "kernel": kernel,
        "gamma": float(svm._gamma),
        "coef0": float(svm.coef0),
        "degree": int(svm.degree),
        "support_vectors": vectors,
        "dual_coef": np.asarray(svm.dual_coef_, dtype=np.float64).ravel(),
        "intercept": float(np.asarray(svm.intercept_).ravel()[0]),
        "offset": float(np.asarray(svm.offset_).ravel()[0]) if hasattr(svm, "offset_") else None,
    }


def model_document(state, scaler=None, metadata=None):
    """Builds the JSON document from plain fitted state (see _svm_state)."""
    vectors = np.asarray(state["support_vectors"], dtype=np.float64)
    n_features = int(vectors.shape[1])
    intercept = float(state["intercept"])
    offset = state.get("offset")
    return {
        "format": FORMAT,
        "version": 1,
        "kernel": state["kernel"],
        "gamma": float(state["gamma"]),
        "coef0": float(state["coef0"]),
        "degree": int(state["degree"]),
        "n_features": n_features,
        "intercept": intercept,
        "offset": -intercept if offset is None else float(offset),
        "scaler": scaler,
        "metadata": metadata or {},
        "dual_coef": _floats(state["dual_coef"]),
        "support_vectors": [_floats(row) for row in vectors],
    }


def export_estimator(estimator):
    """The JSON document for a fitted OneClassSVM or Pipeline(scaler, OneClassSVM)."""
    import sklearn

    scaler = None
    if type(estimator).__name__ == "Pipeline":
        steps = [step for _, step in estimator.steps if step not in (None, "passthrough")]
        if len(steps) == 2:
            svm = steps[1]
            state = _svm_state(svm)
            scaler = _scaler_document(steps[0], state["support_vectors"].shape[1])
        elif len(steps) == 1:
            state = _svm_state(steps[0])
        else:
            names = ", ".join(type(step).__name__ for step in steps)
            raise ExportError(f"pipeline has steps {names}: expected an optional scaler then a OneClassSVM")
    else:
        state = _svm_state(estimator)
    metadata = {"exported_by": "tools/export_sklearn.py", "sklearn_version": sklearn.__version__}
    return model_document(state, scaler, metadata)


def load(path):
    if path.endswith(".joblib"):
        import joblib

        return joblib.load(path)
    import pickle

    with open(path, "rb") as handle:
        return pickle.load(handle)


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        document = export_estimator(load(argv[1]))
    except ExportError as error:
        print(f"{argv[1]}: {error}", file=sys.stderr)
        return 1
    with open(argv[2], "w", encoding="utf-8") as handle:
        json.dump(document, handle)
    print(f"{argv[1]}: {document['kernel']} model, {len(document['dual_coef'])} support vectors, "
          f"{document['n_features']} features -> {argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
