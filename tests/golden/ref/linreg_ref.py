#!/usr/bin/python3
"""Independent reference values for `linreg` -> tests/golden/linreg.tsv.

Linear predictivity of Y from X (ridge regression, in-sample): centre the
columns of X and Y, B = argmin ||Y - X B||_F^2 + alpha ||B||_F^2, and
  R^2 = 1 - ||Y - X B||_F^2 / ||Y||_F^2   (pooled over all columns of Y).
Direction: compare(x, y) predicts y from x; the `x` column of the TSV is
the predictor. Computed here without an SVD:
  alpha > 0: sklearn.linear_model.Ridge(alpha, fit_intercept=True,
             solver='cholesky') (which centres X and Y itself), and checked
             against a direct solve of (X^T X + alpha I) B = X^T Y;
  alpha = 0: numpy.linalg.lstsq (minimum-norm least squares), whose
             default rcond (max(n, d) * eps) drops the same tiny singular
             values the plugin does.

Run: /usr/bin/python3 tests/golden/ref/linreg_ref.py
"""
import numpy as np
import sklearn
from sklearn.linear_model import Ridge

from golden_common import load_pair, provenance, write_table

PROV = provenance("linreg_ref.py", sklearn)


def r2(x, y, alpha):
    xc, yc = x - x.mean(axis=0), y - y.mean(axis=0)
    if alpha > 0:
        model = Ridge(alpha=alpha, fit_intercept=True, solver="cholesky")
        pred = model.fit(x, y).predict(x)
        b = np.linalg.solve(xc.T @ xc + alpha * np.eye(x.shape[1]), xc.T @ yc)
        pred2 = xc @ b + y.mean(axis=0)
        assert np.allclose(pred, pred2, rtol=1e-10, atol=1e-10)
    else:
        b = np.linalg.lstsq(xc, yc, rcond=None)[0]
        pred = xc @ b + y.mean(axis=0)
    return float(1.0 - np.sum((y - pred) ** 2) / np.sum(yc ** 2))


CASES = [
    # case, predictor file stem/side, target side, alpha, normalize
    ("wide_default", "wide", "x", "y", 1.0, "none"),
    ("narrow_default", "narrow", "x", "y", 1.0, "none"),
    ("mixed_x_to_y_a10", "mixed", "x", "y", 10.0, "none"),
    ("mixed_y_to_x_a10", "mixed", "y", "x", 10.0, "none"),
    ("narrow_ols", "narrow", "x", "y", 0.0, "none"),
    ("same_a0p25", "same", "x", "y", 0.25, "none"),
    ("wide_a100_l2", "wide", "x", "y", 100.0, "l2"),
    ("wide_ols_interpolates", "wide", "x", "y", 0.0, "none"),
    ("real_default", "real", "x", "y", 1.0, "l2"),
    ("real_reverse_a0p1", "real", "y", "x", 0.1, "none"),
]


def main():
    rows = []
    for case, stem, src, dst, alpha, how in CASES:
        xf, yf = f"linreg_{stem}_{src}.npy", f"linreg_{stem}_{dst}.npy"
        x, y = load_pair(xf, yf, how)
        val = r2(x, y, alpha)
        p = "-" if alpha == 1.0 else f"alpha={alpha:g}"
        rows.append(f"linreg.{case}\tlinreg\t{p}\t{xf}\t{yf}\t{how}"
                    f"\t{val:.17g}\t1e-12\t{PROV}")
    write_table("linreg", "numpy/sklearn", rows)


if __name__ == "__main__":
    main()
