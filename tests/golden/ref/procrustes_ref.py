#!/usr/bin/python3
"""Independent reference values for `procrustes` -> tests/golden/procrustes.tsv.

Orthogonal Procrustes similarity (Ding et al. 2021, "Grounding
Representation Similarity with Statistical Testing", NeurIPS; Williams et
al. 2021, "Generalized Shape Metrics on Neural Representations", NeurIPS):
X, Y column-centred and scaled to unit Frobenius norm; similarity =
||X^T Y||_* (nuclear norm) = max over orthogonal R of <X R, Y>.
Different widths: the narrower matrix is padded with zero columns; the
value is unchanged by padding. Two independent routes are computed and must
agree to 1e-12 before a row is written:
  1. numpy.linalg.norm(X^T Y, 'nuc') without padding;
  2. scipy.linalg.orthogonal_procrustes on zero-padded matrices, whose
     returned `scale` is the sum of singular values of X^T Y.

Run: /usr/bin/python3 tests/golden/ref/procrustes_ref.py
"""
import numpy as np
import scipy
import scipy.linalg

from golden_common import load_pair, provenance, write_table

PROV = provenance("procrustes_ref.py", scipy)


def prep(a):
    a = a - a.mean(axis=0)
    return a / np.linalg.norm(a)


def procrustes(x, y):
    x, y = prep(x), prep(y)
    v1 = np.linalg.norm(x.T @ y, "nuc")
    d = max(x.shape[1], y.shape[1])
    xp = np.zeros((x.shape[0], d))
    yp = np.zeros((y.shape[0], d))
    xp[:, :x.shape[1]] = x
    yp[:, :y.shape[1]] = y
    _, v2 = scipy.linalg.orthogonal_procrustes(xp, yp)
    assert abs(v1 - v2) <= 1e-12 * abs(v1), (v1, v2)
    return float(v1)


CASES = [
    ("wide", "wide", "none"),
    ("narrow", "narrow", "none"),
    ("mixed", "mixed", "none"),
    ("same", "same", "none"),
    ("ties", "ties", "none"),
    ("wide_l2", "wide", "l2"),
    ("real", "real", "none"),
    ("real_l2", "real", "l2"),
]


def main():
    rows = []
    for case, stem, how in CASES:
        xf, yf = f"procrustes_{stem}_x.npy", f"procrustes_{stem}_y.npy"
        x, y = load_pair(xf, yf, how)
        val = procrustes(x, y)
        rows.append(f"procrustes.{case}\tprocrustes\t-\t{xf}\t{yf}\t{how}"
                    f"\t{val:.17g}\t1e-12\t{PROV}")
    write_table("procrustes", "numpy/scipy", rows)


if __name__ == "__main__":
    main()
