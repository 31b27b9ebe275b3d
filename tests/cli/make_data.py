#!/usr/bin/env python3
"""Writes the small inputs of the CLI tests (tests/cli/data/).

Run with Debian's /usr/bin/python3 (numpy 1.24.2). Seeded, so rerunning it
rewrites identical files. The expected CKA value of x20/y20 is computed here
with a direct numpy transcription of the paper's unbiased linear CKA
(docs/FORMULAS.md), independent of the C code, and written to expected.txt.
"""
import os
import numpy as np

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(20261127)
x = rng.normal(size=(20, 5))
y = x @ rng.normal(size=(5, 8)) + 0.5 * rng.normal(size=(20, 8))
np.save(os.path.join(out, "x20.npy"), x)
np.save(os.path.join(out, "y20.npy"), y.astype(np.float32))
np.save(os.path.join(out, "z19.npy"), rng.normal(size=(19, 5)))
np.save(os.path.join(out, "const20.npy"), np.full((20, 3), 1.5))
bad = x.copy()
bad[7, 2] = np.inf
np.save(os.path.join(out, "inf20.npy"), bad)
with open(os.path.join(out, "trunc20.npy"), "wb") as f:
    raw = open(os.path.join(out, "x20.npy"), "rb").read()
    f.write(raw[: len(raw) - 40])
# A label vector, shape (20,): what a user might pass among the feature
# files by mistake (issue 19: refused unless --allow-vector).
np.save(os.path.join(out, "labels20.npy"), np.repeat(np.arange(4), 5))


def unbiased_hsic_gram(k):
    n = k.shape[0]
    k = k.copy()
    np.fill_diagonal(k, 0.0)
    means = k.sum(axis=0) / (n - 2)
    means -= means.sum() / (2 * (n - 1))
    k = k - means[:, None] - means[None, :]
    np.fill_diagonal(k, 0.0)
    return k


def cka(a, b):
    ka = unbiased_hsic_gram(a @ a.T)
    kb = unbiased_hsic_gram(b @ b.T)
    return (ka * kb).sum() / np.sqrt((ka * ka).sum() * (kb * kb).sum())


y32 = np.load(os.path.join(out, "y20.npy")).astype(np.float64)
xl2 = x / np.linalg.norm(x, axis=1, keepdims=True)
yl2 = y32 / np.linalg.norm(y32, axis=1, keepdims=True)
with open(os.path.join(out, "expected.txt"), "w") as f:
    f.write("# numpy %s, unbiased linear CKA (docs/FORMULAS.md)\n" % np.__version__)
    f.write("cka_none %.17g\n" % cka(x, y32))
    f.write("cka_l2 %.17g\n" % cka(xl2, yl2))


# simcon mantel on an asymmetric matrix (issue 18, defect 7): a linreg-like
# A[i][j] = R^2 of the least-squares prediction of representation j from
# representation i (not symmetric), and a symmetric B (cosine similarity of
# flattened Gram matrices). The expected r is Pearson's r over the model
# pairs i < j of (A + A^T) / 2 and B, which is what `simcon run` analyses;
# the upper triangle of A alone gives a different r (also written, so the
# test can show the two differ).
reps = [rng.normal(size=(30, 4)) for _ in range(6)]
reps[3] = reps[0] @ rng.normal(size=(4, 4)) + 0.3 * rng.normal(size=(30, 4))
reps[4] = reps[1][:, :2]  # 2 columns: predicts poorly, is predicted well


def r2(x, y):
    xc, yc = x - x.mean(0), y - y.mean(0)
    beta, *_ = np.linalg.lstsq(xc, yc, rcond=None)
    res = yc - xc @ beta
    return 1.0 - (res * res).sum() / (yc * yc).sum()


m = len(reps)
names = ["m%d" % i for i in range(m)]
A = np.array([[r2(reps[i], reps[j]) for j in range(m)] for i in range(m)])
grams = [(g := r @ r.T).ravel() / np.linalg.norm(g) for r in reps]
B = np.array([[grams[i] @ grams[j] for j in range(m)] for i in range(m)])


def write_csv(path, s):
    with open(path, "w") as f:
        f.write("," + ",".join(names) + "\n")
        for i in range(m):
            f.write(names[i] + "," + ",".join("%.17g" % v for v in s[i]) + "\n")


write_csv(os.path.join(out, "asym_a.csv"), A)
write_csv(os.path.join(out, "sym_b.csv"), B)
iu = np.triu_indices(m, 1)
sym = (A + A.T) / 2
with open(os.path.join(out, "expected.txt"), "a") as f:
    f.write("mantel_asym_r %.17g\n" % np.corrcoef(sym[iu], B[iu])[0, 1])
    f.write("mantel_upper_only_r %.17g\n" % np.corrcoef(A[iu], B[iu])[0, 1])


# Values near DBL_MAX (issue 18, defect 15). alt20: rows alternate between
# +1e308 and -1e308; its squares overflow, which CKA used to report as
# "zero variance". huge20: finite values of magnitude 0.5e308 to 1e308 in
# 10 columns, so every row's norm exceeds DBL_MAX; l2 normalisation scales
# by the row's largest |value| first. The expected CKA (l2, against y20)
# normalises the same way in numpy; the result does not depend on the
# scaling order beyond rounding.
alt = np.full((20, 5), 1e308)
alt[::2] *= -1
np.save(os.path.join(out, "alt20.npy"), alt)
huge = (rng.uniform(0.5, 1.0, size=(20, 10)) * 1e308
        * rng.choice([-1.0, 1.0], size=(20, 10)))
np.save(os.path.join(out, "huge20.npy"), huge)
hs = huge / np.abs(huge).max(axis=1, keepdims=True)
hl2 = hs / np.linalg.norm(hs, axis=1, keepdims=True)
with open(os.path.join(out, "expected.txt"), "a") as f:
    f.write("cka_l2_huge %.17g\n" % cka(hl2, yl2))
