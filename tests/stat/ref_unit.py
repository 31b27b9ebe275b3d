#!/usr/bin/python3
"""Independent reference values for tests/unit/test_stats*.c and test_rng.c.

Purpose: every expected number in the statistics unit tests comes from this
script (NumPy / SciPy, Debian bookworm: numpy 1.24.2, scipy 1.10.1), never
from simcon's own output. Run it with the system Python (the pyenv python3
on PATH has no numpy):

    /usr/bin/python3 tests/stat/ref_unit.py > tests/stat/ref_unit.out

and compare with the committed ref_unit.out; the C tests quote these values
(17 significant digits) and cite this file. The input data below are
repeated literally in the C tests: change both or neither.

It also writes tests/stat/data/law_boot_reps.txt (bootstrap replicates of
the law-school correlation drawn with NumPy's generator) so that the C test
can feed the SAME replicates to sc_ci_bca / sc_ci_percentile and compare
with scipy.stats.bootstrap's interval computed from them (its
bootstrap_result argument), which isolates the interval formulas from the
random draws.
"""
import itertools
import os
import sys

import numpy as np
import scipy
import scipy.stats as st

EPS = np.sqrt(np.finfo(float).eps)  # vegan::mantel's tie tolerance
HERE = os.path.dirname(os.path.abspath(__file__))


def g(x):
    return "%.17g" % x


print("# numpy", np.__version__, "scipy", scipy.__version__,
      "python", sys.version.split()[0])

# ## 1. Pearson / Spearman with ties (scipy.stats.pearsonr / spearmanr;
# spearmanr uses average ranks for ties).
x = np.array([2.385, 1.2, 3.7, 1.2, 5.5, 0.3, 2.385, 4.1])
y = np.array([0.7, 1.9, 2.2, 0.4, 3.3, 1.9, 1.1, 2.8])
print("corr.pearson", g(st.pearsonr(x, y)[0]))
print("corr.spearman", g(st.spearmanr(x, y)[0]))

# ## 2. Exact Mantel, 4 models (all 24 permutations of B's labels).
A4 = np.array([[1, 0.812, 0.347, 0.559],
               [0.812, 1, 0.238, 0.691],
               [0.347, 0.238, 1, 0.405],
               [0.559, 0.691, 0.405, 1]])
B4 = np.array([[1, 0.733, 0.291, 0.368],
               [0.733, 1, 0.412, 0.877],
               [0.291, 0.412, 1, 0.154],
               [0.368, 0.877, 0.154, 1]])


def mantel_exact(A, B, pairs, corr):
    m = A.shape[0]
    xa = np.array([A[i, j] for i, j in pairs])

    def stat(pi):
        yb = np.array([B[pi[i], pi[j]] for i, j in pairs])
        return corr(xa, yb)

    t = stat(list(range(m)))
    ts = np.array([stat(p) for p in itertools.permutations(range(m))])
    n = len(ts)
    return (t, np.sum(ts >= t - EPS) / n, np.sum(ts <= t + EPS) / n,
            np.sum(np.abs(ts) >= abs(t) - EPS) / n)


def pearson(a, b):
    return st.pearsonr(a, b)[0]


def spearman(a, b):
    return st.spearmanr(a, b)[0]


all4 = [(i, j) for i in range(4) for j in range(i + 1, 4)]
for name, f in (("pearson", pearson), ("spearman", spearman)):
    t, pg, pl, p2 = mantel_exact(A4, B4, all4, f)
    print("mantel4.%s r %s p_greater %s p_less %s p_two %s"
          % (name, g(t), g(pg), g(pl), g(p2)))

# ## 3. Exact Mantel over a between-category pair set, 5 models.
A5 = np.array([[1, 0.623, 0.271, 0.845, 0.432],
               [0.623, 1, 0.518, 0.194, 0.707],
               [0.271, 0.518, 1, 0.366, 0.589],
               [0.845, 0.194, 0.366, 1, 0.253],
               [0.432, 0.707, 0.589, 0.253, 1]])
B5 = np.array([[1, 0.581, 0.312, 0.774, 0.495],
               [0.581, 1, 0.447, 0.263, 0.652],
               [0.312, 0.447, 1, 0.218, 0.731],
               [0.774, 0.263, 0.218, 1, 0.336],
               [0.495, 0.652, 0.731, 0.336, 1]])
cat5 = [0, 0, 1, 1, 0]
between = [(i, j) for i in range(5) for j in range(i + 1, 5)
           if {cat5[i], cat5[j]} == {0, 1}]
print("mantel5.between pairs", between)
t, pg, pl, p2 = mantel_exact(A5, B5, between, pearson)
print("mantel5.between.pearson r %s p_greater %s p_less %s p_two %s"
      % (g(t), g(pg), g(pl), g(p2)))

# ## 4. Law school data (Efron & Tibshirani 1993, Table 3.1), BCa.
lsat = np.array([576, 635, 558, 578, 666, 580, 555, 661, 651, 605, 653, 575,
                 545, 572, 594], dtype=float)
gpa = np.array([3.39, 3.30, 2.81, 3.03, 3.44, 3.07, 3.00, 3.43, 3.36, 3.13,
                3.12, 2.74, 2.76, 2.88, 2.96])


def corr_stat(a, b, axis=-1):
    a = a - a.mean(axis=axis, keepdims=True)
    b = b - b.mean(axis=axis, keepdims=True)
    return (a * b).sum(axis) / np.sqrt((a * a).sum(axis) * (b * b).sum(axis))


print("law.r", g(corr_stat(lsat, gpa)))
rng = np.random.default_rng(20241127)
B = 2000
idx = rng.integers(0, 15, size=(B, 15))
reps = corr_stat(lsat[idx], gpa[idx], axis=-1)
assert np.all(np.isfinite(reps))
os.makedirs(os.path.join(HERE, "data"), exist_ok=True)
with open(os.path.join(HERE, "data", "law_boot_reps.txt"), "w") as f:
    f.write("# %d bootstrap replicates of corr(LSAT, GPA), law-school data;"
            " numpy default_rng(20241127), see ref_unit.py\n" % B)
    for v in reps:
        f.write(g(v) + "\n")


class Given:  # the shape scipy's bootstrap_result argument expects
    def __init__(self, d):
        self.bootstrap_distribution = d


for method in ("BCa", "percentile"):
    res = st.bootstrap((lsat, gpa), corr_stat, paired=True, vectorized=True,
                       n_resamples=0, bootstrap_result=Given(reps),
                       confidence_level=0.95, method=method)
    print("law.given_reps.%s lo %s hi %s" % (method, g(res.confidence_interval
          .low), g(res.confidence_interval.high)))
# The same interval with scipy's own draws (large B): the Monte-Carlo
# target for the C engine's own bootstrap.
res = st.bootstrap((lsat, gpa), corr_stat, paired=True, vectorized=True,
                   n_resamples=40000, confidence_level=0.95, method="BCa",
                   random_state=np.random.default_rng(7))
print("law.scipy_B40000.BCa lo %s hi %s" % (g(res.confidence_interval.low),
                                            g(res.confidence_interval.high)))

# Monte-Carlo spread of that interval at B = 4000 (40 repeats), which
# sets the tolerance of the C engine's own B = 4000 run.
los, his = [], []
for s in range(40):
    res = st.bootstrap((lsat, gpa), corr_stat, paired=True, vectorized=True,
                       n_resamples=4000, confidence_level=0.95,
                       method="BCa", random_state=np.random.default_rng(100 + s))
    los.append(res.confidence_interval.low)
    his.append(res.confidence_interval.high)
print("law.scipy_B4000.BCa sd_lo %.3g sd_hi %.3g (40 repeats)"
      % (np.std(los, ddof=1), np.std(his, ddof=1)))

# ## 5. Seed mixer and MT19937 (numpy's MT19937 with legacy seeding is the
# reference init_genrand of Matsumoto & Nishimura 2002, as GSL's mt19937).
M64 = (1 << 64) - 1


def task_seed(master, task):
    h = 0xcbf29ce484222325
    for c in task.encode():
        h ^= c
        h = (h * 0x100000001b3) & M64
    z = h ^ master
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
    z ^= z >> 31
    s = (z ^ (z >> 32)) & 0xffffffff
    return s if s else 1


for master, task in ((0, ""), (241105561, "mantel"),
                     (1, "consistency/a,b"), (M64, "x")):
    s = task_seed(master, task)
    bg = np.random.MT19937()
    bg._legacy_seeding(s)
    raw = bg.random_raw(3)
    print("seed master=%d task=%r -> %d ; mt19937 raw %d %d %d"
          % (master, task, s, raw[0], raw[1], raw[2]))

# ## 6. Category contrast and consistency over model resamples (pair rule
# written out here independently: positions a < b, models differ, pair in
# base set).
S1 = np.array([[1, .71, .42, .63, .35, .58],
               [.71, 1, .27, .81, .49, .66],
               [.42, .27, 1, .38, .74, .22],
               [.63, .81, .38, 1, .31, .69],
               [.35, .49, .74, .31, 1, .45],
               [.58, .66, .22, .69, .45, 1]])
S2 = np.array([[1, .68, .51, .57, .29, .62],
               [.68, 1, .33, .77, .41, .73],
               [.51, .33, 1, .44, .69, .18],
               [.57, .77, .44, 1, .36, .64],
               [.29, .41, .69, .36, 1, .52],
               [.62, .73, .18, .64, .52, 1]])
S3 = np.array([[1, .75, .39, .66, .43, .54],
               [.75, 1, .24, .79, .55, .61],
               [.39, .24, 1, .47, .71, .26],
               [.66, .79, .47, 1, .28, .74],
               [.43, .55, .71, .28, 1, .40],
               [.54, .61, .26, .74, .40, 1]])
sims = [S1, S2, S3]
lab = [0, 1, 0, 1, 0, 1]


def pairs_of(res, base):
    out = []
    for a in range(len(res)):
        for b in range(a + 1, len(res)):
            i, j = res[a], res[b]
            if i != j and (min(i, j), max(i, j)) in base:
                out.append((min(i, j), max(i, j)))
    return out


def within(c):
    return {(i, j) for i in range(6) for j in range(i + 1, 6)
            if lab[i] == c and lab[j] == c}


def mean_cons(pairs):
    vals = []
    for d in range(3):
        for e in range(d + 1, 3):
            xa = [sims[d][i, j] for i, j in pairs]
            yb = [sims[e][i, j] for i, j in pairs]
            vals.append(pearson(xa, yb))
    return np.mean(vals)


ident = list(range(6))
print("contrast.observed", g(mean_cons(pairs_of(ident, within(0)))
                             - mean_cons(pairs_of(ident, within(1)))))
res6 = [0, 2, 2, 4, 1, 3, 5, 3]
print("contrast.boot res=%s" % res6,
      g(mean_cons(pairs_of(res6, within(0)))
        - mean_cons(pairs_of(res6, within(1)))))
allp = {(i, j) for i in range(6) for j in range(i + 1, 6)}
res7 = [1, 1, 4, 0, 5, 2]
pp = pairs_of(res7, allp)
print("consistency.boot res=%s npairs %d r %s" % (
    res7, len(pp), g(pearson([S1[i, j] for i, j in pp],
                             [S2[i, j] for i, j in pp]))))
