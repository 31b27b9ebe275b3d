#!/usr/bin/python3
"""End-to-end test of `simcon mantel` (CTest e2e.mantel_cli).

Usage: check_mantel_cli.py SIMCON DATA_DIR

Data: data/m4_a.csv and data/m4_b.csv hold the 4-model matrices A4 and B4
of ref_unit.py (B's file lists the models in another order, so a pass also
shows matching by name). Expected values: ref_unit.out mantel4.pearson
(numpy enumeration of all 24 permutations; vegan 2.6-4 agrees, see
ref_unit_R.out): r = 0.75198794506522826, exact p = 3/24 = 0.125.
Random-mode p-values are pinned, not compared within a tolerance: this
script replays the permutation stream itself (task seed
sc_rng_task_seed(S, "mantel"): FNV-1a 64, XOR S, SplitMix64 finaliser,
folded to 32 bits; GSL's MT19937 through Python's random module;
gsl_ran_shuffle; docs/FORMULAS.md "The random stream"), counts the
permutations as extreme as the observed r with its own Pearson and the
documented tie rule, and requires p == (1 + count) / (1 + B) exactly, for
the default (--seed 241105561, --perms 9999, greater, as --help states) and
for --seed 7 --perms 999 with greater, less and two-sided. Error cases
check the exit status, that stdout stays empty, and the one-line message.
Standard library only.
"""
import csv
import hashlib
import math
import os
import random
import subprocess
import sys

simcon, data = sys.argv[1], sys.argv[2]
checks = failures = 0


def check(cond, what):
    global checks, failures
    checks += 1
    print("%sok %d - %s" % ("" if cond else "not ", checks, what))
    if not cond:
        failures += 1


def run(*args):
    p = subprocess.run([simcon, "mantel", *args], capture_output=True,
                       text=True)
    return p.returncode, p.stdout, p.stderr


TIE_RTOL = 1.4901161193847656e-08
M64 = (1 << 64) - 1


def task_seed(master, task):
    """core/num/rng.c sc_rng_task_seed, re-implemented from its comment."""
    h = 0xCBF29CE484222325
    for c in task.encode():
        h = ((h ^ c) * 0x100000001B3) & M64
    z = h ^ master
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    z ^= z >> 31
    s = (z ^ (z >> 32)) & 0xFFFFFFFF
    return s or 1


def gsl_mt19937(seed):
    mt = [seed & 0xFFFFFFFF]
    for i in range(1, 624):
        mt.append((1812433253 * (mt[-1] ^ (mt[-1] >> 30)) + i) & 0xFFFFFFFF)
    r = random.Random()
    r.setstate((3, tuple(mt) + (624,), None))
    return r


def shuffle(r, a):
    """gsl_ran_shuffle with gsl_rng_uniform_int."""
    for i in range(len(a) - 1, 0, -1):
        n = i + 1
        scale = 0xFFFFFFFF // n
        while True:
            j = r.getrandbits(32) // scale
            if j < n:
                break
        a[i], a[j] = a[j], a[i]


def pearson(x, y):
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / math.sqrt(sxx * syy)


def read_sim(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    names = rows[0][1:]
    return names, {(rows[i + 1][0], names[j]): float(rows[i + 1][j + 1])
                   for i in range(len(names)) for j in range(len(names))}


def replay_p(path_a, path_b, master, perms, alt):
    """p of `simcon mantel` replayed: b's labels permuted (Pearson)."""
    names, sa = read_sim(path_a)
    _, sb = read_sim(path_b)
    m = len(names)
    pairs = [(i, j) for i in range(m) for j in range(i + 1, m)]
    x = [sa[(names[i], names[j])] for i, j in pairs]

    def stat(pi):
        return pearson(x, [sb[(names[pi[i]], names[pi[j]])]
                           for i, j in pairs])
    t_obs = stat(list(range(m)))
    r = gsl_mt19937(task_seed(master, "mantel"))
    pi = list(range(m))
    count = 0
    for _ in range(perms):
        shuffle(r, pi)
        t = stat(pi)
        if alt == "two-sided":
            t, t0 = abs(t), abs(t_obs)
        else:
            t0 = t_obs
        tie = t == t0 or abs(t - t0) <= TIE_RTOL * max(abs(t), abs(t0))
        count += tie or (t < t0 if alt == "less" else t > t0)
    return (1 + count) / (1 + perms), count


A = os.path.join(data, "m4_a.csv")
B = os.path.join(data, "m4_b.csv")
R_WANT = 0.75198794506522826

rc, out, err = run("--exact", A, B)
check(rc == 0, "exact run exits 0 (stderr: %r)" % err)
fields = out.split()
check(len(fields) == 2 and out.endswith("\n"), "prints 'r p': %r" % out)
r, p = float(fields[0]), float(fields[1])
check(abs(r - R_WANT) <= 1e-12 * R_WANT, "r = %r (numpy/vegan)" % r)
check(p == 0.125, "exact p = 3/24 = 0.125: %r" % p)

rc, out, err = run(A, B)
r, p = (float(v) for v in out.split())
want, count = replay_p(A, B, 241105561, 9999, "greater")
check(rc == 0 and p == want,
      "default (seed 241105561, 9999 permutations): p = %r is (1 + %d) / "
      "10000 = %r from the replayed permutations" % (p, count, want))
for alt in ("greater", "less", "two-sided"):
    rc, o, err = run("--seed", "7", "--perms", "999", "--alternative", alt,
                     A, B)
    got = float(o.split()[1]) if rc == 0 else float("nan")
    want, count = replay_p(A, B, 7, 999, alt)
    check(got == want, "--seed 7 --perms 999 %s: p = %r is (1 + %d) / 1000 "
          "= %r from the replayed permutations" % (alt, got, count, want))
rc2, out2, _ = run(A, B)
check(out2 == out, "same files and seed print the same line")
rc, out3, _ = run("--seed", "7", "--perms", "999", "--method", "spearman",
                  "--alternative", "two-sided", A, B)
check(rc == 0 and len(out3.split()) == 2, "all options accepted: %r" % out3)

# --seed auto (issue 12): S = h(A) XOR h(B), h = first 16 hex digits of the
# file's SHA-256 (hashlib here, independent of simcon's sha256.c).
def h(path):
    return int(hashlib.sha256(open(path, "rb").read()).hexdigest()[:16], 16)


S_AUTO = h(A) ^ h(B)
rc, out_auto, err = run("--seed", "auto", "--perms", "99", A, B)
check(rc == 0 and err == "simcon mantel: --seed auto: seed %d\n" % S_AUTO,
      "--seed auto derives %d from the SHA-256 of both files: %r"
      % (S_AUTO, err))
rc, out_s, _ = run("--seed", str(S_AUTO), "--perms", "99", A, B)
check(out_s == out_auto, "--seed auto equals --seed %d: %r vs %r"
      % (S_AUTO, out_auto, out_s))
check(S_AUTO != 241105561, "auto seed differs from the default 241105561")
rc, hlp, _ = run("--help")
check("241105561" in hlp and "auto" in hlp,
      "--help documents the default seed and 'auto'")

rc, out, err = run(A, os.path.join(data, "m4_missing.csv"))
check(rc == 2 and out == "", "missing model: exit 2, no output")
check(err == "simcon mantel: model 'dino_s8' of %s is missing from %s; "
      "both matrices must have the same models\n"
      % (A, os.path.join(data, "m4_missing.csv")),
      "missing model message: %r" % err)

rc, out, err = run("--alternative", "bigger", A, B)
check(rc == 2 and out == "" and err ==
      "simcon mantel: unknown alternative 'bigger'; use greater, less or "
      "two-sided\n", "bad alternative: %r" % err)
rc, out, err = run("--perms", "0", A, B)
check(rc == 2 and err == "simcon mantel: --perms expects at least 1, got "
      "'0'\n", "perms 0: %r" % err)
rc, out, err = run(A)
check(rc == 2 and "need two similarity matrices" in err,
      "one file: %r" % err)
rc, out, err = run(A, os.path.join(data, "no_such.csv"))
check(rc == 1 and out == "" and "no_such.csv: cannot open" in err,
      "unreadable file: exit 1: %r" % err)

print("# %d checks, %d failed" % (checks, failures))
print("%d passed, %d failed" % (checks - failures, failures))
sys.exit(1 if failures else 0)
