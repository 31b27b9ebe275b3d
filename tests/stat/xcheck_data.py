#!/usr/bin/python3
"""Writes the two similarity matrices used by the slow cross-checks
(tests/stat/data/xcheck_a.csv, xcheck_b.csv) in simcon's CSV format.

12 "models" with 8-dimensional latent features; dataset a's similarity is
the correlation of the features, dataset b's that of noisy features, so the
two matrices are moderately associated (Mantel p around a few percent, where
a Monte-Carlo comparison of p-values is informative). B's file lists the
models in reverse order, so the cross-check also exercises matching by name.
Run: /usr/bin/python3 tests/stat/xcheck_data.py   (numpy 1.24.2)
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2411)
m, d = 12, 8
names = ["model_%02d" % i for i in range(m)]
x = rng.normal(size=(m, d))
a = np.corrcoef(x)
b = np.corrcoef(x + 2.2 * rng.normal(size=(m, d)))


def write(path, s, order):
    with open(path, "w") as f:
        f.write("," + ",".join(names[i] for i in order) + "\n")
        for i in order:
            f.write(names[i] + "," + ",".join("%.17g" % s[i, j] for j in order)
                    + "\n")


write(os.path.join(HERE, "data", "xcheck_a.csv"), a, range(m))
write(os.path.join(HERE, "data", "xcheck_b.csv"), b, list(range(m))[::-1])
