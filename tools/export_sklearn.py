#!/usr/bin/env python3
"""Export a fitted scikit-learn OneClassSVM, or Pipeline(scaler, OneClassSVM), to
PgScorer's model JSON (format "pgscorer.one_class_svm", described in the README).

    tools/export_sklearn.py MODEL.pkl|MODEL.joblib OUT.json
    tools/export_sklearn.py IN_FOLDER OUT_FOLDER      # every *.pkl / *.joblib in the folder

Accepts OneClassSVM with kernel rbf, linear, poly or sigmoid, optionally preceded in a
Pipeline by a StandardScaler or a MinMaxScaler (clip=False). Anything else is refused
with a message naming what was found.

Pickles (.pkl) are read with a restricted unpickler: the scikit-learn classes it knows
(at their module paths from 0.19 on, e.g. sklearn.preprocessing.data and
sklearn.svm.classes) become plain holders of their fitted state, only NumPy's array
constructors are allowed, and any other global is refused by name — nothing in the
file is executed, and old pickles that today's scikit-learn cannot load still export.
.joblib files are loaded with joblib (which runs code): only export those you trust.
"""
import json
import os
import pickle
import sys

import numpy as np

FORMAT = "pgscorer.one_class_svm"
KERNELS = ("rbf", "linear", "poly", "sigmoid")


class ExportError(Exception):
    """The file does not hold a model PgScorer can score."""


# The scikit-learn classes a pickle may name, by (module, class), at every module path
# they have had since 0.19.
KNOWN_ESTIMATORS = {
    ("sklearn.pipeline", "Pipeline"),
    ("sklearn.preprocessing.data", "StandardScaler"), ("sklearn.preprocessing._data", "StandardScaler"),
    ("sklearn.preprocessing.data", "MinMaxScaler"), ("sklearn.preprocessing._data", "MinMaxScaler"),
    ("sklearn.svm.classes", "OneClassSVM"), ("sklearn.svm._classes", "OneClassSVM"),
}
# NumPy constructors that only build arrays, dtypes and scalars from bytes.
NUMPY_CONSTRUCTORS = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
}


class FittedState:
    """A scikit-learn object read from a pickle as plain data: its class name and state."""

    def __setstate__(self, state):
        self.__dict__.update(state if isinstance(state, dict) else {"state": state})


def _state_class(module, name):
    return type(name, (FittedState,), {"__module__": module})


def _reconstructor(cls, base, state):
    """copyreg._reconstructor (protocol 0/1 pickles), allowed only for state holders."""
    if not (isinstance(cls, type) and issubclass(cls, FittedState)) or base is not object:
        raise ExportError(f"refusing copyreg._reconstructor of {cls!r}")
    return object.__new__(cls)


class RestrictedUnpickler(pickle.Unpickler):
    """Maps known scikit-learn classes to state holders and refuses everything else."""

    def find_class(self, module, name):
        if (module, name) in KNOWN_ESTIMATORS:
            return _state_class(module, name)
        if (module, name) in NUMPY_CONSTRUCTORS:
            return super().find_class(module, name)
        if (module, name) in {("copyreg", "_reconstructor"), ("copy_reg", "_reconstructor")}:
            return _reconstructor
        if module == "builtins" and name == "object":
            return object
        raise ExportError(
            f"refusing to load {module}.{name}: the file holds something other than a OneClassSVM pipeline "
            "(nothing from it was executed)")


def load_pickle(path):
    try:
        with open(path, "rb") as handle:
            return RestrictedUnpickler(handle).load()
    except ExportError:
        raise
    except OSError as error:
        raise ExportError(f"cannot open the file: {error.strerror}") from None
    except Exception as error:  # a damaged or foreign file
        with open(path, "rb") as handle:
            head = handle.read(16)
        if not head.startswith(b"\x80"):
            raise ExportError(f"not a pickle file (it begins {head!r})") from None
        raise ExportError(f"cannot read the pickle, it may be damaged: {error}") from None


def _floats(values):
    return [float(v) for v in np.asarray(values, dtype=np.float64).ravel()]


def _attribute(obj, *names):
    """The first present attribute (old pickles use other names for some)."""
    for name in names:
        value = getattr(obj, name, None)
        if value is not None:
            return value
    return None


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
    # scikit-learn scores with the underscored copies; old releases may lack some names.
    dual = _attribute(svm, "_dual_coef_", "dual_coef_")
    intercept = _attribute(svm, "_intercept_", "intercept_")
    gamma = _attribute(svm, "_gamma")
    if dual is None or intercept is None or gamma is None:
        raise ExportError("the OneClassSVM's fitted state is incomplete (dual_coef_, intercept_ or _gamma missing)")
    offset = getattr(svm, "offset_", None)
    return {
        "kernel": kernel,
        "gamma": float(gamma),
        "coef0": float(svm.coef0),
        "degree": int(svm.degree),
        "support_vectors": vectors,
        "dual_coef": np.asarray(dual, dtype=np.float64).ravel(),
        "intercept": float(np.asarray(intercept).ravel()[0]),
        "offset": float(np.asarray(offset).ravel()[0]) if offset is not None else None,
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


def export_estimator(estimator, sklearn_version=None):
    """The JSON document for a fitted OneClassSVM or Pipeline(scaler, OneClassSVM)."""
    if sklearn_version is None:
        import sklearn

        sklearn_version = sklearn.__version__
    scaler = None
    if type(estimator).__name__ == "Pipeline":
        steps = [step for _, step in estimator.steps if step is not None and not isinstance(step, str)]
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
    metadata = {"exported_by": "tools/export_sklearn.py", "sklearn_version": sklearn_version}
    return model_document(state, scaler, metadata)


def load(path):
    """The fitted estimator in a .pkl (restricted, no code runs) or .joblib file."""
    if path.endswith(".joblib"):
        import joblib

        return joblib.load(path)
    return load_pickle(path)


def export_file(source, target):
    estimator = load(source)
    version = getattr(estimator, "_sklearn_version", None) if isinstance(estimator, FittedState) else None
    document = export_estimator(estimator, sklearn_version=version or ("unknown (legacy pickle)" if isinstance(estimator, FittedState) else None))
    with open(target, "w", encoding="utf-8") as handle:
        json.dump(document, handle)
    return document


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    source, target = argv[1], argv[2]
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
        names = sorted(n for n in os.listdir(source) if n.endswith((".pkl", ".joblib")))
        failures = 0
        for name in names:
            out = os.path.join(target, os.path.splitext(name)[0] + ".json")
            try:
                document = export_file(os.path.join(source, name), out)
                print(f"ok      {name} -> {out} ({document['kernel']}, {len(document['dual_coef'])} support vectors)")
            except ExportError as error:
                failures += 1
                print(f"failed  {name}: {error}", file=sys.stderr)
        print(f"exported {len(names) - failures} of {len(names)} file(s)")
        return 1 if failures else 0
    try:
        document = export_file(source, target)
    except ExportError as error:
        print(f"{source}: {error}", file=sys.stderr)
        return 1
    print(f"{source}: {document['kernel']} model, {len(document['dual_coef'])} support vectors, "
          f"{document['n_features']} features -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
