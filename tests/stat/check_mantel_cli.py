#!/usr/bin/python3
"""End-to-end test of `simcon mantel` (CTest e2e.mantel_cli).

Usage: check_mantel_cli.py SIMCON DATA_DIR

Data: data/m4_a.csv and data/m4_b.csv hold the 4-model matrices A4 and B4
of ref_unit.py (B's file lists the models in another order, so a pass also
shows matching by name). Expected values: ref_unit.out mantel4.pearson
(numpy enumeration of all 24 permutations; vegan 2.6-4 agrees, see
ref_unit_R.out): r = 0.75198794506522826, exact p = 3/24 = 0.125. The random
default (B = 9999) must land within 4 binomial sd of 0.125. Error cases
check the exit status, that stdout stays empty, and the one-line message.
Standard library only.
"""
import hashlib
import math
import os
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
sd = math.sqrt(0.125 * 0.875 / 9999)
check(rc == 0 and abs(p - 0.125) <= 4 * sd,
      "default 9999 permutations: p = %r within 4 sd (%.4f) of 0.125"
      % (p, 4 * sd))
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
