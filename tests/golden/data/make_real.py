#!/usr/bin/python3
"""Real-feature golden inputs for the metric plugin suite.

Slices of the example zoo's features (experiments/zoo/features/<dataset>/
<model>.npy, float32, 300 stimuli x 128 units, rows sorted by class, 30 per
class) so that every metric is also checked on representations of trained
networks, not only on Gaussian draws. Rows 0, 7, 14, ..., 273 (40 stimuli,
all 10 classes), all 128 columns (d > n: a wide case), converted to float64.
Writes tests/golden/data/<metric>_real_{x,y}.npy. Each metric gets a
different pair of models so the suite covers several kinds of similarity.

Run: /usr/bin/python3 tests/golden/data/make_real.py   (numpy 1.24.2)
The zoo's features must exist (experiments/zoo/build.sh makes them).
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ZOO = os.path.join(HERE, "..", "..", "..", "experiments", "zoo", "features")
ROWS = np.arange(0, 300, 7)[:40]
PAIRS = {
    "rsa": ("digits", "cnn_sup_s0", "cnn_ssl_s0"),
    "knn": ("fmnist_test", "cnn_sup_s0", "cnn_sup_s1"),
    "cknna": ("emoji", "cnn_ae_s0", "cnn_ssl_s0"),
    "procrustes": ("digits", "mlp_sup_s0", "cnn_sup_s0"),
    "svcca": ("fmnist_train", "cnn_ssl_s0", "cnn_ssl_s1"),
    "linreg": ("emoji", "cnn_sup_s0", "mlp_sup_s0"),
}


def main():
    for metric, (dataset, mx, my) in PAIRS.items():
        for side, model in (("x", mx), ("y", my)):
            a = np.load(os.path.join(ZOO, dataset, model + ".npy"))
            assert a.shape == (300, 128), (dataset, model, a.shape)
            out = np.ascontiguousarray(a[ROWS], dtype=np.float64)
            np.save(os.path.join(HERE, f"{metric}_real_{side}.npy"), out)
            print(f"{metric}_real_{side}.npy <- {dataset}/{model}.npy")


if __name__ == "__main__":
    main()
