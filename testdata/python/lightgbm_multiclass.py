"""Train LightGBM's multiclass objective on matrices written by stdlib/ml's parity test and report its metrics.

Usage: lightgbm_multiclass.py DIR. DIR holds config.json ({"tasks": [{"name", "train", "test", "features",
"classes"}], "params": {...}}) and, per task, <name>_{train,test}_X.f64 (column-major little-endian float64) and
<name>_{train,test}_y.f64 (class indices). Writes lightgbm.json: per task, the test multi-class log loss and
accuracy, and the training seconds.
"""

import json
import os
import sys
import time

import lightgbm as lgb
import numpy as np


def read_matrix(path, rows):
    flat = np.fromfile(path, dtype="<f8")
    return np.ascontiguousarray(flat.reshape(flat.size // rows, rows).T)


def main(d):
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    p = cfg["params"]
    out = {}
    for task in cfg["tasks"]:
        name, ntr, nte, k = task["name"], task["train"], task["test"], task["classes"]
        Xtr = read_matrix(os.path.join(d, f"{name}_train_X.f64"), ntr)
        Xte = read_matrix(os.path.join(d, f"{name}_test_X.f64"), nte)
        ytr = np.fromfile(os.path.join(d, f"{name}_train_y.f64"), dtype="<f8")
        yte = np.fromfile(os.path.join(d, f"{name}_test_y.f64"), dtype="<f8").astype(int)
        params = dict(objective="multiclass", num_class=k, learning_rate=p["learning_rate"],
                      num_leaves=p["num_leaves"], max_depth=-1, min_data_in_leaf=p["min_data_in_leaf"],
                      min_sum_hessian_in_leaf=1e-3, lambda_l2=0.0, max_bin=255, bagging_fraction=1.0,
                      feature_fraction=1.0, num_threads=p["threads"], verbose=-1, seed=1, deterministic=True)
        t0 = time.perf_counter()
        bst = lgb.train(params, lgb.Dataset(Xtr, ytr, params={"max_bin": 255, "verbose": -1}), p["rounds"])
        secs = time.perf_counter() - t0
        prob = bst.predict(Xte, num_threads=p["threads"])
        logloss = float(-np.mean(np.log(np.clip(prob[np.arange(nte), yte], 1e-15, None))))
        acc = float(np.mean(prob.argmax(axis=1) == yte))
        out[name] = {"multi_logloss": logloss, "accuracy": acc, "train_s": secs}
    with open(os.path.join(d, "lightgbm.json"), "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv[1])
