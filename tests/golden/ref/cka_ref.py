#!/usr/bin/python3
"""Independent reference values for the cka plugin -> tests/golden/cka.tsv.

Implements the PUBLISHED definitions directly in numpy (never our C code):
  - kernels as thingsvision 2.6.10 CKANumPy: linear K = X X^T; rbf from
    GX = X X^T, KX = diag(GX) - GX + (diag(GX) - GX)^T (squared distances),
    sigma absolute, or (unset) sigma = sqrt(median(KX[KX != 0])),
    K = exp(-KX / (2 sigma^2));
  - sigma_rel as Kornblith et al.'s demo notebook (gram_rbf(x, threshold)):
    K = exp(-KX / (2 threshold^2 median(KX))), median over all n^2 entries;
  - centring as thingsvision's CKANumPy.centering: unbiased = U-centring
    (zero diagonal, means = colsum/(n-2), means -= sum/(2(n-1)), subtract
    from rows and columns, zero diagonal), biased = HKH via means;
  - CKA = <Kc, Lc> / sqrt(<Kc, Kc> <Lc, Lc>);
  - normalize l2: each row divided by its Euclidean norm (the paper's
    preprocessing).
As a cross-check the biased value is also computed with the explicit
centring matrix H (Kornblith's formula) and must agree to 1e-12.
Run: /usr/bin/python3 tests/golden/ref/cka_ref.py  (rewrites cka.tsv).
The +300-offset rows use the value of the un-offset data: CKA is shift
invariant (NOTES.md#cka-shift), and numpy's uncentred X X^T would lose
~10 digits there, which is exactly the failure Req. 3 guards against.
Rows named *_f32 run the plugin with precision=float32 (Req. 7: float32
Gram) against the SAME float64 numpy value, with rtol 1e-6, the accuracy
the plugin promises for that option. cka_real_{x,y}.npy (n = 500,
d = 1024 / 768, shared rank-16 structure, stored as float32, read as
float64 by both sides) are written by make_real() when absent, from a
fixed PCG64 seed."""
import math
import os

import numpy as np
import scipy

HERE = os.path.dirname(os.path.abspath(__file__))
GOLD = os.path.dirname(HERE)
DATA = os.path.join(GOLD, "data")
PROV = "numpy ref tests/golden/ref/cka_ref.py numpy %s scipy %s" % (
    np.__version__, scipy.__version__)


def sqdist(x):
    g = x @ x.T
    d = np.diag(g)
    return d[:, None] - g + (d[:, None] - g).T


def kernel(x, kind, sigma=None, sigma_rel=None):
    if kind == "linear":
        return x @ x.T
    kx = sqdist(x)
    if sigma_rel is not None:
        return np.exp(-kx / (2.0 * sigma_rel ** 2 * np.median(kx)))
    if sigma is None:
        sigma = math.sqrt(np.median(kx[kx != 0]))
    return np.exp(kx * (-0.5 / sigma ** 2))


def centre(k, unbiased):
    k = k.copy()
    n = k.shape[0]
    if unbiased:
        np.fill_diagonal(k, 0.0)
        means = np.sum(k, axis=0) / (n - 2)
        means -= np.sum(means) / (2 * (n - 1))
        k -= means[:, None]
        k -= means[None, :]
        np.fill_diagonal(k, 0.0)
    else:
        means = np.mean(k, axis=0)
        means -= np.mean(means) / 2
        k -= means[:, None]
        k -= means[None, :]
    return k


def cka(x, y, kind, unbiased, sigma=None, sigma_rel=None):
    kc = centre(kernel(x, kind, sigma, sigma_rel), unbiased)
    lc = centre(kernel(y, kind, sigma, sigma_rel), unbiased)
    v = np.sum(kc * lc) / math.sqrt(np.sum(kc * kc) * np.sum(lc * lc))
    if not unbiased:
        n = x.shape[0]
        h = np.eye(n) - np.ones((n, n)) / n
        kh = h @ kernel(x, kind, sigma, sigma_rel) @ h
        lh = h @ kernel(y, kind, sigma, sigma_rel) @ h
        w = np.sum(kh * lh) / math.sqrt(np.sum(kh * kh) * np.sum(lh * lh))
        assert abs(v - w) <= 1e-12 * abs(w), (v, w)
    return v


def load(name, normalize):
    a = np.load(os.path.join(DATA, name)).astype(np.float64)
    if normalize == "l2":
        a = a / np.linalg.norm(a, axis=1, keepdims=True)
    elif normalize == "center":
        a = a - a.mean(axis=0, keepdims=True)
    return a


REAL_N, REAL_DX, REAL_DY, REAL_RANK, REAL_SEED = 500, 1024, 768, 16, 20261127


def make_real():
    """Realistic shapes with shared low-rank structure (issue 6): X = Z A +
    noise, Y = tanh(Z B) + noise, common Z of rank 16."""
    fx = os.path.join(DATA, "cka_real_x.npy")
    fy = os.path.join(DATA, "cka_real_y.npy")
    if os.path.exists(fx) and os.path.exists(fy):
        return
    g = np.random.Generator(np.random.PCG64(REAL_SEED))
    z = g.standard_normal((REAL_N, REAL_RANK))
    a = g.standard_normal((REAL_RANK, REAL_DX)) / math.sqrt(REAL_RANK)
    b = g.standard_normal((REAL_RANK, REAL_DY)) / math.sqrt(REAL_RANK)
    x = z @ a + 0.5 * g.standard_normal((REAL_N, REAL_DX))
    y = np.tanh(z @ b) + 0.5 * g.standard_normal((REAL_N, REAL_DY))
    np.save(fx, x.astype(np.float32))
    np.save(fy, y.astype(np.float32))


def f32_rows():
    """precision=float32 rows: expected = the float64 numpy value."""
    rows = []
    cases = [("narrow", "cka_narrow_x.npy", "cka_narrow_y.npy", ["path=gram"]),
             ("mid", "cka_mid_x.npy", "cka_mid_y.npy", []),
             ("real", "cka_real_x.npy", "cka_real_y.npy", [])]
    for tag, fx, fy, extra in cases:
        for norm in ("none", "l2"):
            x, y = load(fx, norm), load(fy, norm)
            for unbiased in (True, False):
                ub = "u" if unbiased else "b"
                for kind, r in (("linear", None), ("rbf", None),
                                ("rbf", 0.5)):
                    ex = (extra if kind == "linear" else []) + \
                        ["precision=float32"]
                    v = cka(x, y, kind, unbiased, None, r)
                    name = "%s_%s_%s_%s" % (tag, norm, kind, ub)
                    if r is not None:
                        name += "_rel%g" % r
                    rows.append((name + "_f32",
                                 params_text(kind, unbiased, None, r, ex),
                                 fx, fy, norm, v, "1e-6",
                                 PROV + " (float64 reference; the row runs "
                                 "the float32 Gram, Req. 7)"))
    return rows


def params_text(kind, unbiased, sigma, sigma_rel, extra):
    p = ["kernel=" + kind, "unbiased=" + ("true" if unbiased else "false")]
    if sigma is not None:
        p.append("sigma=%r" % sigma)
    if sigma_rel is not None:
        p.append("sigma_rel=%r" % sigma_rel)
    p += extra
    return ",".join(p)


def main():
    rows = []
    pairs = [("narrow", "cka_narrow_x.npy", "cka_narrow_y.npy", (1.0, 2.0, 4.0)),
             ("wide", "cka_wide_x.npy", "cka_wide_y.npy", (5.0, 10.0, 20.0)),
             ("mid", "cka_mid_x.npy", "cka_mid_y.npy", (8.0, 16.0, 30.0))]
    for tag, fx, fy, sigmas in pairs:
        for norm in ("none", "l2"):
            x, y = load(fx, norm), load(fy, norm)
            for unbiased in (True, False):
                ub = "u" if unbiased else "b"
                configs = [("linear", None, None, [])]
                if tag == "narrow":
                    configs += [("linear", None, None, ["path=gram"]),
                                ("linear", None, None, ["path=features"])]
                if norm == "l2":  # unit rows: the paper's bandwidths apply
                    sig = (0.2, 0.4, 0.8)
                else:
                    sig = sigmas
                configs += [("rbf", None, None, [])]
                configs += [("rbf", s, None, []) for s in sig]
                configs += [("rbf", None, r, []) for r in (0.5, 1.0)]
                for kind, s, r, extra in configs:
                    v = cka(x, y, kind, unbiased, s, r)
                    name = "%s_%s_%s_%s" % (tag, norm, kind, ub)
                    if s is not None:
                        name += "_s%g" % s
                    if r is not None:
                        name += "_rel%g" % r
                    if extra:
                        name += "_" + extra[0].split("=")[1]
                    rows.append((name, params_text(kind, unbiased, s, r, extra),
                                 fx, fy, norm, v, "1e-12", PROV))
                    if tag == "narrow" and norm == "none" and not extra:
                        rows.append((name + "_off300",
                                     params_text(kind, unbiased, s, r, extra),
                                     "cka_narrow_x_off300.npy", fy, norm, v,
                                     "1e-12", PROV + " on cka_narrow_x.npy "
                                     "(shift invariance NOTES.md#cka-shift)"))
    # closed forms (NOTES.md), evaluated from the derived expressions only
    rows.append(("cf1_linear_b", "kernel=linear,unbiased=false",
                 "cka_cf_x4.npy", "cka_cf_y4.npy", "none", 0.36, "1e-12",
                 "closed form NOTES.md#cka-1"))
    rows.append(("cf2_linear_u", "kernel=linear,unbiased=true",
                 "cka_cf_x4.npy", "cka_cf_y4.npy", "none", 1.0, "1e-12",
                 "closed form NOTES.md#cka-2"))
    for name, par, s in (("cf3_rbf_b_s1", "kernel=rbf,unbiased=false,sigma=1", 1.0),
                         ("cf3_rbf_b_median", "kernel=rbf,unbiased=false", 1.0),
                         ("cf3_rbf_b_rel1", "kernel=rbf,unbiased=false,sigma_rel=1", 1.0),
                         ("cf3_rbf_b_rel05", "kernel=rbf,unbiased=false,sigma_rel=0.5", 0.5),
                         ("cf3_rbf_b_s2", "kernel=rbf,unbiased=false,sigma=2", 2.0)):
        rows.append((name, par, "cka_cf_tri.npy", "cka_cf_line3.npy", "none",
                     cf3(s), "1e-12", "closed form NOTES.md#cka-3"))
    # a check of the closed form against the reference implementation
    tri = load("cka_cf_tri.npy", "none")
    line = load("cka_cf_line3.npy", "none")
    for s in (1.0, 2.0):
        assert abs(cka(tri, line, "rbf", False, s) - cf3(s)) < 1e-12
    make_real()
    rows += f32_rows()
    out = os.path.join(GOLD, "cka.tsv")
    with open(out, "w") as f:
        f.write("# Golden values for plugins/cka.c; generated by "
                "tests/golden/ref/cka_ref.py (do not edit by hand).\n")
        f.write("case\tmetric\tparams\tx\ty\tnormalize\texpected\trtol\t"
                "provenance\n")
        for name, par, fx, fy, norm, v, rtol, prov in rows:
            f.write("%s\tcka\t%s\t%s\t%s\t%s\t%.17g\t%s\t%s\n"
                    % (name, par, fx, fy, norm, v, rtol, prov))
    print("wrote %d rows to %s" % (len(rows), out))


def cf3(s):
    """NOTES.md#cka-3: X equilateral triangle (side 1), Y = {0, 1, 2} on a
    line, RBF bandwidth s, biased: CKA = tr(C) / (sqrt(2) ||C||_F)."""
    e = math.exp(-1.0 / (2 * s * s))
    f = math.exp(-4.0 / (2 * s * s))
    c11 = (6 - 2 * e - 4 * f) / 9
    c22 = (6 - 8 * e + 2 * f) / 9
    c12 = (4 * e - 3 - f) / 9
    c13 = (5 * f - 3 - 2 * e) / 9
    tr = (6 - 4 * e - 2 * f) / 3
    norm2 = 2 * c11 ** 2 + c22 ** 2 + 4 * c12 ** 2 + 2 * c13 ** 2
    return tr / math.sqrt(2 * norm2)


if __name__ == "__main__":
    main()
