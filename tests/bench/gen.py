#!/usr/bin/python3
"""Seeded synthetic features for the benchmark (issue 6).

m models of n stimuli; model i has d_i units, d_i spread over [dmin, dmax]
(the paper's 64 models have embedding dims 384..4096). All models share a
rank-32 latent Z (the "stimulus content"), seen through a model-specific
random map and a non-linearity, plus model-specific noise, so pairwise
similarities are neither 0 nor 1 and differ between pairs. float32 like
thingsvision's features. Usage: gen.py OUTDIR m n dmin dmax seed."""
import os
import sys

import numpy as np


def main():
    out, m, n, dmin, dmax, seed = sys.argv[1], *map(int, sys.argv[2:7])
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 32))
    dims = np.linspace(dmin, dmax, m).astype(int)
    for i, d in enumerate(dims):
        w = rng.standard_normal((32, d)) / np.sqrt(32)
        share = 0.3 + 0.6 * rng.random()  # how much shared content
        x = np.tanh(share * (z @ w)) if i % 2 else share * (z @ w)
        x = x + (1 - share) * rng.standard_normal((n, d)) / np.sqrt(d) * 4
        np.save(os.path.join(out, "model%02d.npy" % i), x.astype(np.float32))
    print("generated %d models, n=%d, d=%s" % (m, n, list(dims)))


if __name__ == "__main__":
    main()
