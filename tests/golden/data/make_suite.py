#!/usr/bin/python3
"""Golden input data for the metric plugin suite (rsa, knn, cknna,
procrustes, svcca, linreg).

Run with the system Python (numpy 1.24.2 when written):
    /usr/bin/python3 tests/golden/data/make_suite.py
It writes tests/golden/data/<metric>_<case>_{x,y}.npy, float64, C order.
Invariants: seeded (numpy default_rng, one seed per metric), tiny (n <= 60,
d <= 200), deterministic, so rerunning reproduces the files bit for bit.
Each metric gets its own files (prefix = metric name) so that other
engineers' data never collides with ours.

Cases (shared shapes, distinct seeds per metric):
  wide   n=30, dx=80, dy=120  (d > n: rank-deficient Gram matrices)
  narrow n=60, dx=4,  dy=6    (d << n)
  mixed  n=40, dx=12, dy=50   (different widths)
  same   n=24, dx=dy=16       (y = x @ rotation + small noise: high values)
  ties   n=20, dx=dy=6        (integer-valued features: many tied RDM entries)
The y matrices depend on x through a random linear map plus noise so the
similarities are neither ~0 nor ~1 (values near the ends would hide errors).
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
METRICS = {"rsa": 301, "knn": 302, "cknna": 303, "procrustes": 304,
           "svcca": 305, "linreg": 306}


def related(rng, x, dy, noise):
    """y = tanh(x W) + noise: a nonlinear relative of x with dy columns."""
    w = rng.standard_normal((x.shape[1], dy)) / np.sqrt(x.shape[1])
    return np.tanh(x @ w) + noise * rng.standard_normal((x.shape[0], dy))


def tied_pair(rng):
    """Integer features in {0..3}; rows redrawn until none is constant (a
    constant row has no correlation distance, which would be SC_EDOM)."""
    while True:
        x = rng.integers(0, 3, size=(20, 6)).astype(np.float64)
        y = np.clip(x + rng.integers(-1, 2, size=(20, 6)), 0, 3)
        if (np.ptp(x, axis=1) > 0).all() and (np.ptp(y, axis=1) > 0).all():
            return x, y


def save(name, a):
    np.save(os.path.join(HERE, name), np.ascontiguousarray(a, dtype=np.float64))


def main():
    for metric, seed in METRICS.items():
        rng = np.random.default_rng(seed)
        # Shifted, anisotropic inputs: column scales differ so centring and
        # normalisation matter (a bug that skips them changes the value).
        x = rng.standard_normal((30, 80)) * np.linspace(0.3, 2.385, 80) + 0.7
        save(f"{metric}_wide_x.npy", x)
        save(f"{metric}_wide_y.npy", related(rng, x, 120, 0.8))
        x = rng.standard_normal((60, 4)) * np.array([2.385, 1.1, 0.6, 0.25])
        save(f"{metric}_narrow_x.npy", x)
        save(f"{metric}_narrow_y.npy", related(rng, x, 6, 0.5))
        x = rng.standard_normal((40, 12)) + 1.5
        save(f"{metric}_mixed_x.npy", x)
        save(f"{metric}_mixed_y.npy", related(rng, x, 50, 1.0))
        x = rng.standard_normal((24, 16))
        q, _ = np.linalg.qr(rng.standard_normal((16, 16)))
        save(f"{metric}_same_x.npy", x)
        save(f"{metric}_same_y.npy", x @ q + 0.3 * rng.standard_normal((24, 16)))
        x, y = tied_pair(rng)
        save(f"{metric}_ties_x.npy", x)
        save(f"{metric}_ties_y.npy", y)


if __name__ == "__main__":
    main()
