#!/usr/bin/python3
"""Seeded synthetic features and specs for tests/bench/paper_scale.sh.

Reads experiments/paper.yaml (64 models with their embedding_dim and
objective/architecture/dataset/size categories, 23 datasets, 3 metrics,
consistency groupby and contrasts, 9,999 permutations, 1,000 bootstrap
replicates, BCa, Holm) and writes, under WORK:

  features/<dataset>/<model>.npy   float32, d = the model's embedding_dim;
      n_full rows for the first `full` datasets, n_small rows for the others
  sim_<dataset>.yaml   the paper spec restricted to one full-size dataset,
      without analyses/statistics (similarity stage only)
  sim_full.yaml        the same on all full-size datasets in one run (one
      dataset's products overlap the next one's prepare only there)
  small.yaml           the same for the small datasets
  all.yaml             the paper spec on all 23 datasets (every stage)

Every model of every dataset sees one rank-32 latent of the stimuli (per
dataset) through a per-model random map (the same map on every dataset, so
model-by-model similarity is consistent across datasets, as in the paper),
a per-model non-linearity and per-model noise whose level depends on the
model's objective, so the statistics have structure to find.
Usage: paper_gen.py PAPER_YAML WORK N_FULL N_SMALL FULL SEED"""
import os
import re
import sys

import numpy as np


def parse(path):
    text = open(path).read()
    head, rest = text.split("\ndatasets:", 1)
    ds_block, tail = rest.split("\nmetrics:", 1)
    models = [(m.group(1), int(m.group(3)), m.group(2)) for m in re.finditer(
        r'\{name: "([^"]+)".*?objective: "([^"]+)".*?embedding_dim: "(\d+)"',
        head)]
    datasets = re.findall(r'^  - \{name: "([^"]+)"', ds_block, re.M)
    ds_lines = [l for l in ds_block.splitlines() if l.startswith("  - {")]
    metrics, analyses = tail.split("\nanalyses:", 1)
    return head, ds_lines, datasets, "metrics:" + metrics, \
        "analyses:" + analyses, models


def main():
    paper, work = sys.argv[1], sys.argv[2]
    n_full, n_small, full, seed = map(int, sys.argv[3:7])
    head, ds_lines, datasets, metrics, analyses, models = parse(paper)
    if len(models) != 64 or len(datasets) != 23:
        sys.exit("%s: expected 64 models and 23 datasets, found %d and %d"
                 % (paper, len(models), len(datasets)))
    if not 1 <= full <= len(datasets):
        sys.exit("FULL must be in 1..%d" % len(datasets))
    head = head.replace("root: paper/features", "root: features")
    os.makedirs(work, exist_ok=True)

    def spec(path, lines, stats):
        with open(path, "w") as f:
            f.write(head + "\ndatasets:\n" + "\n".join(lines) + "\n" +
                    metrics.rstrip("\n") + "\n")
            if stats:
                f.write(analyses)

    for t in range(full):
        spec(os.path.join(work, "sim_%s.yaml" % datasets[t]), [ds_lines[t]],
             False)
    spec(os.path.join(work, "sim_full.yaml"), ds_lines[:full], False)
    if full < len(datasets):
        spec(os.path.join(work, "small.yaml"), ds_lines[full:], False)
    spec(os.path.join(work, "all.yaml"), ds_lines, True)

    noise = {"Supervised": 0.5, "Self-Supervised": 0.8, "Image-Text": 1.1}
    root = np.random.default_rng(seed)
    maps = [root.standard_normal((32, d)).astype(np.float32) / np.sqrt(32)
            for _, d, _ in models]
    for t, ds in enumerate(datasets):
        n = n_full if t < full else n_small
        out = os.path.join(work, "features", ds)
        os.makedirs(out, exist_ok=True)
        rng = np.random.default_rng([seed, t])
        z = rng.standard_normal((n, 32)).astype(np.float32)
        for i, (name, d, obj) in enumerate(models):
            x = z @ maps[i]
            if i % 2:
                x = np.tanh(x)
            x += noise.get(obj, 1.0) * rng.standard_normal(
                (n, d), dtype=np.float32) / np.float32(np.sqrt(d))
            np.save(os.path.join(out, name + ".npy"), x.astype(np.float32))
        print("%s: %d models, n=%d" % (ds, len(models), n), flush=True)


if __name__ == "__main__":
    main()
