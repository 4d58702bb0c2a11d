"""Fit scikit-learn's multinomial logistic regression and multiclass calibration on matrices written by stdlib/ml's tests.

Usage: sklearn_multiclass.py DIR. DIR holds config.json:

  {"logistic": {"C": 1.0, "tol": 1e-8, "max_iter": 2000, "threads": 1,
                "tasks": [{"name", "train", "test", "classes"}]},
   "calibrate": [{"name", "calib", "test", "classes"}]}

Logistic tasks read <name>_{train,test}_X.f64 (column-major little-endian float64) and <name>_{train,test}_y.f64
(class indices) and fit LogisticRegression(C, lbfgs), which is multinomial for more than two classes. Calibration
tasks read <name>_{calib,test}_p.f64 (each row's class probabilities, row after row) and <name>_calib_y.f64, fit
CalibratedClassifierCV on a frozen model that returns those probabilities (method "sigmoid" on their log-odds,
"isotonic" on the probabilities, as galley's Platt and isotonic calibrators do) and write the calibrated test
probabilities to <name>_{platt,isotonic}_sk.f64. (ensemble=False: the frozen model ignores the cross-validation
folds, so one calibrator per class is fitted on all the calibration rows.) Writes sklearn.json: per logistic task the test log loss, the
coefficients (one row per class), the intercepts, the iterations and the fit seconds.
"""

import json
import os
import sys
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits


def read_matrix(path, rows):
    flat = np.fromfile(path, dtype="<f8")
    return np.ascontiguousarray(flat.reshape(flat.size // rows, rows).T)


class GivenProba(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose "features" are row numbers into a table of class probabilities."""

    def __init__(self, proba=None):
        self.proba = proba

    def fit(self, X, y):
        self.classes_ = np.arange(self.proba.shape[1])
        return self

    def predict_proba(self, X):
        return self.proba[X[:, 0].astype(int)]

    def predict(self, X):
        return self.predict_proba(X).argmax(axis=1)


class GivenLogOdds(GivenProba):
    """GivenProba with a decision_function: each class's log-odds, which sigmoid calibration then fits."""

    def decision_function(self, X):
        p = np.clip(self.predict_proba(X), 1e-15, 1 - 1e-15)
        return np.log(p / (1 - p))


def logistic(d, cfg, out):
    for task in cfg["tasks"]:
        name, ntr, nte = task["name"], task["train"], task["test"]
        Xtr = read_matrix(os.path.join(d, f"{name}_train_X.f64"), ntr)
        Xte = read_matrix(os.path.join(d, f"{name}_test_X.f64"), nte)
        ytr = np.fromfile(os.path.join(d, f"{name}_train_y.f64"), dtype="<f8").astype(int)
        yte = np.fromfile(os.path.join(d, f"{name}_test_y.f64"), dtype="<f8").astype(int)
        with threadpool_limits(limits=cfg.get("threads", 1)):
            t0 = time.perf_counter()
            lr = LogisticRegression(C=cfg["C"], solver="lbfgs", tol=cfg["tol"], max_iter=cfg["max_iter"]).fit(Xtr, ytr)
            secs = time.perf_counter() - t0
        p = lr.predict_proba(Xte)
        ll = float(-np.mean(np.log(np.clip(p[np.arange(len(yte)), yte], 1e-15, None))))
        out[name] = {"multi_logloss": ll, "coef": lr.coef_.tolist(), "intercept": lr.intercept_.tolist(),
                     "iterations": int(lr.n_iter_[0]), "fit_s": secs}


def calibrate(d, tasks):
    for task in tasks:
        name, nc, nt, k = task["name"], task["calib"], task["test"], task["classes"]
        pc = np.fromfile(os.path.join(d, f"{name}_calib_p.f64"), dtype="<f8").reshape(nc, k)
        pt = np.fromfile(os.path.join(d, f"{name}_test_p.f64"), dtype="<f8").reshape(nt, k)
        yc = np.fromfile(os.path.join(d, f"{name}_calib_y.f64"), dtype="<f8").astype(int)
        proba = np.vstack([pc, pt])
        rows_c = np.arange(nc, dtype=float)[:, None]
        rows_t = np.arange(nc, nc + nt, dtype=float)[:, None]
        for method, sk_method, cls in (("platt", "sigmoid", GivenLogOdds), ("isotonic", "isotonic", GivenProba)):
            est = cls(proba).fit(rows_c, yc)
            # The frozen model's predictions do not depend on the folds, so
            # with ensemble=False one calibrator is fitted on every row.
            cal = CalibratedClassifierCV(FrozenEstimator(est), method=sk_method, ensemble=False).fit(rows_c, yc)
            cal.predict_proba(rows_t).astype("<f8").tofile(os.path.join(d, f"{name}_{method}_sk.f64"))


def main(d):
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    out = {}
    if cfg.get("logistic"):
        logistic(d, cfg["logistic"], out)
    if cfg.get("calibrate"):
        calibrate(d, cfg["calibrate"])
    with open(os.path.join(d, "sklearn.json"), "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv[1])
