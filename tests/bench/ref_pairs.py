#!/usr/bin/python3
"""(2) The per-pair reference algorithm, as the paper's code runs it.

thingsvision 2.6.10's CKA.compare(X, Y) computes hsic(X, Y), hsic(X, X)
and hsic(Y, Y), and every hsic call builds both Gram matrices and
U-centres them again: six n x n Grams per model pair, nothing reused
across pairs. Implemented here in numpy float64 (the same formulas as
tests/golden/ref/cka_ref.py; linear kernel, unbiased, rows L2-normalised
as the paper's preprocessing). Timing every pair would take hours at
benchmark size, so it times a SAMPLE of K pairs spread evenly over the
upper triangle, reports each pair's wall and CPU seconds, and the driver
extrapolates to all m(m-1)/2 pairs by the measured seconds per flop (a
pair costs six n x n Grams, 3 n^2 (d_i + d_j) flops); it says so in its
output.
Usage: ref_pairs.py K X1.npy ... Xm.npy  -> JSON on stdout."""
import json
import sys
import time

import numpy as np


def load(p):
    x = np.load(p).astype(np.float64)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def ucentre(k):
    n = k.shape[0]
    np.fill_diagonal(k, 0.0)
    means = np.sum(k, axis=0) / (n - 2)
    means -= np.sum(means) / (2 * (n - 1))
    k -= means[:, None]
    k -= means[None, :]
    np.fill_diagonal(k, 0.0)
    return k


def hsic(x, y):
    return np.sum(ucentre(x @ x.T) * ucentre(y @ y.T))


def cka(x, y):
    return hsic(x, y) / np.sqrt(hsic(x, x) * hsic(y, y))


def main():
    k = int(sys.argv[1])
    files = sys.argv[2:]
    m = len(files)
    allp = [(i, j) for i in range(m) for j in range(i + 1, m)]
    pick = np.unique(np.round(np.linspace(0, len(allp) - 1, k)).astype(int))
    pairs = [allp[p] for p in pick]
    values, secs, cpu = [], [], []
    for i, j in pairs:
        t0, c0 = time.perf_counter(), time.process_time()
        x, y = load(files[i]), load(files[j])
        v = cka(x, y)
        secs.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        values.append([i, j, float(v), secs[-1], cpu[-1]])
    per_pair = float(np.mean(secs))
    total = m * (m - 1) // 2
    print(json.dumps({"sampled_pairs": len(pairs), "all_pairs": total,
                      "seconds_per_pair": per_pair,
                      "extrapolated_seconds": per_pair * total,
                      "cpu_per_pair": float(np.mean(cpu)),
                      "extrapolated_cpu": float(np.mean(cpu)) * total,
                      "values": values}))


if __name__ == "__main__":
    main()
