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
from export_sklearn import ExportError, export_estimator, load_pickle  # noqa: E402

LEGACY = TOOLS / "fixtures" / "legacy-sklearn" / "pipeline_scaler_ocsvm_sklearn-0.19.2.pkl"


def legacy_expected(samples):
    """Decision values straight from the 0.19.2 pickle's raw state (not from our export)."""
    pipeline = load_pickle(str(LEGACY))
    scaler, svm = pipeline.steps[0][1], pipeline.steps[1][1]
    x = (np.asarray(samples, dtype=float) - scaler.mean_) / scaler.scale_
    squared = ((x[:, None, :] - svm.support_vectors_[None, :, :]) ** 2).sum(-1)
    return np.exp(-svm._gamma * squared) @ np.ravel(svm.dual_coef_) + np.ravel(svm.intercept_)[0]


class Evil:
    def __reduce__(self):
        import os

        return (os.system, (f"touch {tempfile.gettempdir()}/pgscorer-pwned",))


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
            self.assertIn("refusing to load sklearn.ensemble._iforest.IsolationForest", refused.stderr)



class LegacyPickleTests(unittest.TestCase):
    def test_fixture_is_present(self):
        self.assertTrue(LEGACY.exists(), f"missing {LEGACY}")

    def test_legacy_pipeline_exports_and_scores_as_its_state_says(self):
        with tempfile.TemporaryDirectory() as folder:
            out = pathlib.Path(folder) / "legacy.json"
            done = subprocess.run([sys.executable, str(TOOLS / "export_sklearn.py"), str(LEGACY), str(out)], capture_output=True, text=True)
            self.assertEqual(done.returncode, 0, done.stderr)
            document = json.loads(out.read_text())
        self.assertEqual(document["metadata"]["sklearn_version"], "0.19.2")
        self.assertEqual(document["scaler"]["type"], "standard")
        samples = np.linspace(5, 20, 61)[:, None]
        np.testing.assert_allclose(decision(document, samples), legacy_expected(samples), rtol=1e-12, atol=1e-12)

    def test_a_pickle_that_runs_code_is_refused_and_nothing_runs(self):
        marker = pathlib.Path(tempfile.gettempdir()) / "pgscorer-pwned"
        marker.unlink(missing_ok=True)
        with tempfile.TemporaryDirectory() as folder:
            evil = pathlib.Path(folder) / "evil.pkl"
            evil.write_bytes(pickle.dumps(Evil()))
            with self.assertRaisesRegex(ExportError, r"refusing to load posix\.system"):
                load_pickle(str(evil))
        self.assertFalse(marker.exists())

    def test_other_estimators_in_pickles_are_refused_by_name(self):
        with tempfile.TemporaryDirectory() as folder:
            forest = pathlib.Path(folder) / "forest.pkl"
            forest.write_bytes(pickle.dumps(IsolationForest(n_estimators=2).fit(ExportTests.data)))
            with self.assertRaisesRegex(ExportError, r"refusing to load sklearn\.ensemble\._iforest\.IsolationForest"):
                load_pickle(str(forest))
            garbage = pathlib.Path(folder) / "garbage.pkl"
            garbage.write_bytes(b"not a pickle at all")
            with self.assertRaisesRegex(ExportError, "not a pickle file"):
                load_pickle(str(garbage))
            damaged = pathlib.Path(folder) / "damaged.pkl"
            damaged.write_bytes(LEGACY.read_bytes()[:40])
            with self.assertRaisesRegex(ExportError, "cannot read the pickle, it may be damaged"):
                load_pickle(str(damaged))

    def test_folder_mode_exports_the_good_files_and_reports_the_bad(self):
        with tempfile.TemporaryDirectory() as folder:
            source = pathlib.Path(folder) / "in"
            source.mkdir()
            (source / "model_pump-1_temp.pkl").write_bytes(LEGACY.read_bytes())
            (source / "model_pump-2_temp.pkl").write_bytes(pickle.dumps(OneClassSVM(nu=0.2).fit(ExportTests.data)))
            (source / "model_bad_temp.pkl").write_bytes(pickle.dumps(Evil()))
            target = pathlib.Path(folder) / "out"
            done = subprocess.run([sys.executable, str(TOOLS / "export_sklearn.py"), str(source), str(target)], capture_output=True, text=True)
            self.assertEqual(done.returncode, 1)
            self.assertIn("exported 2 of 3 file(s)", done.stdout)
            self.assertIn("failed  model_bad_temp.pkl: refusing to load posix.system", done.stderr)
            self.assertEqual(sorted(p.name for p in target.iterdir()), ["model_pump-1_temp.json", "model_pump-2_temp.json"])


if __name__ == "__main__":
    unittest.main()
