#!/usr/bin/python3
"""A small study through `simcon run` (issue 12): exact tests, NA notes,
correction families, the two-sided contrast rule (CTest e2e.small_study).

Usage: small_study.py SIMCON WORKDIR

7 models (objective a/a/a/a/b/b/b; family x/x/x/x/x/y/y), 2 datasets of 30
random stimuli (numpy, seeded, with a shared latent part), metric cka
linear, 5040 permutations. Since 7! = 5040 <= 5040, run must use the exact
permutation distribution. Expected
values come from numpy, from the similarity matrices simcon wrote (the
similarities themselves are checked by the golden and e2e tests; this test is
about the statistics), by full enumeration of the 5040 permutations:
- consistency "all": r = Pearson over the 21 pairs; p = #{T* >= T} / 5040
  (ties within 2^-26 relative count, as docs/STATISTICS.md says); n_perm
  5040; note "exact test (5040 permutations)";
- family:y|y has 1 pair: listed, r empty, note "fewer than 3 pairs (1)";
  family:x|x (5 models) and every other within/between row: no CI, note
  "too few models for a CI (...)";
- q: Holm within each (metric, attribute, row kind) family, recomputed here
  from the p column;
- contrast a vs b: effect = r_within_a - r_within_b; p = min(1, 2 min(
  P(T* >= T), P(T* <= T))) over the 5040 label arrangements (groups of 4
  and 3, so the null is off centre); null_mean = the mean of T* over them;
  no CI (4 / 3 < 40 per category);
- a run with one dataset: consistency.csv has one row with the note
  "one dataset: no consistency".
- the CI thresholds of docs/STATISTICS.md (20 models per side, 40 per
  category for a contrast's effect): the 7-model "all" row has no CI, the
  note "too few models for a CI (7 < 20 per side)", and empty B and seed
  (exact test, no resampling); `check` warns about it beforehand. A
  21-model study (family x: 20 models, y: 1; 99 random permutations) gets
  CIs on "all" (21) and "family:x|x" (20, the threshold) equal to the
  jackknife-z interval recomputed here with numpy/scipy from the formula
  of docs/STATISTICS.md (atanh, leave-one-model-out, t_{n-1}), ci_method
  jackknife-z, B empty (a jackknife resamples nothing) and a seed (random
  permutations); "family:x|y" (side 1) has none.
"""
import csv
import itertools
import math
import os
import shutil
import subprocess
import sys

import numpy as np
from scipy import stats

RTOL = 2.0 ** -26
failures = 0


def check(cond, what):
    global failures
    print(("ok - " if cond else "FAIL - ") + what)
    if not cond:
        failures += 1


MODELS = [("m1", "a", "x"), ("m2", "a", "x"), ("m3", "a", "x"),
          ("m4", "a", "x"), ("m5", "b", "x"), ("m6", "b", "y"),
          ("m7", "b", "y")]


def write_zoo(root, datasets, models=MODELS, stats_line=None):
    rng = np.random.default_rng(20261202)
    for d in datasets:
        os.makedirs(os.path.join(root, d), exist_ok=True)
        z = rng.standard_normal((30, 5))
        for name, _, _ in models:
            x = z @ rng.standard_normal((5, 8)) + \
                0.8 * rng.standard_normal((30, 8))
            np.save(os.path.join(root, d, name + ".npy"),
                    x.astype(np.float32))
    mlist = "\n".join("  - {name: %s, objective: %s, family: %s}" % m
                      for m in models)
    dsets = "\n".join("  - {name: %s}" % d for d in datasets)
    spec = """name: small
seed: 5
data:
  root: .
  features: "{dataset}/{model}.npy"
models:
%s
datasets:
%s
metrics:
  - {name: cka, plugin: cka, params: {kernel: linear}}
analyses:
  consistency: {correlation: pearson, groupby: [family]}
  contrasts: [{attribute: objective}]
%s
""" % (mlist, dsets, stats_line or
       "statistics: {permutations: 5040, bootstrap: 50, interval: percentile}")
    path = os.path.join(root, "small.yaml")
    open(path, "w").write(spec)
    return path


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def read_matrix(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    return np.array([[float(v) for v in r[1:]] for r in rows[1:]])


def ge(t, t0):
    return t >= t0 or abs(t - t0) <= RTOL * max(abs(t), abs(t0))


def le(t, t0):
    return t <= t0 or abs(t - t0) <= RTOL * max(abs(t), abs(t0))


def holm(ps):
    n = len(ps)
    order = sorted(range(n), key=lambda k: ps[k])
    q, run = [0.0] * n, 0.0
    for rank, k in enumerate(order):
        run = max(run, min(1.0, (n - rank) * ps[k]))
        q[k] = run
    return q


def main(simcon, work):
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    spec = write_zoo(work, ["d1", "d2"])
    out = os.path.join(work, "out")
    r = subprocess.run([simcon, "run", spec, "-o", out, "--quiet"],
                       capture_output=True, text=True)
    check(r.returncode == 0, "run exits 0: %s" % r.stderr.strip()[-300:])
    if r.returncode != 0:
        return
    s1 = read_matrix(os.path.join(out, "similarity", "d1", "cka.csv"))
    s2 = read_matrix(os.path.join(out, "similarity", "d2", "cka.csv"))
    m = len(MODELS)
    pairs = [(i, j) for i in range(m) for j in range(i + 1, m)]
    x = np.array([s1[i, j] for i, j in pairs])
    perms = list(itertools.permutations(range(m)))
    rows = read_csv(os.path.join(out, "consistency.csv"))
    byset = {row["model_set"]: row for row in rows}
    # Mantel "all", exact.
    r0 = np.corrcoef(x, [s2[i, j] for i, j in pairs])[0, 1]
    ts = [np.corrcoef(x, [s2[p[i], p[j]] for i, j in pairs])[0, 1]
          for p in perms]
    p_want = sum(ge(t, r0) for t in ts) / len(perms)
    row = byset["all"]
    check(abs(float(row["r"]) - r0) <= 1e-12, "all: r %s = numpy %.17g"
          % (row["r"], r0))
    check(abs(float(row["p"]) - p_want) <= 1e-15,
          "all: exact p %s = enumeration %d/5040" % (row["p"],
                                                   round(p_want * 5040)))
    check(row["n_perm"] == "5040" and
          "exact test (5040 permutations)" in row["note"],
          "all: n_perm 5040, note %r" % row["note"])
    check(row["ci_lo"] == "" and row["ci_method"] == "none" and
          "too few models for a CI (7 < 20 per side)" in row["note"],
          "all: 7 models per side (< 20), no CI, note %r" % row["note"])
    check(row["B"] == "" and row["seed"] == "",
          "all: exact test and no CI, so no resamples and no random "
          "draws: B %r and seed %r empty" % (row["B"], row["seed"]))
    # 1-pair set listed with a note.
    row = byset.get("family:y|y")
    check(row is not None and row["n_pairs"] == "1" and row["r"] == "" and
          "fewer than 3 pairs (1)" in row["note"],
          "family:y|y (1 pair) listed with r NA and a note: %r" % row)
    row = byset["family:x|x"]
    check(row["ci_lo"] == "" and
          "too few models for a CI (5 < 20 per side)" in row["note"],
          "family:x|x: no CI, note %r" % row["note"])
    row = byset["family:x|y"]
    check(row["ci_lo"] == "" and
          "too few models for a CI (2 < 20 per side)" in row["note"],
          "family:x|y: no CI, note %r" % row["note"])
    # Families: all / family-within / family-between, each Holm on its own.
    fams = {}
    for row in rows:
        name = row["model_set"]
        kind = ("all" if name == "all" else
                "within" if name.split(":")[1].split("|")[0] ==
                name.split("|")[1] else "between")
        if row["p"] != "":
            fams.setdefault(kind, []).append(row)
    ok = True
    for kind, fr in fams.items():
        want = holm([float(x["p"]) for x in fr])
        ok &= all(abs(float(x["q"]) - w) <= 1e-15 for x, w in zip(fr, want))
    check(ok and len(fams) == 3, "q = Holm within each row kind (%s)"
          % sorted(fams))
    # Contrast a vs b, exact, two-sided by doubling the smaller tail.
    lab = [mo[1] for mo in MODELS]

    def within(labels, c, s):
        idx = [k for k, (i, j) in enumerate(pairs)
               if labels[i] == c and labels[j] == c]
        return np.corrcoef(x[idx], [s[pairs[k][0], pairs[k][1]]
                                    for k in idx])[0, 1]

    def stat(labels):
        return within(labels, "a", s2) - within(labels, "b", s2)

    t0 = stat(lab)
    tp = [stat([lab[p[i]] for i in range(m)]) for p in perms]
    pg = sum(ge(t, t0) for t in tp) / len(tp)
    pl = sum(le(t, t0) for t in tp) / len(tp)
    want = min(1.0, 2 * min(pg, pl))
    crow = read_csv(os.path.join(out, "contrasts.csv"))
    check(len(crow) == 1, "one contrast row")
    c = crow[0]
    check(abs(float(c["effect"]) - t0) <= 1e-12,
          "contrast effect %s = numpy %.17g" % (c["effect"], t0))
    check(abs(float(c["p"]) - want) <= 1e-15,
          "contrast p %s = min(1, 2 min(%.4f, %.4f)) = %.6f" %
          (c["p"], pg, pl, want))
    check(abs(float(c["null_mean"]) - float(np.mean(tp))) <= 1e-12,
          "null mean %s = enumeration %.6f" % (c["null_mean"],
                                               float(np.mean(tp))))
    check(abs(float(np.mean(tp))) > 0.01, "the null is off centre (%.4f)"
          % float(np.mean(tp)))
    check(c["n_perm"] == "5040" and c["ci_lo"] == "" and
          "too few models for a CI of the effect (4 / 3 < 40 per category)"
          in c["note"], "contrast: exact, no CI, note %r" % c["note"])
    # Every empty value has a note.
    for name in ("consistency.csv", "contrasts.csv"):
        bad = [rw for rw in read_csv(os.path.join(out, name))
               if any(rw[k] == "" for k in ("ci_lo", "p", "q"))
               and rw["note"] == ""]
        check(bad == [], "%s: every NA has a note" % name)
    r = subprocess.run([simcon, "check", spec], capture_output=True,
                       text=True)
    check(r.returncode == 0 and
          "7 models: fewer than 20, so no consistency or behaviour row "
          "gets a CI over models" in r.stderr,
          "check predicts the missing CIs: %r" % r.stderr[-400:])
    boundary(simcon, work)
    # One dataset.
    one = os.path.join(work, "one")
    os.makedirs(one)
    spec1 = write_zoo(one, ["d1"])
    out1 = os.path.join(work, "out1")
    r = subprocess.run([simcon, "run", spec1, "-o", out1, "--quiet"],
                       capture_output=True, text=True)
    check(r.returncode == 0, "one-dataset run exits 0")
    rows = read_csv(os.path.join(out1, "consistency.csv"))
    check(len(rows) == 1 and rows[0]["note"] == "one dataset: no consistency"
          and rows[0]["r"] == "",
          "one dataset: one consistency row saying why: %r" % rows)
    r = subprocess.run([simcon, "check", spec1], capture_output=True,
                       text=True)
    check(r.returncode == 0 and "warning: one dataset" in r.stderr,
          "check warns about the single dataset: %r" % r.stderr)


def jackknife_z(s1, s2, pairs, level=0.95):
    """docs/STATISTICS.md: z = atanh r over the pairs, z_(i) without model
    i's pairs, se = sqrt((n-1)/n sum (z_(i) - mean)^2), CI = tanh(z -+ t
    se) with t the Student quantile of n-1 df."""
    def r_of(ps):
        return np.corrcoef([s1[i, j] for i, j in ps],
                           [s2[i, j] for i, j in ps])[0, 1]
    models = sorted({k for p in pairs for k in p})
    n = len(models)
    zj = np.array([np.arctanh(r_of([p for p in pairs if i not in p]))
                   for i in models])
    se = math.sqrt((n - 1) / n * float(np.sum((zj - zj.mean()) ** 2)))
    t = stats.t.ppf((1 + level) / 2, n - 1)
    z = np.arctanh(r_of(pairs))
    return math.tanh(z - t * se), math.tanh(z + t * se)


def boundary(simcon, work):
    """21 models: CIs at and above the threshold, checked against numpy."""
    root = os.path.join(work, "twentyone")
    models = [("e%d" % k, "a" if k < 7 else "b", "x" if k < 20 else "y")
              for k in range(21)]
    spec = write_zoo(root, ["d1", "d2"], models,
                     "statistics: {permutations: 99, bootstrap: 50}")
    out = os.path.join(root, "out")
    r = subprocess.run([simcon, "check", spec], capture_output=True,
                       text=True)
    check(r.returncode == 0 and "fewer than 20, so no" not in r.stderr,
          "21 models: check predicts no missing 'all' CI")
    r = subprocess.run([simcon, "run", spec, "-o", out, "--quiet"],
                       capture_output=True, text=True)
    check(r.returncode == 0, "21-model run exits 0: %s"
          % r.stderr.strip()[-300:])
    if r.returncode != 0:
        return
    s1 = read_matrix(os.path.join(out, "similarity", "d1", "cka.csv"))
    s2 = read_matrix(os.path.join(out, "similarity", "d2", "cka.csv"))
    byset = {row["model_set"]: row
             for row in read_csv(os.path.join(out, "consistency.csv"))}
    m = len(models)
    for name, members in (("all", range(m)), ("family:x|x", range(20))):
        pairs = [(i, j) for i in members for j in members if i < j]
        lo, hi = jackknife_z(s1, s2, pairs)
        row = byset[name]
        check(row["ci_lo"] != "" and
              abs(float(row["ci_lo"]) - lo) <= 1e-9 and
              abs(float(row["ci_hi"]) - hi) <= 1e-9,
              "%s (%d models): CI [%s, %s] = numpy jackknife-z [%.12f, "
              "%.12f]" % (name, len(members), row["ci_lo"], row["ci_hi"],
                          lo, hi))
        check(row["ci_method"] == "jackknife-z" and row["B"] == "" and
              row["seed"] != "" and row["n_perm"] == "99",
              "%s: ci_method %r, B %r empty (no resamples), seed %r (random "
              "permutations)" % (name, row["ci_method"], row["B"],
                                 row["seed"]))
    row = byset["family:x|y"]
    check(row["ci_lo"] == "" and
          "too few models for a CI (1 < 20 per side)" in row["note"],
          "family:x|y (side 1): no CI, note %r" % row["note"])


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: small_study.py SIMCON WORKDIR")
    main(sys.argv[1], sys.argv[2])
    print("# small_study: %d failed" % failures)
    sys.exit(1 if failures else 0)
