#!/usr/bin/python3
"""Independent reference values for the `knn` plugin -> tests/golden/knn.tsv.

Mutual k-nearest-neighbour alignment of Huh et al. 2024 ("The Platonic
Representation Hypothesis", ICML 2024; code minyoungg/platonic-rep,
metrics.py mutual_knn), written here directly in numpy: neighbours of row i
are the k rows with the largest cosine similarity to row i, i itself
excluded; ties go to the lower row index (np.argsort kind='stable' on the
negated similarity). overlap = mean_i |N_X(i) & N_Y(i)| / k;
jaccard = mean_i |N_X(i) & N_Y(i)| / |N_X(i) | N_Y(i)|.
Every case asserts that the k-th and (k+1)-th similarities differ by far
more than rounding, so the neighbour sets do not depend on the last bits.

Run: /usr/bin/python3 tests/golden/ref/knn_ref.py  (after make_suite.py).
"""
import numpy as np

from golden_common import load_pair, provenance, write_table

PROV = provenance("knn_ref.py")
GAP = 1e-9  # minimum gap between the k-th and (k+1)-th similarity


def neighbours(x, k):
    u = x / np.linalg.norm(x, axis=1, keepdims=True)
    s = u @ u.T
    np.fill_diagonal(s, -np.inf)
    order = np.argsort(-s, axis=1, kind="stable")
    ss = np.take_along_axis(s, order, axis=1)
    assert np.all(ss[:, k - 1] - ss[:, k] > GAP), "near-tie at the k boundary"
    return [set(r[:k].tolist()) for r in order]


def knn(x, y, k, score):
    nx, ny = neighbours(x, k), neighbours(y, k)
    if score == "overlap":
        v = [len(a & b) / k for a, b in zip(nx, ny)]
    else:
        v = [len(a & b) / len(a | b) for a, b in zip(nx, ny)]
    return float(np.mean(v))


CASES = [
    # case, data stem, k, score, normalize
    ("wide_k5", "wide", 5, "overlap", "none"),
    ("narrow_default", "narrow", 10, "overlap", "none"),
    ("mixed_k3_jaccard", "mixed", 3, "jaccard", "none"),
    ("same_default", "same", 10, "overlap", "none"),
    ("narrow_k1", "narrow", 1, "overlap", "none"),
    ("wide_jaccard", "wide", 10, "jaccard", "l2"),
    ("mixed_k20", "mixed", 20, "overlap", "center"),
    ("real_default", "real", 10, "overlap", "l2"),
    ("real_k5_jaccard", "real", 5, "jaccard", "none"),
]


def main():
    rows = []
    for case, stem, k, score, how in CASES:
        xf, yf = f"knn_{stem}_x.npy", f"knn_{stem}_y.npy"
        x, y = load_pair(xf, yf, how)
        val = knn(x, y, k, score)
        params = [] if k == 10 else [f"k={k}"]
        if score != "overlap":
            params.append(f"score={score}")
        p = ",".join(params) if params else "-"
        rows.append(f"knn.{case}\tknn\t{p}\t{xf}\t{yf}\t{how}\t{val:.17g}"
                    f"\t1e-12\t{PROV}")
    write_table("knn", "numpy", rows)


if __name__ == "__main__":
    main()
