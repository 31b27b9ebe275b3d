#!/usr/bin/python3
"""Write a synthetic result folder at the paper's scale (issue 16):
64 models x 23 datasets x 3 metrics, with models.csv, datasets.csv,
similarity/, consistency.csv (all + every objective and architecture
category pair), contrasts.csv, behaviour.csv, behaviour/*/gap.csv and a
small manifest.json. Values are random (numpy, fixed seed): the folder
exists to measure report size and plot time, not to be analysed.

usage: make_paper_scale.py OUT_DIR [MODELS DATASETS]
"""
import itertools
import json
import os
import sys

import numpy as np

OBJ = ["supervised", "self-supervised", "image-text", "reconstruction"]
ARCH = ["cnn", "transformer"]
DOMAINS = ["natural-multi", "natural-single", "specialized", "structured"]
METRICS = ["cka_linear", "cka_rbf_0.4", "rsa"]


def write_mat(path, names, mat):
    with open(path, "w") as f:
        f.write("," + ",".join(names) + "\n")
        for n, row in zip(names, mat):
            f.write(n + "," + ",".join("%.17g" % v for v in row) + "\n")


def main():
    out = sys.argv[1]
    m = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    nd = int(sys.argv[3]) if len(sys.argv) > 3 else 23
    rng = np.random.default_rng(16)
    models = ["model_%02d_%s" % (i, OBJ[i % len(OBJ)]) for i in range(m)]
    obj = [OBJ[i % len(OBJ)] for i in range(m)]
    arch = [ARCH[(i // 4) % 2] for i in range(m)]
    datasets = ["dataset_%02d" % d for d in range(nd)]
    doms = [DOMAINS[d % len(DOMAINS)] for d in range(nd)]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "models.csv"), "w") as f:
        f.write("model,objective,architecture\n")
        for i in range(m):
            f.write("%s,%s,%s\n" % (models[i], obj[i], arch[i]))
    with open(os.path.join(out, "datasets.csv"), "w") as f:
        f.write("dataset,domain,n_stimuli,n_used\n")
        for d in range(nd):
            f.write("%s,%s,1000,1000\n" % (datasets[d], doms[d]))
    acc = rng.uniform(0.3, 0.95, size=(nd, m))
    base = rng.uniform(0.2, 0.9, size=(m, m))
    base = (base + base.T) / 2
    for d in range(nd):
        ddir = os.path.join(out, "similarity", datasets[d])
        os.makedirs(ddir, exist_ok=True)
        for k, met in enumerate(METRICS):
            s = np.clip(base + rng.normal(0, 0.08, size=(m, m)), 0, 1)
            s = (s + s.T) / 2
            np.fill_diagonal(s, 1.0)
            write_mat(os.path.join(ddir, met + ".csv"), models, s)
        gdir = os.path.join(out, "behaviour", datasets[d])
        os.makedirs(gdir, exist_ok=True)
        write_mat(os.path.join(gdir, "gap.csv"), models,
                  np.abs(acc[d][:, None] - acc[d][None, :]))
    sets = ["all"]
    for attr, cats in (("objective", OBJ), ("architecture", ARCH)):
        for a, b in itertools.combinations_with_replacement(cats, 2):
            sets.append("%s:%s|%s" % (attr, a, b))
    head = "metric,dataset_a,dataset_b,model_set,n_pairs,r,ci_lo,ci_hi,p,q\n"
    with open(os.path.join(out, "consistency.csv"), "w") as f:
        f.write(head)
        for met in METRICS:
            for a, b in itertools.combinations(range(nd), 2):
                for st in sets:
                    r = rng.uniform(-0.2, 1.0)
                    f.write("%s,%s,%s,%s,%d,%.17g,%.17g,%.17g,%.17g,%.17g\n"
                            % (met, datasets[a], datasets[b], st, 100, r,
                               r - 0.1, min(r + 0.1, 1.0),
                               rng.uniform(0, 0.1), rng.uniform(0, 0.2)))
    with open(os.path.join(out, "contrasts.csv"), "w") as f:
        f.write("metric,attribute,category_a,category_b,n_models_a,"
                "n_models_b,mean_a,mean_b,effect,ci_lo,ci_hi,p,q\n")
        for met in METRICS:
            for attr, cats in (("objective", OBJ), ("architecture", ARCH)):
                for a, b in itertools.combinations(cats, 2):
                    ma, mb = rng.uniform(0.3, 0.9, 2)
                    e = ma - mb
                    f.write("%s,%s,%s,%s,16,16,%.17g,%.17g,%.17g,%.17g,"
                            "%.17g,%.17g,%.17g\n"
                            % (met, attr, a, b, ma, mb, e, e - 0.1, e + 0.1,
                               rng.uniform(0, 1), rng.uniform(0, 1)))
    with open(os.path.join(out, "behaviour.csv"), "w") as f:
        f.write("metric,dataset,domain,n_pairs,r,ci_lo,ci_hi,p,q\n")
        for met in METRICS:
            for d in range(nd):
                r = rng.uniform(-0.5, 0.1)
                f.write("%s,%s,%s,%d,%.17g,%.17g,%.17g,%.17g,%.17g\n"
                        % (met, datasets[d], doms[d], m * (m - 1) // 2, r,
                           r - 0.1, r + 0.1, rng.uniform(0, 1),
                           rng.uniform(0, 1)))
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"simcon_result": 1, "name": "paper_scale_synthetic",
                   "statistics": {"correction": "holm"}}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
