#!/usr/bin/python3
"""Cross-check of simcon's model bootstrap (sc_boot + sc_consistency_boot_stat)
against scipy.stats.bootstrap, run separately and recorded:

    /usr/bin/python3 tests/stat/xcheck_scipy.py > tests/stat/xcheck_scipy.out

Statistic: consistency (Pearson correlation over all model pairs) of the
two matrices in data/xcheck_{a,b}.csv. The resampling unit is the MODEL:
scipy resamples the model index array, and the statistic below builds the
pairs (a, b), a < b, of resample positions whose models differ (a model is
never paired with its own copy), written here independently of simcon's C
code. scipy's BCa jackknife calls the same statistic on leave-one-out index
arrays, as sc_boot does. Printed: the interval from B = 20000 (target) and
the Monte-Carlo sd of the endpoints at B = 4000, simcon's B in the slow test
(20 repeats), so that test can use a tolerance of a few sd.
Versions are printed on the first line.
"""
import os
import sys

import numpy as np
import scipy
import scipy.stats as st

HERE = os.path.dirname(os.path.abspath(__file__))


def read_sim(path):
    with open(path) as f:
        names = f.readline().rstrip("\n").split(",")[1:]
        rows = {}
        for line in f:
            parts = line.rstrip("\n").split(",")
            rows[parts[0]] = [float(v) for v in parts[1:]]
    return names, np.array([rows[n] for n in names])


na, A = read_sim(os.path.join(HERE, "data", "xcheck_a.csv"))
nb, B = read_sim(os.path.join(HERE, "data", "xcheck_b.csv"))
order = [nb.index(n) for n in na]  # match models by name
B = B[np.ix_(order, order)]
m = len(na)


def consistency(idx):
    idx = np.asarray(idx)
    xs, ys = [], []
    for a in range(len(idx)):
        for b in range(a + 1, len(idx)):
            i, j = idx[a], idx[b]
            if i != j:
                xs.append(A[i, j])
                ys.append(B[i, j])
    return np.corrcoef(xs, ys)[0, 1]


print("# numpy", np.__version__, "scipy", scipy.__version__, "python",
      sys.version.split()[0])
units = np.arange(m)
print("estimate %.17g" % consistency(units))
for method in ("BCa", "percentile"):
    r = st.bootstrap((units,), consistency, vectorized=False,
                     n_resamples=20000, confidence_level=0.95,
                     method=method, random_state=np.random.default_rng(11))
    print("scipy %s B 20000 lo %.17g hi %.17g" % (
        method, r.confidence_interval.low, r.confidence_interval.high))
    lo, hi = [], []
    for s in range(20):
        r = st.bootstrap((units,), consistency, vectorized=False,
                         n_resamples=4000, confidence_level=0.95,
                         method=method,
                         random_state=np.random.default_rng(1000 + s))
        lo.append(r.confidence_interval.low)
        hi.append(r.confidence_interval.high)
    print("scipy %s B 4000 sd_lo %.4g sd_hi %.4g (20 repeats)" % (
        method, np.std(lo, ddof=1), np.std(hi, ddof=1)))
