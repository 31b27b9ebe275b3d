#!/usr/bin/python3
"""Benchmark driver (issue 6): simcon all-pairs CKA vs the paper's per-pair
algorithm vs the best numpy algorithm, on the same seeded files.

Each contender runs as its own process under /usr/bin/time (wall time and
peak RSS of that process). Checks that all three agree to 1e-6, prints
wall time, peak RSS, GFLOP/s (each algorithm's own flop count, stated
below), the ratios, the machine's GEMM rate (gemm_probe) and how close
simcon's dominant kernel comes to it, and an estimate of the paper's full
study (64 models x 23 datasets x 3 metrics, n = 10,000) from the measured
rates. Metric: CKA, linear kernel, unbiased (the paper's default), rows
L2-normalised (--normalize l2). simcon runs twice: (1) float64 throughout
(the exact path, checked against (2) and (3) to 1e-6), and (1b) with
--float32, i.e. float32 Gram (cka precision=float32: the float64-centred
features rounded to float32, SYRK in float32, then float64) and float32
stacked embeddings, checked to lie within 1e-6 relative of (1); ratios and
kernel rates are printed for both (float64 rates against the dgemm probe,
float32 rates against the sgemm probe).
Usage: bench.py SIZE SIMCON GEMM_PROBE WORKDIR THREADS
SIZE: quick (m = 8, n = 1000) or large (m = 16, n = 5000)."""
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
SIZES = {"quick": (8, 1000, 384, 1024, 4), "large": (16, 5000, 384, 2048, 2)}
CPU = {}  # process CPU seconds (user + sys) of the last run of each program
PAPER_CONFIG = os.path.join(HERE, "..", "..", "experiments", "paper",
                            "source", "models_config_wo_alignment.json")


def timed(cmd, env=None):
    """Run cmd under /usr/bin/time; return (stdout, stderr, wall s, RSS MB)."""
    p = subprocess.run(["/usr/bin/time", "-f", "TIME %e %M %U %S"] + cmd,
                       capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit("bench: %s failed (%d): %s" % (cmd[0], p.returncode,
                                                p.stderr.strip()))
    last = [l for l in p.stderr.splitlines() if l.startswith("TIME ")][-1]
    wall, rss, user, sys_ = last.split()[1:5]
    CPU[cmd[0]] = float(user) + float(sys_)
    return p.stdout, p.stderr, float(wall), float(rss) / 1024.0


def read_csv(path):
    with open(path) as f:
        lines = f.read().splitlines()
    return np.array([[float(v) for v in l.split(",")[1:]] for l in lines[1:]])


def main():
    size, simcon, probe, work, threads = sys.argv[1:6]
    m, n, dmin, dmax, sample = SIZES[size]
    env = dict(os.environ, OPENBLAS_NUM_THREADS=threads,
               OMP_NUM_THREADS=threads)
    data = os.path.join(work, "data")
    subprocess.run([PY, os.path.join(HERE, "gen.py"), data, str(m), str(n),
                    str(dmin), str(dmax), "6"], check=True)
    files = [os.path.join(data, "model%02d.npy" % i) for i in range(m)]
    dims = [np.load(f, mmap_mode="r").shape[1] for f in files]
    pairs = m * (m - 1) // 2
    L = n * (n - 1) // 2
    print("# size %s: m=%d n=%d d=%d..%d threads=%s; load average at start "
          "%.2f on %d cores (wall times suffer when the machine is shared; "
          "CPU seconds are printed too)" % (size, m, n, min(dims), max(dims),
                                            threads, os.getloadavg()[0],
                                            os.cpu_count()))

    probe_out, _, _, _ = timed([probe, "2000"], env)
    rate = json.loads(probe_out)
    print("GEMM probe (n=2000, %s threads): dgemm %.1f GFLOP/s wall, %.1f "
          "per CPU-second; sgemm %.1f wall, %.1f per CPU-second" %
          (threads, rate["dgemm_gflops"], rate["dgemm_gflops_cpu"],
           rate["sgemm_gflops"], rate["sgemm_gflops_cpu"]))

    # (1) simcon
    csv = os.path.join(work, "simcon.csv")
    cmd = [simcon, "matrix", "--normalize", "l2", "--threads", threads,
           "--info", "-o", csv] + files
    _, err, t1, rss1 = timed(cmd, env)
    cpu1 = CPU[simcon]
    info = dict(kv.split("=") for kv in
                [l for l in err.splitlines() if "path=" in l][0].split()
                if "=" in kv)
    s1 = read_csv(csv)
    # simcon's flops: one SYRK per model for its Gram (n^2 d: SYRK computes
    # one triangle of 2 n^2 d), then the SYRK over E (m^2 L).
    f_prep = sum(n * n * d for d in dims)
    f_pairs = m * m * L
    t_prep = float(info["prepare"].rstrip("s"))
    t_pairs = float(info["pairs"].rstrip("s"))
    c_prep = float(info["cpu_prepare"].rstrip("s"))
    c_pairs = float(info["cpu_pairs"].rstrip("s"))
    print("(1) simcon matrix: %.2f s wall (prepare %.2f s, all pairs %.2f s, "
          "path %s, %s blocks, spilled %s), peak RSS %.0f MB, %.1f GFLOP/s "
          "overall; CPU %.2f s" % (t1, t_prep, t_pairs, info["path"], info["blocks"],
                       info["spilled"], rss1, (f_prep + f_pairs) / t1 * 1e-9,
                       cpu1))
    # Rates per CPU second: on a shared machine wall time counts the other
    # users' processes too; CPU seconds add up over threads, so these are
    # per-core rates, compared with the probe's per-CPU-second rate.
    prep_rate = f_prep / c_prep * 1e-9
    pairs_rate = f_pairs / max(c_pairs, 1e-9) * 1e-9
    print("    dominant kernel (prepare: Gram SYRK + centring + embedding): "
          "%.1f GFLOP/s per CPU-second = %.0f%% of the dgemm probe's "
          "per-CPU-second rate; all-pairs SYRK %.1f GFLOP/s" %
          (prep_rate, 100 * prep_rate / rate["dgemm_gflops_cpu"],
           pairs_rate))

    # (1b) simcon float32 mode: float32 Gram (precision=float32, selected by
    # --float32 for cka) and float32 stacked embeddings
    csv32 = os.path.join(work, "simcon32.csv")
    _, err32, t1b, rss1b = timed(cmd[:-len(files) - 2] + ["--float32", "-o",
                                                          csv32] + files, env)
    cpu1b = CPU[simcon]
    info32 = dict(kv.split("=") for kv in
                  [l for l in err32.splitlines() if "path=" in l][0].split()
                  if "=" in kv)
    s1b = read_csv(csv32)
    d32 = float(np.max(np.abs(s1b - s1) / np.abs(s1)))
    c_prep32 = float(info32["cpu_prepare"].rstrip("s"))
    prep_rate32 = f_prep / c_prep32 * 1e-9
    print("(1b) simcon matrix --float32 (precision=%s, float32 embeddings): "
          "%.2f s wall (prepare %s, all pairs %s), peak RSS %.0f MB, CPU "
          "%.2f s; max relative difference to the float64 run %.2e "
          "(tolerance 1e-6)" %
          (info32.get("precision", "?"), t1b, info32["prepare"],
           info32["pairs"], rss1b, cpu1b, d32))
    print("    dominant kernel in float32 mode (prepare: float32 Gram SYRK + "
          "float64 centring + embedding): %.1f GFLOP/s per CPU-second = "
          "%.0f%% of the sgemm probe's per-CPU-second rate (%.0f%% of dgemm's)"
          % (prep_rate32, 100 * prep_rate32 / rate["sgemm_gflops_cpu"],
             100 * prep_rate32 / rate["dgemm_gflops_cpu"]))

    # (2) per-pair reference, sampled; extrapolated by seconds per flop
    out2, _, t2, rss2 = timed([PY, os.path.join(HERE, "ref_pairs.py"),
                               str(sample)] + files, env)
    r2 = json.loads(out2)

    def pair_flops(i, j):  # six n x n Grams, SYRK (numpy uses it for X X^T)
        return 3 * n * n * (dims[i] + dims[j])

    f_sample = sum(pair_flops(v[0], v[1]) for v in r2["values"])
    f_all = sum(pair_flops(i, j) for i in range(m) for j in range(i + 1, m))
    w_sample = sum(v[3] for v in r2["values"])
    c_sample = sum(v[4] for v in r2["values"])
    t2_all = w_sample * f_all / f_sample
    c2_all = c_sample * f_all / f_sample
    print("(2) numpy per-pair reference: %d of %d pairs timed (spread over "
          "the triangle; %.2f s wall, %.2f CPU-s for the sample; peak RSS "
          "%.0f MB; %.1f GFLOP/s per CPU-second), EXTRAPOLATED by flops to "
          "all pairs: %.1f s wall, %.1f CPU-s" %
          (len(r2["values"]), pairs, w_sample, c_sample, rss2,
           f_sample / c_sample * 1e-9, t2_all, c2_all))

    # (3) best numpy
    npy = os.path.join(work, "best.npy")
    out3, _, t3, rss3 = timed([PY, os.path.join(HERE, "best_numpy.py"), npy]
                              + files, env)
    r3 = json.loads(out3)
    cpu3 = CPU[PY]  # whole process, like simcon's
    s3 = np.load(npy)
    f3 = sum(n * n * d for d in dims) + 2 * m * m * L  # SYRKs, one GEMM
    print("(3) best numpy (prepare once, one product): %.2f s wall "
          "(prepare %.2f s, pairs %.2f s), peak RSS %.0f MB, %.1f GFLOP/s; CPU "
          "%.2f s" % (t3, r3["seconds_prepare"], r3["seconds_pairs"], rss3,
                      f3 / t3 * 1e-9, cpu3))

    # agreement
    d13 = np.max(np.abs(s1 - s3))
    d12 = max(abs(s1[v[0], v[1]] - v[2]) for v in r2["values"])
    ok64 = d13 <= 1e-6 and d12 <= 1e-6
    ok = ok64 and d32 <= 1e-6
    print("agreement: max |simcon - best numpy| = %.2e, max |simcon - "
          "reference| over sampled pairs = %.2e (tolerance 1e-6); float32 "
          "mode max rel. to float64 %.2e (tolerance 1e-6) -> %s" %
          (d13, d12, d32, "OK" if ok else "MISMATCH"))
    for tag, tw, tc in (("float64", t1, cpu1), ("float32", t1b, cpu1b)):
        print("ratios, simcon %s (wall): reference/simcon = %.1fx "
              "(extrapolated), best numpy/simcon = %.2fx" %
              (tag, t2_all / tw, t3 / tw))
        print("ratios, simcon %s (CPU seconds, whole processes incl. "
              "loading): reference/simcon = %.1fx (extrapolated), best "
              "numpy/simcon = %.2fx" % (tag, c2_all / tc, cpu3 / tc))

    # paper-scale estimate from measured rates
    try:
        cfg = json.load(open(PAPER_CONFIG))
        pdims = [v["embedding_dim"] for v in cfg.values()]
    except (OSError, KeyError, ValueError):
        pdims = [1024] * 64
    N, M = 10000, 64
    dbar = sum(pdims) / len(pdims)
    per_ds = (sum(N * N * d for d in pdims) / (prep_rate * 1e9) +
              M * M * (N * (N - 1) // 2) / (pairs_rate * 1e9))
    per_ds32 = (sum(N * N * d for d in pdims) / (prep_rate32 * 1e9) +
                M * M * (N * (N - 1) // 2) / (pairs_rate * 1e9))
    ref_ds = (M * (M - 1) / 2) * 6 * N * N * dbar / (f_sample / c_sample)
    jobs = 23 * 3
    print("paper-scale estimate (64 models, mean d %.0f, n = 10,000, 23 "
          "datasets x 3 metrics, each metric costed as linear CKA; CPU "
          "rates from this run, scaled by n^2 d; %s thread(s)): simcon "
          "%.1f h (float32 Gram: %.1f h), per-pair reference %.0f h" %
          (dbar, threads, per_ds * jobs / 3600, per_ds32 * jobs / 3600,
           ref_ds * jobs / 3600 / int(threads)))
    print("RESULT %s" % json.dumps({
        "size": size, "m": m, "n": n, "threads": int(threads),
        "simcon_s": t1, "simcon_rss_mb": rss1, "ref_s_extrapolated": t2_all,
        "ref_rss_mb": rss2, "best_numpy_s": t3, "best_numpy_rss_mb": rss3,
        "dgemm_gflops": rate["dgemm_gflops"],
        "prepare_gflops": prep_rate, "simcon_cpu_s": cpu1,
        "ref_cpu_extrapolated": c2_all,
        "best_numpy_cpu": cpu3, "float32_rel_diff": d32,
        "float32_s": t1b, "float32_rss_mb": rss1b, "float32_cpu_s": cpu1b,
        "float32_prepare_gflops": prep_rate32,
        "sgemm_gflops": rate["sgemm_gflops"], "agree": bool(ok)}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
