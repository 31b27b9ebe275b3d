#!/usr/bin/python3
"""Independent reference values for `svcca` -> tests/golden/svcca.tsv.

SVCCA (Raghu et al. 2017, "SVCCA: Singular Vector Canonical Correlation
Analysis for Deep Learning Dynamics and Interpretability", NeurIPS):
  1. centre the columns of X; SVD X = U S V^T;
  2. keep the top k directions, k the smallest count whose squared singular
     values reach the fraction `variance` of the total sum of squares;
     directions beyond the numerical rank (s <= s_max * max(n, d) * eps,
     numpy.linalg.matrix_rank's rule) are never kept;
  3. canonical correlations between the reduced X' = U_k S_k and Y' are the
     cosines of the principal angles between their column spaces
     (Bjorck & Golub 1973), computed here with scipy.linalg.subspace_angles
     -- an independent route from the plugin's SVD of Q_x^T Q_y;
  4. SVCCA = mean of the min(kx, ky) canonical correlations.
Each case asserts the variance threshold is not within 1e-6 of a cumulative
fraction, so k does not depend on rounding.

Run: /usr/bin/python3 tests/golden/ref/svcca_ref.py
"""
import numpy as np
import scipy
import scipy.linalg

from golden_common import load_pair, provenance, write_table

PROV = provenance("svcca_ref.py", scipy)


def reduce(a, variance):
    a = a - a.mean(axis=0)
    u, s, _ = np.linalg.svd(a, full_matrices=False)
    rank = int(np.sum(s > s[0] * max(a.shape) * np.finfo(float).eps))
    s2 = s[:rank] ** 2
    frac = np.cumsum(s2) / np.sum(s2)
    k = int(np.searchsorted(frac, variance) + 1)  # first frac >= variance
    k = min(k, rank)
    # The last fraction is 1 up to rounding; k is capped at the rank there.
    assert np.all(np.abs(frac[:-1] - variance) > 1e-6), "threshold near a step"
    assert k < a.shape[0]
    return u[:, :k] * s[:k], k


def svcca(x, y, variance):
    xr, kx = reduce(x, variance)
    yr, ky = reduce(y, variance)
    ang = scipy.linalg.subspace_angles(xr, yr)
    assert ang.size == min(kx, ky)
    return float(np.mean(np.cos(ang))), kx, ky


CASES = [
    ("wide_default", "wide", 0.99, "none"),
    ("narrow_default", "narrow", 0.99, "none"),
    ("mixed_default", "mixed", 0.99, "none"),
    ("same_v90", "same", 0.9, "none"),
    ("wide_v50", "wide", 0.5, "none"),
    ("mixed_v75_l2", "mixed", 0.75, "l2"),
    ("narrow_v1", "narrow", 1.0, "none"),
    ("real_default", "real", 0.99, "none"),
    ("real_v90_l2", "real", 0.9, "l2"),
]


def main():
    rows = []
    for case, stem, var, how in CASES:
        xf, yf = f"svcca_{stem}_x.npy", f"svcca_{stem}_y.npy"
        x, y = load_pair(xf, yf, how)
        val, kx, ky = svcca(x, y, var)
        p = "-" if var == 0.99 else f"variance={var:g}"
        rows.append(f"svcca.{case}\tsvcca\t{p}\t{xf}\t{yf}\t{how}"
                    f"\t{val:.17g}\t1e-12\t{PROV} (kx={kx} ky={ky})")
    write_table("svcca", "numpy/scipy", rows)


if __name__ == "__main__":
    main()
