#!/usr/bin/env python3
"""Writes the small .npy inputs of the CLI tests (tests/cli/data/).

Run with Debian's /usr/bin/python3 (numpy 1.24.2). Seeded, so rerunning it
rewrites identical files. The expected CKA value of x20/y20 is computed here
with a direct numpy transcription of the paper's unbiased linear CKA
(DESIGN.md), independent of the C code, and written to expected.txt.
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
    f.write("# numpy %s, unbiased linear CKA (DESIGN.md formula)\n" % np.__version__)
    f.write("cka_none %.17g\n" % cka(x, y32))
    f.write("cka_l2 %.17g\n" % cka(xl2, yl2))
