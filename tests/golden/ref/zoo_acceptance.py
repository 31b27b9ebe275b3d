#!/usr/bin/python3
"""Acceptance check of the metric plugin suite on the example zoo's full
real features (300 stimuli; 128 or 1280 units): `simcon compare` against the
independent numpy/scipy references in this folder.

Usage: /usr/bin/python3 tests/golden/ref/zoo_acceptance.py BUILD_DIR
Prints one line per (metric, pair): reference, simcon, relative error and
PASS/FAIL at rtol 1e-9; exits 1 if any FAIL. Not a CTest test: the zoo's
features are large and may be absent; the golden TSVs carry small slices.
Both sides see the paper's preprocessing (rows L2-normalised).
"""
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cknna_ref  # noqa: E402
import knn_ref  # noqa: E402
import linreg_ref  # noqa: E402
import procrustes_ref  # noqa: E402
import rsa_ref  # noqa: E402
import svcca_ref  # noqa: E402

ZOO = os.path.join(HERE, "..", "..", "..", "experiments", "zoo", "features")
RTOL = 1e-9
PAIRS = [("digits", "cnn_sup_s0", "cnn_ssl_s0"),
         ("fmnist_test", "cnn_sup_s0", "nsfw_mobilenet_v2")]
METRICS = [
    ("rsa", [], lambda x, y: rsa_ref.rsa(x, y, "correlation", "spearman")[0]),
    ("rsa", ["corr=kendall"],
     lambda x, y: rsa_ref.rsa(x, y, "correlation", "kendall")[0]),
    ("knn", ["k=10"], lambda x, y: knn_ref.knn(x, y, 10, "overlap")),
    ("cknna", ["k=10"], lambda x, y: cknna_ref.cknna(x, y, 10)),
    ("procrustes", [], procrustes_ref.procrustes),
    ("svcca", [], lambda x, y: svcca_ref.svcca(x, y, 0.99)[0]),
    ("linreg", ["alpha=1"], lambda x, y: linreg_ref.r2(x, y, 1.0)),
]


def main():
    build = sys.argv[1]
    bad = 0
    for dataset, mx, my in PAIRS:
        fx = os.path.join(ZOO, dataset, mx + ".npy")
        fy = os.path.join(ZOO, dataset, my + ".npy")
        x = np.load(fx).astype(np.float64)
        y = np.load(fy).astype(np.float64)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        y /= np.linalg.norm(y, axis=1, keepdims=True)
        for name, params, ref in METRICS:
            want = float(ref(x, y))
            cmd = [os.path.join(build, "simcon"), "compare", "-m", name,
                   "--normalize", "l2", "--plugin-dir",
                   os.path.join(build, "plugins")]
            for p in params:
                cmd += ["-p", p]
            out = subprocess.run(cmd + [fx, fy], capture_output=True,
                                 text=True)
            try:
                got = float(out.stdout.strip())
            except ValueError:
                got = float("nan")
            err = abs(got - want) / max(abs(want), 1e-300)
            ok = err <= RTOL or abs(got - want) <= 1e-12
            bad += not ok
            print(f"{'PASS' if ok else 'FAIL'} {name}{params} {dataset} "
                  f"{mx} vs {my} ({x.shape[1]}/{y.shape[1]}): ref {want:.17g}"
                  f" simcon {got:.17g} rel {err:.2e} {out.stderr.strip()}")
    print(f"numpy {np.__version__}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
