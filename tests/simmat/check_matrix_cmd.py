#!/usr/bin/python3
"""End-to-end test of `simcon matrix` (issue 6).

Runs the command on the committed CKA golden inputs and checks the CSV
against the independent numpy reference tests/golden/ref/cka_ref.py (the
published formulas, not our C code), plus the error contract: bad input
gives exit 2, a one-line message naming the file, and no output file.
Usage: check_matrix_cmd.py SIMCON DATA_DIR WORK_DIR   (exit 0 = pass)."""
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "golden", "ref"))
import cka_ref  # noqa: E402

failures = 0


def check(cond, what):
    global failures
    print("%sok - %s" % ("" if cond else "not ", what))
    if not cond:
        failures += 1


def run(simcon, args):
    p = subprocess.run([simcon, "matrix"] + args, capture_output=True,
                       text=True)
    return p.returncode, p.stdout, p.stderr


def read_csv(path):
    with open(path) as f:
        lines = f.read().splitlines()
    names = lines[0].split(",")[1:]
    rows = [l.split(",") for l in lines[1:]]
    return names, [r[0] for r in rows], np.array([[float(v) for v in r[1:]]
                                                  for r in rows])


def main():
    simcon, data, work = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    files = ["cka_narrow_x.npy", "cka_narrow_y.npy", "cka_narrow_x_off300.npy"]
    paths = [os.path.join(data, f) for f in files]
    xs = [np.load(p) for p in paths]
    xs[2] = xs[0]  # shift invariance (NOTES.md#cka-shift)
    for params, kind, unbiased in (([], "linear", True),
                                   (["-p", "kernel=rbf", "-p", "unbiased=false",
                                     "-p", "sigma=2"], "rbf", False)):
        sigma = 2.0 if kind == "rbf" else None
        want = np.array([[cka_ref.cka(a, b, kind, unbiased, sigma)
                          for b in xs] for a in xs])
        for extra in ([], ["--threads", "2", "--memory", "1M"]):
            out = os.path.join(work, "m.csv")
            if os.path.exists(out):
                os.remove(out)
            # Raw features (--normalize none; the default is l2): the
            # reference and the shift-invariance case use them unscaled.
            rc, _, err = run(simcon, params + extra + ["--normalize", "none",
                                                       "-o", out] + paths)
            check(rc == 0, "matrix %s %s exits 0 (%s)" % (params, extra,
                                                         err.strip()))
            if rc != 0:
                continue
            names, rnames, s = read_csv(out)
            stems = [f[:-4] for f in files]
            check(names == stems and rnames == stems,
                  "header and row names are the file stems")
            d = np.max(np.abs(s - want) / np.abs(want))
            check(d <= 1e-9, "%s %s: matches numpy reference (max rel %.3g)"
                  % (params, extra, d))
    # --float32 (issue 6): float32 embeddings AND, for cka, the float32
    # Gram (precision=float32) unless -p precision= is given; within 1e-6
    # relative of the float64 numpy reference on the realistic 500 x
    # 1024/768 pair of tests/golden/data.
    rfiles = [os.path.join(data, f) for f in ("cka_real_x.npy",
                                              "cka_real_y.npy")]
    rx = [cka_ref.load(f, "l2") for f in ("cka_real_x.npy", "cka_real_y.npy")]
    rwant = cka_ref.cka(rx[0], rx[1], "linear", True)
    for extra, prec in ((["--float32"], "float32"),
                        (["--float32", "-p", "precision=float64"], "float64"),
                        (["-p", "precision=float32"], "float32")):
        out = os.path.join(work, "f32.csv")
        rc, _, err = run(simcon, extra + ["--normalize", "l2", "--info", "-o",
                                          out] + rfiles)
        check(rc == 0 and ("precision=%s " % prec) in err,
              "%s: exit 0, --info says precision=%s (%s)"
              % (extra, prec, err.strip()))
        if rc != 0:
            continue
        _, _, s = read_csv(out)
        d = abs(s[0, 1] - rwant) / abs(rwant)
        check(d <= 1e-6, "%s: within 1e-6 of the float64 numpy reference "
              "(rel %.3g)" % (extra, d))
    # errors: nothing written, exit 2, one line naming the file
    out = os.path.join(work, "bad.csv")
    rc, _, err = run(simcon, ["-o", out, paths[0],
                              os.path.join(data, "cka_wide_x.npy")])
    check(rc == 2 and not os.path.exists(out) and err.count("\n") == 1 and
          "cka_wide_x.npy has 12 rows but" in err,
          "row mismatch: exit 2, one line, no output (%r)" % err)
    rc, _, err = run(simcon, ["-o", out, paths[0], paths[0]])
    check(rc == 2 and not os.path.exists(out) and "same name" in err,
          "duplicate stems: exit 2, no output (%r)" % err)
    rc, _, err = run(simcon, ["-o", out, "-p", "kernel=rbf", "-p", "sigma=1",
                              "-p", "sigma_rel=1", paths[0]])
    check(rc == 2 and not os.path.exists(out) and "both set" in err,
          "conflicting parameters: exit 2 (%r)" % err)
    print("# %d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
