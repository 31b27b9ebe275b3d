#!/usr/bin/python3
"""Independent reference values for the `cknna` plugin -> tests/golden/cknna.tsv.

CKNNA of Huh et al. 2024 ("The Platonic Representation Hypothesis", ICML
2024), as defined by their code (minyoungg/platonic-rep, metrics.py, cknna
with unbiased=True, distance_agnostic=False), written here in numpy:
  K = X X^T, L = Y Y^T (linear kernel on the rows as given);
  N_K(i) = the k largest K[i, j], j != i (diagonal set to -inf first);
  ties to the lower index (stable argsort), a choice torch.topk leaves open;
  M[i, j] = 1 iff j in N_K(i) and j in N_L(i) (not symmetric in general);
  hsic_u(A, B) = [sum(A o B^T) + sum(A) sum(B) / ((n-1)(n-2))
                  - 2 sum(A B) / (n-2)] / (n (n-3)),  A, B with zero diagonal;
  sim(K, L) = hsic_u(M o K, M o L) with M the mask of (K, L);
  CKNNA = sim(K, L) / sqrt(sim(K, K) sim(L, L)).
The reference code adds 1e-6 to the denominator; that guard is not part of
the definition (it biases values for small-scale features) and is omitted
both here and in plugins/cknna.c.
Every case asserts the k-th and (k+1)-th kernel values of each row differ by
far more than rounding, so the masks do not depend on the last bits.

Run: /usr/bin/python3 tests/golden/ref/cknna_ref.py  (after make_suite.py).
"""
import numpy as np

from golden_common import load_pair, provenance, write_table

PROV = provenance("cknna_ref.py")
GAP = 1e-9


def hsic_unbiased(a, b):
    n = a.shape[0]
    a = a.copy()
    b = b.copy()
    np.fill_diagonal(a, 0.0)
    np.fill_diagonal(b, 0.0)
    v = (np.sum(a * b.T) + np.sum(a) * np.sum(b) / ((n - 1) * (n - 2))
         - 2.0 * np.sum(a @ b) / (n - 2))
    return v / (n * (n - 3))


def topk_mask(kern, k):
    s = kern.copy()
    np.fill_diagonal(s, -np.inf)
    order = np.argsort(-s, axis=1, kind="stable")
    ss = np.take_along_axis(s, order, axis=1)
    assert np.all(ss[:, k - 1] - ss[:, k] > GAP), "near-tie at the k boundary"
    m = np.zeros_like(kern)
    np.put_along_axis(m, order[:, :k], 1.0, axis=1)
    return m


def cknna(x, y, k):
    kk, ll = x @ x.T, y @ y.T
    mk, ml = topk_mask(kk, k), topk_mask(ll, k)

    def sim(a, ma, b, mb):
        m = ma * mb
        return hsic_unbiased(m * a, m * b)

    kl = sim(kk, mk, ll, ml)
    kk_ = sim(kk, mk, kk, mk)
    ll_ = sim(ll, ml, ll, ml)
    return float(kl / np.sqrt(kk_ * ll_))


CASES = [
    ("wide_default", "wide", 10, "none"),
    ("narrow_default", "narrow", 10, "none"),
    ("mixed_k5", "mixed", 5, "none"),
    ("same_k8", "same", 8, "none"),
    ("narrow_k30", "narrow", 30, "l2"),
    ("mixed_k2_center", "mixed", 2, "center"),
    ("real_default_l2", "real", 10, "l2"),
    ("real_k5", "real", 5, "none"),
]


def main():
    rows = []
    for case, stem, k, how in CASES:
        xf, yf = f"cknna_{stem}_x.npy", f"cknna_{stem}_y.npy"
        x, y = load_pair(xf, yf, how)
        val = cknna(x, y, k)
        p = "-" if k == 10 else f"k={k}"
        rows.append(f"cknna.{case}\tcknna\t{p}\t{xf}\t{yf}\t{how}"
                    f"\t{val:.17g}\t1e-12\t{PROV}")
    write_table("cknna", "numpy", rows)


if __name__ == "__main__":
    main()
