#!/usr/bin/python3
"""(3) The best numpy algorithm we could write for all-pairs CKA.

Prepare once: per model, the Gram X X^T (rows L2-normalised), U-centred,
its strict upper triangle scaled by sqrt(2) kept as one vector; then all
pairs at once from one matrix product E E^T of the stacked vectors
(m x n(n-1)/2), cosine-normalised. Same mathematics as simcon's embed
path, in numpy float64. Usage: best_numpy.py OUT.npy X1.npy ... -> JSON
timings on stdout.

When the stacked vectors exceed BEST_NUMPY_MEMORY bytes (default 12 GiB,
simcon's --memory in paper_scale.sh) they go to a np.memmap file beside
OUT (deleted at the end) and E E^T is summed over column blocks, as
simcon's spill file does: at n = 10,000 E is 64 x 5e7 doubles = 25.6 GB,
more than this 24 GB machine holds."""
import json
import os
import sys
import time

import numpy as np


def ucentre(k):
    n = k.shape[0]
    np.fill_diagonal(k, 0.0)
    means = np.sum(k, axis=0) / (n - 2)
    means -= np.sum(means) / (2 * (n - 1))
    k -= means[:, None]
    k -= means[None, :]
    np.fill_diagonal(k, 0.0)
    return k


def main():
    out, files = sys.argv[1], sys.argv[2:]
    t0, c0 = time.perf_counter(), time.process_time()
    m = len(files)
    e, iu, spill = None, None, None
    for i, f in enumerate(files):
        x = np.load(f).astype(np.float64)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        k = ucentre(x @ x.T)
        if iu is None:
            iu = np.triu_indices(k.shape[0], 1)
        v = k[iu] * np.sqrt(2.0)
        if e is None:
            budget = int(os.environ.get("BEST_NUMPY_MEMORY", 12 << 30))
            if m * v.size * 8 > budget:
                spill = out + ".E"
                e = np.memmap(spill, dtype=np.float64, mode="w+",
                              shape=(m, v.size))
            else:
                e = np.empty((m, v.size))
        e[i] = v
        del k, v
    t1 = time.perf_counter()
    if spill is None:
        g = e @ e.T
    else:
        g = np.zeros((m, m))
        step = max(1, (1 << 28) // m)  # 2 GiB column blocks
        for a in range(0, e.shape[1], step):
            blk = np.array(e[:, a:a + step])
            g += blk @ blk.T
        del e
        os.unlink(spill)
    d = np.sqrt(np.diag(g))
    s = g / np.outer(d, d)
    t2 = time.perf_counter()
    np.save(out, s)
    print(json.dumps({"seconds_prepare": t1 - t0, "seconds_pairs": t2 - t1,
                      "seconds": t2 - t0, "spilled": spill is not None,
                      "cpu": time.process_time() - c0}))


if __name__ == "__main__":
    main()
