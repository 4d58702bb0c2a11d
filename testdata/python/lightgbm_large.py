"""Train LightGBM's binary objective once on the large synthetic task of testdata/bench/suite_ml.py, in a process of
its own, and report its training time, held-out AUC and peak memory.

Usage: lightgbm_large.py DIR. DIR holds config.json ({"Large": {"Rows", "Test", "Features"}, "Trees",
"Threads"}), large_X.f64 and large_test_X.f64 (column-major little-endian float64) and large_y.f64,
large_test_y.f64. The training matrix is read once and handed to LightGBM as a column-major view, which its
Dataset reads without a copy. Writes lightgbm_large.json: fit_s (Dataset construction included), auc, and
max_rss_bytes (the process's peak resident memory, its copy of the float64 data included) and data_rss_bytes
(the peak before training, with the data loaded).
"""

import json
import os
import resource
import sys
import time

import lightgbm as lgb
import numpy as np
from sklearn.metrics import roc_auc_score


def max_rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def read_matrix(path, rows):
    flat = np.fromfile(path, dtype="<f8")
    return flat.reshape(flat.size // rows, rows).T  # Fortran-ordered view, no copy


def main(d):
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    large, threads = cfg["Large"], cfg["Threads"]
    X = read_matrix(os.path.join(d, "large_X.f64"), large["Rows"])
    y = np.fromfile(os.path.join(d, "large_y.f64"), dtype="<f8")
    data_rss = max_rss()
    params = dict(objective="binary", learning_rate=0.1, num_leaves=31, max_depth=-1, min_data_in_leaf=20,
                  min_sum_hessian_in_leaf=1e-3, lambda_l2=0.0, max_bin=255, bagging_fraction=1.0,
                  feature_fraction=1.0, num_threads=threads, verbose=-1, seed=1)
    t0 = time.perf_counter()
    bst = lgb.train(params, lgb.Dataset(X, y, params={"max_bin": 255, "verbose": -1}), cfg["Trees"])
    secs = time.perf_counter() - t0
    peak = max_rss()
    del X, y
    Xt = read_matrix(os.path.join(d, "large_test_X.f64"), large["Test"])
    yt = np.fromfile(os.path.join(d, "large_test_y.f64"), dtype="<f8")
    auc = roc_auc_score(yt, bst.predict(Xt, num_threads=threads))
    with open(os.path.join(d, "lightgbm_large.json"), "w") as f:
        json.dump({"fit_s": secs, "auc": auc, "max_rss_bytes": peak, "data_rss_bytes": data_rss}, f)


if __name__ == "__main__":
    main(sys.argv[1])
