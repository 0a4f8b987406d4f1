"""Tests of tools/export_sklearn.py (run by scripts/test)."""
import json
import pathlib
import pickle
import subprocess
import sys
import tempfile
import unittest

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler
from sklearn.svm import OneClassSVM

TOOLS = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
from export_sklearn import ExportError, export_estimator  # noqa: E402


def decision(document, samples):
    """The decision function computed from the exported document alone."""
    x = np.asarray(samples, dtype=float)
    scaler = document["scaler"]
    if scaler and scaler["type"] == "standard":
        x = (x - np.array(scaler["mean"])) / np.array(scaler["scale"])
    elif scaler:
        x = x * np.array(scaler["scale"]) + np.array(scaler["min"])
    sv = np.array(document["support_vectors"])
    gamma, coef0, degree = document["gamma"], document["coef0"], document["degree"]
    dots = x @ sv.T
    kernel = document["kernel"]
    if kernel == "rbf":
        k = np.exp(-gamma * ((x[:, None, :] - sv[None, :, :]) ** 2).sum(-1))
    elif kernel == "linear":
        k = dots
    elif kernel == "poly":
        k = (gamma * dots + coef0) ** degree
    else:
        k = np.tanh(gamma * dots + coef0)
    return k @ np.array(document["dual_coef"]) + document["intercept"]


class ExportTests(unittest.TestCase):
    rng = np.random.default_rng(3)
    data = rng.normal(size=(200, 3))

    def test_pipelines_and_kernels_round_trip(self):
        for kernel in ("rbf", "linear", "poly", "sigmoid"):
            for scaler in (None, StandardScaler(), MinMaxScaler()):
                svm = OneClassSVM(kernel=kernel, nu=0.2, gamma="scale")
                estimator = Pipeline([("s", scaler), ("svm", svm)]) if scaler else svm
                estimator.fit(self.data)
                document = export_estimator(estimator)
                json.dumps(document)
                expected = estimator.decision_function(self.data[:20])
                np.testing.assert_allclose(decision(document, self.data[:20]), expected, rtol=1e-9, atol=1e-9)

    def test_other_estimators_are_refused_by_name(self):
        with self.assertRaisesRegex(ExportError, "found IsolationForest"):
            export_estimator(IsolationForest().fit(self.data))
        with self.assertRaisesRegex(ExportError, "unsupported pipeline step RobustScaler"):
            export_estimator(Pipeline([("s", RobustScaler()), ("svm", OneClassSVM())]).fit(self.data))
        with self.assertRaisesRegex(ExportError, "clip=True"):
            export_estimator(Pipeline([("s", MinMaxScaler(clip=True)), ("svm", OneClassSVM())]).fit(self.data))
        with self.assertRaisesRegex(ExportError, "not fitted"):
            export_estimator(OneClassSVM())

    def test_command_line(self):
        with tempfile.TemporaryDirectory() as folder:
            model = pathlib.Path(folder) / "model.pkl"
            with open(model, "wb") as handle:
                pickle.dump(OneClassSVM(nu=0.1).fit(self.data), handle)
            out = pathlib.Path(folder) / "model.json"
            done = subprocess.run([sys.executable, str(TOOLS / "export_sklearn.py"), str(model), str(out)], capture_output=True, text=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual(json.loads(out.read_text())["format"], "pgscorer.one_class_svm")
            bad = pathlib.Path(folder) / "forest.pkl"
            with open(bad, "wb") as handle:
                pickle.dump(IsolationForest().fit(self.data), handle)
            refused = subprocess.run([sys.executable, str(TOOLS / "export_sklearn.py"), str(bad), str(out)], capture_output=True, text=True)
            self.assertEqual(refused.returncode, 1)
            self.assertIn("found IsolationForest", refused.stderr)


if __name__ == "__main__":
    unittest.main()
