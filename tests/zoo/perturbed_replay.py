#!/usr/bin/env python3
"""Play another CPU: the statistics of the bundled example must not change
when every similarity moves by a few units in the last place.

Another BLAS kernel (OpenBLAS picks one per CPU) sums in another order, so
it changes the last bits of every similarity; measured between OpenBLAS's
Haswell, Nehalem and SkylakeX kernels on experiments/zoo.yaml: up to
1.6e-15 absolute. This test simulates that without touching the BLAS (the
real check, by hand, is README's OPENBLAS_CORETYPE command):

1. `simcon run experiments/zoo.yaml` into A (the unperturbed run).
2. Replay: a copy of A rerun with --resume reads the similarity matrices
   back from A/.cache/ and runs only the statistics stages. Same machine,
   same inputs: every CSV/MD/TeX must be byte-identical to A (same-machine
   determinism, and proof that the replay path feeds the statistics
   exactly the matrices of a full run).
3. Perturbed replay: another copy, whose .cache/*.csv matrices are
   perturbed before the rerun: each entry S[i][j] (i <= j) moves by k
   units of the spacing of doubles at max(|S[i][j]|, 0.5) -- rounding noise
   of a quantity of order 1, which is what a similarity is computed from --
   with k drawn uniformly from +-1..+-8, seeded (--seed) and independently
   per entry; S[j][i] gets the same value, so the matrices stay symmetric.
   Required: the tables (tables/*.md, *.tex) and every p and q
   byte-identical to A AND to the committed results/zoo, and every other
   number in the CSVs within 1e-9 relative (tests/zoo/compare_results.py).
   Also checked, so the test cannot pass vacuously: the run reused all 12
   cached matrices (manifest.json) and every off-diagonal similarity it
   used and wrote differs from A's.

Usage: perturbed_replay.py SIMCON SOURCE_DIR WORK_DIR [--seed=N]
(SIMCON_PLUGIN_PATH must point at the plugins, as CTest sets it.)
"""
import glob
import json
import math
import os
import random
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
COMPARE = os.path.join(HERE, "compare_results.py")
MAX_ULPS = 8
failures = 0


def check(ok, what):
    global failures
    print("%s - %s" % ("ok" if ok else "not ok", what))
    if not ok:
        failures += 1
    return ok


def run(simcon, spec, out, *extra):
    r = subprocess.run([simcon, "run", spec, "-o", out, "--threads", "1"] +
                       list(extra), capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        raise SystemExit("simcon run -o %s failed (status %d)"
                         % (out, r.returncode))
    return r


def read_matrix(path):
    with open(path) as f:
        rows = [line.rstrip("\n").split(",") for line in f]
    return rows[0], [[r[0]] + [float(v) for v in r[1:]] for r in rows[1:]]


def write_matrix(path, header, rows):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for r in rows:
            f.write(",".join([r[0]] + [repr(v) for v in r[1:]]) + "\n")


def perturb(value, k):
    """value + k units of the spacing of doubles at max(|value|, 0.5)."""
    unit = math.ulp(max(abs(value), 0.5))
    return value + k * unit


def perturb_cache(folder, seed):
    files = sorted(glob.glob(os.path.join(folder, ".cache", "*.csv")))
    for path in files:
        header, rows = read_matrix(path)
        m = len(rows)
        # One stream per file, from the seed and the cache key (the file
        # name), so a matrix's perturbation does not depend on the others.
        rng = random.Random("%d/%s" % (seed, os.path.basename(path)))
        for i in range(m):
            for j in range(i, m):
                k = rng.choice([-1, 1]) * rng.randint(1, MAX_ULPS)
                v = perturb(rows[i][j + 1], k)
                rows[i][j + 1] = v
                rows[j][i + 1] = v
        write_matrix(path, header, rows)
    return len(files)


def similarity_files(folder):
    return sorted(os.path.relpath(p, folder) for p in
                  glob.glob(os.path.join(folder, "similarity", "*", "*.csv")))


def tables(folder):
    """rel -> bytes of every CSV/MD/TeX outside hidden folders."""
    out = {}
    for d, dirs, names in os.walk(folder):
        dirs[:] = [x for x in dirs if not x.startswith(".")]
        for n in names:
            if n.endswith((".csv", ".md", ".tex")):
                path = os.path.join(d, n)
                with open(path, "rb") as f:
                    out[os.path.relpath(path, folder)] = f.read()
    return out


def compare(ref, got):
    r = subprocess.run([sys.executable, COMPARE, ref, got],
                       capture_output=True, text=True)
    out = r.stdout.strip().splitlines()
    for line in out[:40]:
        print("    " + line)
    if len(out) > 40:
        print("    ... %d more lines" % (len(out) - 40))
    return r.returncode == 0


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    seed = 20250611
    for a in argv[1:]:
        if a.startswith("--seed="):
            seed = int(a.split("=", 1)[1])
    if len(args) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    simcon, src, work = args
    spec = os.path.join(src, "experiments", "zoo.yaml")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    a, u, p = (os.path.join(work, x) for x in ("a", "replay", "perturbed"))

    run(simcon, spec, a, "--quiet")
    n_sims = len(similarity_files(a))
    check(n_sims == 12, "full run wrote 12 similarity matrices (%d)" % n_sims)

    shutil.copytree(a, u, symlinks=True)
    run(simcon, spec, u, "--resume", "--quiet")
    reused = json.load(open(os.path.join(u, "manifest.json")))["cache"]
    check(reused == {"reused": 12, "computed": 0},
          "replay reused every cached matrix: %s" % reused)
    ta, tu = tables(a), tables(u)
    differ = sorted(f for f in ta if ta[f] != tu.get(f))
    check(len(ta) > 0 and not differ and sorted(ta) == sorted(tu),
          "replay of the same matrices: all %d CSV/MD/TeX files byte-"
          "identical to the full run%s" % (len(ta), (" (differ: %s)" %
                                                    ", ".join(differ[:5]))
                                           if differ else ""))

    shutil.copytree(a, p, symlinks=True)
    n = perturb_cache(p, seed)
    check(n == 12, "perturbed %d cached matrices by +-1..%d ulps (seed %d)"
          % (n, MAX_ULPS, seed))
    run(simcon, spec, p, "--resume", "--quiet")
    reused = json.load(open(os.path.join(p, "manifest.json")))["cache"]
    check(reused == {"reused": 12, "computed": 0},
          "perturbed replay reused every cached matrix: %s" % reused)
    changed = total = 0
    worst = 0.0
    for f in similarity_files(a):
        _, ra = read_matrix(os.path.join(a, f))
        _, rp = read_matrix(os.path.join(p, f))
        for i in range(len(ra)):
            for j in range(len(ra)):
                if i != j:
                    total += 1
                    changed += ra[i][j + 1] != rp[i][j + 1]
                    worst = max(worst, abs(ra[i][j + 1] - rp[i][j + 1]))
    check(total > 0 and changed == total,
          "the statistics saw perturbed similarities: %d of %d off-diagonal "
          "entries differ, by at most %.3g" % (changed, total, worst))
    check(compare(a, p), "perturbed replay vs the unperturbed run: tables, p "
          "and q identical, other numbers within 1e-9 relative")
    check(compare("committed:%s:results/zoo" % src, p),
          "perturbed replay vs the committed results/zoo: tables, p and q "
          "identical, other numbers within 1e-9 relative")
    if failures == 0:
        shutil.rmtree(work, ignore_errors=True)
    print("%d check(s) failed" % failures if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
