#!/usr/bin/python3
"""Independent reference values for the `rsa` plugin -> tests/golden/rsa.tsv.

Implements the published definition directly in numpy/scipy, never our C:
RDM as in thingsvision 2.6.10 `thingsvision/core/rsa/helpers.py` (the paper's
pinned reference code, Ciernik et al. 2025): correlation RDM = 1 - clip(
corr(rows centred over features), -1, 1); cosine RDM = 1 - clip(cos, -1, 1);
euclidean RDM = scipy.spatial.distance.pdist(X, 'euclidean'). The strict
upper triangles (np.triu_indices(n, 1)) are compared with
scipy.stats.spearmanr (average ranks for ties), pearsonr or kendalltau
(tau-b, the scipy default).

Run: /usr/bin/python3 tests/golden/ref/rsa_ref.py  (after make_suite.py).
"""
import numpy as np
import scipy
import scipy.stats
from scipy.spatial.distance import pdist, squareform

from golden_common import load_pair, provenance, write_table

PROV = provenance("rsa_ref.py", scipy)


def rdm(x, kind):
    if kind == "euclidean":
        return squareform(pdist(x, "euclidean"))
    if kind == "correlation":
        x = x - x.mean(axis=1)[:, None]
    norms = np.linalg.norm(x, axis=1)
    assert np.all(norms > 0), "zero-variance row in golden data"
    sim = (x @ x.T) / np.outer(norms, norms)
    return 1.0 - np.clip(sim, -1.0, 1.0)


def rsa(x, y, kind, corr):
    iu = np.triu_indices(x.shape[0], k=1)
    a, b = rdm(x, kind)[iu], rdm(y, kind)[iu]
    fn = {"spearman": scipy.stats.spearmanr, "pearson": scipy.stats.pearsonr,
          "kendall": scipy.stats.kendalltau}[corr]
    return float(fn(a, b)[0]), a, b


# Tied rows use the euclidean RDM on integer features only: squared
# distances are exact integers there, so numpy and any correct C code get
# bit-identical RDM entries and exactly the same ties. Correlation/cosine
# RDMs of integer data have mathematically tied entries whose last bits
# depend on the order of operations, so tie structure (and thus Spearman)
# would not be reproducible to 1e-9 across implementations.
CASES = [
    # case, x stem, y stem, rdm, corr, normalize
    ("wide_default", "wide", "correlation", "spearman", "none"),
    ("narrow_default", "narrow", "correlation", "spearman", "none"),
    ("mixed_cosine_pearson", "mixed", "cosine", "pearson", "none"),
    ("same_euclidean_kendall", "same", "euclidean", "kendall", "none"),
    ("wide_euclidean_pearson", "wide", "euclidean", "pearson", "none"),
    ("narrow_cosine_kendall", "narrow", "cosine", "kendall", "none"),
    ("mixed_l2_default", "mixed", "correlation", "spearman", "l2"),
    ("ties_euclidean_spearman", "ties", "euclidean", "spearman", "none"),
    ("ties_euclidean_kendall", "ties", "euclidean", "kendall", "none"),
    # Real features (tests/golden/data/make_real.py): the paper's default
    # and the l2 row normalisation the paper applies.
    ("real_default", "real", "correlation", "spearman", "none"),
    ("real_l2_default", "real", "correlation", "spearman", "l2"),
    ("real_cosine_kendall", "real", "cosine", "kendall", "l2"),
]


def main():
    rows = []
    for case, stem, kind, corr, how in CASES:
        xf, yf = f"rsa_{stem}_x.npy", f"rsa_{stem}_y.npy"
        x, y = load_pair(xf, yf, how)
        val, a, b = rsa(x, y, kind, corr)
        if stem == "ties":
            # The point of these rows: many exactly tied RDM entries.
            ta = a.size - np.unique(a).size
            tb = b.size - np.unique(b).size
            assert ta > 10 and tb > 10, (case, ta, tb)
        params = []
        if kind != "correlation":
            params.append(f"rdm={kind}")
        if corr != "spearman":
            params.append(f"corr={corr}")
        p = ",".join(params) if params else "-"
        rows.append(f"rsa.{case}\trsa\t{p}\t{xf}\t{yf}\t{how}\t{val:.17g}"
                    f"\t1e-12\t{PROV}")
    write_table("rsa", "numpy/scipy", rows)


if __name__ == "__main__":
    main()
