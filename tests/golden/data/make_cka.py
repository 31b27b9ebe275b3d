#!/usr/bin/python3
"""Generate the CKA golden inputs (tests/golden/data/cka_*.npy).

Seeded numpy (PCG64, seed 20241107), float64, tiny (n <= 60, d <= 200) so
the files can be committed. Pairs share low-rank structure (y is a noisy,
partly non-linear map of x) so that CKA values are neither 0 nor 1.
Run with Debian's interpreter: /usr/bin/python3 tests/golden/data/make_cka.py
(from the repository root or anywhere: paths are relative to this file).
The closed-form inputs (cka_cf_*) are exact small numbers; their expected
values are derived by hand in tests/golden/NOTES.md."""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, a):
    np.save(os.path.join(HERE, name), np.ascontiguousarray(a, dtype="<f8"))


def main():
    rng = np.random.default_rng(20241107)
    # narrow: d << n (linear CKA takes the feature path under path=auto)
    n = 60
    x = rng.standard_normal((n, 5))
    w = rng.standard_normal((5, 3))
    y = np.tanh(x @ w) + 0.5 * rng.standard_normal((n, 3))
    save("cka_narrow_x.npy", x)
    save("cka_narrow_y.npy", y)
    # the same x with +300 on every feature (shift invariance, Req. 3)
    save("cka_narrow_x_off300.npy", x + 300.0)
    # wide: d > n
    n = 12
    z = rng.standard_normal((n, 4))
    x = z @ rng.standard_normal((4, 80)) + 0.3 * rng.standard_normal((n, 80))
    y = np.maximum(z @ rng.standard_normal((4, 50)), 0.0) + \
        0.3 * rng.standard_normal((n, 50))
    save("cka_wide_x.npy", x)
    save("cka_wide_y.npy", y)
    # medium: n = 30, d = 200
    n = 30
    z = rng.standard_normal((n, 6))
    x = z @ rng.standard_normal((6, 200)) + rng.standard_normal((n, 200))
    y = np.sin(z @ rng.standard_normal((6, 40))) + \
        0.2 * rng.standard_normal((n, 40))
    save("cka_mid_x.npy", x)
    save("cka_mid_y.npy", y)
    # closed forms (NOTES.md)
    save("cka_cf_x4.npy", np.array([[1.0], [2.0], [3.0], [4.0]]))
    save("cka_cf_y4.npy", np.array([[2.0], [1.0], [4.0], [3.0]]))
    save("cka_cf_tri.npy",
         np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3.0) / 2.0]]))
    save("cka_cf_line3.npy", np.array([[0.0], [1.0], [2.0]]))


if __name__ == "__main__":
    main()
