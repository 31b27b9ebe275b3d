#!/usr/bin/python3
"""Seeded synthetic model zoo with planted structure for simcon's e2e tests.

Usage: make_zoo.py OUTDIR [N]   (run with /usr/bin/python3: needs numpy)

Writes OUTDIR/features/<dataset>/<model>.npy (float32, n = N rows, 60 by
default), the
accuracy table OUTDIR/behaviour.csv and OUTDIR/zoo.json (models with their
metadata, datasets with domains: what reference.py needs, so it never parses
YAML). The models and datasets are those of tests/e2e/zoo.yaml.

Planted structure. Each dataset d has a latent Z_d (n x 8). A model sees
X = (Z_d P + a E) R: P picks the part of the latent the model uses, a is its
noise level, E fresh noise, R a fixed random map to its own width (10..40).
- ssl models: P = identity and a fixed per model (0.3, 0.6, 0.9, 1.2), the
  same on every dataset, so the ssl-ssl similarities have the same pattern
  on every dataset: high within-ssl consistency.
- supervised models: P a random 4-of-8 coordinate projection and a drawn
  afresh per dataset, so their pairwise similarities reshuffle from dataset
  to dataset: low within-supervised consistency.
Accuracy: 0.95 - 0.25 a + N(0, 0.01), so models with similar noise levels
have similar accuracy (behaviour correlation expected negative).
Versions used when the tests were written: numpy 1.24.2, Python 3.11.
"""
import json
import os
import sys

import numpy as np

MODELS = [
    ("ssl_cnn_a", "ssl", "cnn"), ("ssl_cnn_b", "ssl", "cnn"),
    ("ssl_vit_a", "ssl", "vit"), ("ssl_vit_b", "ssl", "vit"),
    ("sup_cnn_a", "supervised", "cnn"), ("sup_cnn_b", "supervised", "cnn"),
    ("sup_vit_a", "supervised", "vit"), ("sup_vit_b", "supervised", "vit"),
]
DATASETS = [("nat_a", "natural"), ("nat_b", "natural"),
            ("spec_c", "specialized")]
N = 60
K = 8
SSL_NOISE = [0.3, 0.6, 0.9, 1.2]


def main(out, n=N):
    rng = np.random.default_rng(20241105)
    widths = [int(w) for w in rng.integers(10, 41, size=len(MODELS))]
    maps = [rng.standard_normal((K, w)) for w in widths]
    os.makedirs(out, exist_ok=True)
    acc_rows = []
    for dname, _ in DATASETS:
        os.makedirs(os.path.join(out, "features", dname), exist_ok=True)
        z = rng.standard_normal((n, K))
        for i, (mname, objective, _) in enumerate(MODELS):
            if objective == "ssl":
                proj = np.eye(K)
                a = SSL_NOISE[i % 4]
            else:
                keep = rng.choice(K, size=4, replace=False)
                proj = np.zeros((K, K))
                proj[keep, keep] = 1.0
                a = float(rng.uniform(0.2, 1.5))
            x = (z @ proj + a * rng.standard_normal((n, K))) @ maps[i]
            np.save(os.path.join(out, "features", dname, mname + ".npy"),
                    x.astype(np.float32))
            acc = 0.95 - 0.25 * a + float(rng.normal(0.0, 0.01))
            acc_rows.append((dname, mname, acc))
    with open(os.path.join(out, "behaviour.csv"), "w") as f:
        f.write("dataset,model,accuracy\n")
        for d, m, a in acc_rows:
            f.write("%s,%s,%.6f\n" % (d, m, a))
    meta = {
        "models": [{"name": m, "objective": o, "architecture": a}
                   for m, o, a in MODELS],
        "datasets": [{"name": d, "domain": dom} for d, dom in DATASETS],
        "groupby": ["objective", "architecture"],
        "anchors": ["ssl_cnn_a"],
    }
    with open(os.path.join(out, "zoo.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: make_zoo.py OUTDIR [N]")
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) == 3 else N)
