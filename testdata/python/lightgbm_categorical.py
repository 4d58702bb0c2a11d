"""LightGBM with native categorical features, the peer of stdlib/ml's categorical splits.

stdlib/ml's TestCategoricalParityWithLightGBM runs this as `python lightgbm_categorical.py DIR`. DIR holds
config.json ({"rounds": N, "threads": T, "tasks": [{"name", "train_rows", "test_rows", "categorical": [...]}]})
and, for each task, NAME_train_X.f64 and NAME_test_X.f64 (column-major little-endian float64; category codes
0, 1, ... with NaN for missing and -1 for categories not seen in training) and NAME_train_y.f64. The script
trains with the categorical columns given as categorical_feature and writes the test rows' probabilities to
NAME_pred.f64. testdata/bench/suite_ml.py imports train() for its categorical case.

The parameters are LightGBM's defaults, spelled out so that both sides are pinned to the same values.
"""

import json
import os
import sys

import numpy as np


def params(threads):
    return dict(objective="binary", learning_rate=0.1, num_leaves=31, max_depth=-1, min_data_in_leaf=20,
                min_sum_hessian_in_leaf=1e-3, lambda_l2=0.0, max_bin=255, bagging_fraction=1.0,
                feature_fraction=1.0, max_cat_to_onehot=4, max_cat_threshold=32, min_data_per_group=100,
                cat_smooth=10.0, cat_l2=10.0, num_threads=threads, verbose=-1, seed=1, deterministic=True)


def train(X, y, categorical, rounds, threads):
    import lightgbm as lgb
    ds = lgb.Dataset(X, y, categorical_feature=list(categorical), params={"max_bin": 255, "verbose": -1})
    return lgb.train(params(threads), ds, rounds)


def read_matrix(path, rows):
    flat = np.fromfile(path, dtype="<f8")
    return np.ascontiguousarray(flat.reshape(flat.size // rows, rows).T)


def main(d):
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    for t in cfg["tasks"]:
        name = t["name"]
        X = read_matrix(os.path.join(d, f"{name}_train_X.f64"), t["train_rows"])
        y = np.fromfile(os.path.join(d, f"{name}_train_y.f64"), dtype="<f8")
        Xt = read_matrix(os.path.join(d, f"{name}_test_X.f64"), t["test_rows"])
        bst = train(X, y, t["categorical"], cfg["rounds"], cfg["threads"])
        bst.predict(Xt, num_threads=cfg["threads"]).astype("<f8").tofile(os.path.join(d, f"{name}_pred.f64"))


if __name__ == "__main__":
    main(sys.argv[1])
