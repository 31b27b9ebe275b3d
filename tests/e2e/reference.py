#!/usr/bin/python3
"""Independent reference for `simcon run` on the e2e zoo (numpy + scipy).

Usage: reference.py ZOO_DIR RESULT_DIR   (exit 0 when every check passes)

Recomputes, from the .npy features and zoo.json written by make_zoo.py,
with nothing taken from simcon's C code:
- linear CKA with the paper's unbiased U-centred HSIC (docs/FORMULAS.md:
  zero the diagonal; m_j = sum_i K_ij / (n-2); m -= sum(m) / (2(n-1));
  K~_ij = K_ij - m_i - m_j; zero the diagonal; CKA = <K~,L~> /
  sqrt(<K~,K~><L~,L~>)), on rows L2-normalised in float64;
- RSA: RDM = 1 - Pearson correlation of rows (np.corrcoef), clipped to
  [-1, 1], upper triangles compared with scipy.stats.spearmanr;
- consistency r (scipy.stats.pearsonr over the model pairs of each set:
  all, within/between categories, anchor sets; sets with <= 1 pair
  skipped), behaviour r against |acc_i - acc_j| and its domain means, the
  contrasts' mean within-category consistencies and effect, the CI over
  models of every consistency and behaviour row that has one (the
  jackknife-z interval, written from docs/FORMULAS.md), the medians
  and quartiles (numpy default, type 7) of the headline table, and the
  similarity summary (mean, std with ddof=1).
Each is compared with simcon's CSV to 1e-9 relative (plus 1e-12 absolute
for values near 0). Checked as properties, not against numbers: every p in
[1/(B+1), 1], every q in [p, 1], n_perm = B, every CI has lo <= hi and lies
in [-1, 1] for correlations (a percentile interval need not contain its
estimate, so that is not asserted), seeds are distinct, and the planted
structure shows: within-ssl consistency exceeds within-supervised for every
metric. The documented NA rules (docs/STATISTICS.md, issue 12): a CI over
models exists exactly when each side of the set has >= 20 models (here:
none, the zoo has 8; tests/e2e/small_study.py checks printed intervals), a
mean over datasets has no CI below 30 datasets, and every empty r, CI or p
has a non-empty note saying why.
Versions when written: Python 3.11, numpy 1.24.2, scipy 1.10.1.
"""
import csv
import itertools
import json
import math
import os
import sys

import numpy as np
from scipy import stats

RTOL = 1e-9
ATOL = 1e-12
B = 199  # statistics.permutations and .bootstrap in zoo.yaml

failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)


def close(got, want, what):
    ok = abs(got - want) <= RTOL * abs(want) + ATOL
    check(ok, "%s: got %.17g want %.17g" % (what, got, want))


def unbiased_cka(x, y):
    def ucentre(k):
        n = k.shape[0]
        k = k.copy()
        np.fill_diagonal(k, 0.0)
        m = k.sum(axis=0) / (n - 2)
        m = m - m.sum() / (2 * (n - 1))
        k = k - m[:, None] - m[None, :]
        np.fill_diagonal(k, 0.0)
        return k
    kx = ucentre(x @ x.T)
    ky = ucentre(y @ y.T)
    return np.sum(kx * ky) / math.sqrt(np.sum(kx * kx) * np.sum(ky * ky))


def rsa_spearman(x, y):
    iu = np.triu_indices(x.shape[0], k=1)
    rx = 1.0 - np.clip(np.corrcoef(x), -1.0, 1.0)
    ry = 1.0 - np.clip(np.corrcoef(y), -1.0, 1.0)
    return stats.spearmanr(rx[iu], ry[iu]).correlation


# cknna_k5 is recomputed by nobody here (its values are the plugin's golden
# tests' business): for it the reference takes simcon's full, asymmetric
# matrix from the CSV and checks the analyses on (S + S^T) / 2, the
# runner's documented rule for asymmetric metrics.
METRICS = {"cka_linear": unbiased_cka, "rsa_spearman": rsa_spearman,
           "cknna_k5": None}
PLANTED = ("cka_linear", "rsa_spearman")


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def num(text):
    """CSV number; an empty field is a missing value."""
    return float("nan") if text == "" else float(text)


def read_matrix(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    names = rows[0][1:]
    return names, np.array([[float(v) for v in r[1:]] for r in rows[1:]])


def model_sets(meta):
    """Sets in simcon's documented order, built from zoo.json."""
    models = [m["name"] for m in meta["models"]]
    m = len(models)
    sets = [("all", [(i, j) for i in range(m) for j in range(i + 1, m)])]
    for g in meta["groupby"]:
        cats = []
        for mod in meta["models"]:
            if mod[g] not in cats:
                cats.append(mod[g])
        lab = [cats.index(mod[g]) for mod in meta["models"]]
        for c1 in range(len(cats)):
            for c2 in range(c1, len(cats)):
                pairs = [(i, j) for i in range(m) for j in range(i + 1, m)
                         if {lab[i], lab[j]} == {c1, c2}
                         and (c1 != c2 or lab[i] == lab[j] == c1)]
                sets.append(("%s:%s|%s" % (g, cats[c1], cats[c2]), pairs))
    for a in meta["anchors"]:
        ai = models.index(a)
        for g in meta["groupby"]:
            cats = []
            for mod in meta["models"]:
                if mod[g] not in cats:
                    cats.append(mod[g])
            for c in cats:
                pairs = sorted(tuple(sorted((ai, j))) for j in range(m)
                               if j != ai and meta["models"][j][g] == c)
                sets.append(("anchor:%s|%s:%s" % (a, g, c), pairs))
    return sets


MIN_CI_MODELS = 20      # docs/STATISTICS.md: CI over models needs >= 20
MIN_CI_DATASETS = 30    # ... and a mean over datasets >= 30 datasets


def set_side(meta, name):
    """Fewest models on a side of the set (all: m; within: the category;
    between: the smaller category; anchor: 1)."""
    if name == "all":
        return len(meta["models"])
    if name.startswith("anchor:"):
        return 1
    g, pair = name.split(":", 1)
    c1, c2 = pair.split("|")
    n = [sum(1 for mod in meta["models"] if mod[g] == c) for c in (c1, c2)]
    return min(n)


def jackknife_z_ci(sa, sb, pairs, level=0.95):
    """The CI over models of corr(sa, sb) over pairs (docs/FORMULAS.md,
    "jackknife-z"), written from the formula: for each model i in the
    pairs, r_(i) = pearsonr over the pairs without i; z = atanh;
    se = sqrt((n-1)/n sum (z_(i) - mean)^2);
    tanh(atanh(r) -+ t_{n-1,(1+level)/2} se) (scipy.stats.t.ppf)."""
    def r_of(ps):
        return stats.pearsonr([sa[i, j] for i, j in ps],
                              [sb[i, j] for i, j in ps])[0]
    r = r_of(pairs)
    nodes = sorted({i for p in pairs for i in p})
    z = np.array([math.atanh(r_of([p for p in pairs if k not in p]))
                  for k in nodes])
    n = len(nodes)
    se = math.sqrt((n - 1) / n * float(((z - z.mean()) ** 2).sum()))
    t = stats.t.ppf((1 + level) / 2, n - 1)
    return math.tanh(math.atanh(r) - t * se), math.tanh(math.atanh(r) + t * se)


def check_jackknife(r, sa, sb, pairs, what):
    """A CI over models is the jackknife-z interval, to 1e-9."""
    if math.isnan(num(r["ci_lo"])):
        return
    lo, hi = jackknife_z_ci(sa, sb, pairs)
    close(num(r["ci_lo"]), lo, what + " ci_lo (jackknife-z)")
    close(num(r["ci_hi"]), hi, what + " ci_hi (jackknife-z)")
    check(r["ci_method"] == "jackknife-z", what + " ci_method jackknife-z")


def check_ci_rule(r, present, what):
    lo, hi = num(r["ci_lo"]), num(r["ci_hi"])
    if present:
        check(not math.isnan(lo) and lo <= hi, what + ": CI present, lo <= hi")
    else:
        check(math.isnan(lo) and math.isnan(hi), what + ": no CI")
        check("too few" in r["note"], what + ": note says why: %r"
              % r["note"])


def main(zoo, res):
    meta = json.load(open(os.path.join(zoo, "zoo.json")))
    models = [m["name"] for m in meta["models"]]
    dsets = [d["name"] for d in meta["datasets"]]
    m = len(models)
    # ## Similarity matrices
    sims = {}
    for d in dsets:
        xs = []
        for mod in models:
            x = np.load(os.path.join(zoo, "features", d, mod + ".npy"))
            x = x.astype(np.float64)
            xs.append(x / np.linalg.norm(x, axis=1, keepdims=True))
        for k, fn in METRICS.items():
            names, got = read_matrix(
                os.path.join(res, "similarity", d, k + ".csv"))
            check(names == models, "similarity/%s/%s.csv model order" % (d, k))
            if fn is None:
                check(np.max(np.abs(got - got.T)) > 1e-6,
                      "%s/%s is asymmetric (both directions computed)"
                      % (d, k))
                sims[(k, d)] = (got + got.T) / 2
                continue
            s = np.ones((m, m))
            for i in range(m):
                for j in range(m):
                    if i != j:
                        s[i, j] = fn(xs[i], xs[j])
            sims[(k, d)] = s
            for i in range(m):
                for j in range(m):
                    close(got[i, j], s[i, j],
                          "S %s/%s [%s,%s]" % (d, k, models[i], models[j]))
    # ## Consistency
    sets = model_sets(meta)
    rows = read_csv(os.path.join(res, "consistency.csv"))
    want_rows = [(k, a, b, name) for k in METRICS
                 for ia, a in enumerate(dsets) for b in dsets[ia + 1:]
                 for name, _ in sets]
    check([(r["metric"], r["dataset_a"], r["dataset_b"], r["model_set"])
           for r in rows] == want_rows,
          "consistency.csv rows: metric x dataset pair x set, spec order")
    cons = {}
    for r in rows:
        pairs = dict(sets)[r["model_set"]]
        sa = sims[(r["metric"], r["dataset_a"])]
        sb = sims[(r["metric"], r["dataset_b"])]
        xa = [sa[i, j] for i, j in pairs]
        xb = [sb[i, j] for i, j in pairs]
        want = stats.pearsonr(xa, xb)[0]
        cons[(r["metric"], r["dataset_a"], r["dataset_b"],
              r["model_set"])] = want
        what = "consistency %s %s-%s %s" % (r["metric"], r["dataset_a"],
                                             r["dataset_b"], r["model_set"])
        check(int(r["n_pairs"]) == len(pairs), what + " n_pairs")
        close(num(r["r"]), want, what + " r")
        check_ci_rule(r, set_side(meta, r["model_set"]) >= MIN_CI_MODELS,
                      what)
        check_jackknife(r, sa, sb, pairs, what)
    check_stats(rows, "consistency.csv", stream=("metric", "model_set"))
    # ## Behaviour
    acc = {}
    for r in read_csv(os.path.join(zoo, "behaviour.csv")):
        acc[(r["dataset"], r["model"])] = float(r["accuracy"])
    brows = read_csv(os.path.join(res, "behaviour.csv"))
    iu = np.triu_indices(m, k=1)
    beh = {}
    for k in METRICS:
        for d in dsets:
            a = np.array([acc[(d, mod)] for mod in models])
            gap = np.abs(a[:, None] - a[None, :])
            beh[(k, d)] = stats.pearsonr(sims[(k, d)][iu], gap[iu])[0]
    domains = {}
    for dd in meta["datasets"]:
        domains.setdefault(dd["domain"], []).append(dd["name"])
    for r in brows:
        k, d = r["metric"], r["dataset"]
        if d.startswith("mean:"):
            dom = d[5:]
            names = dsets if dom == "all" else domains[dom]
            want = float(np.mean([beh[(k, x)] for x in names]))
        else:
            want = beh[(k, d)]
            a = np.array([acc[(d, mod)] for mod in models])
            check_jackknife(r, sims[(k, d)], np.abs(a[:, None] - a[None, :]),
                            list(zip(*iu)), "behaviour %s %s" % (k, d))
        close(num(r["r"]), want, "behaviour %s %s r" % (k, d))
        check_ci_rule(r, (m >= MIN_CI_MODELS if not d.startswith("mean:")
                          else len(names) >= MIN_CI_DATASETS),
                      "behaviour %s %s" % (k, d))
    check(len(brows) == len(METRICS) * (len(dsets) + len(domains) + 1),
          "behaviour.csv: datasets + domain means + mean:all per metric")
    check_stats(brows, "behaviour.csv")
    # ## Contrasts and the planted structure
    crows = read_csv(os.path.join(res, "contrasts.csv"))
    check(len(crows) == len(METRICS), "contrasts.csv: one row per metric")
    for r in crows:
        k = r["metric"]
        mean = {}
        for cat in ("ssl", "supervised"):
            mean[cat] = float(np.mean(
                [cons[(k, a, b, "objective:%s|%s" % (cat, cat))]
                 for ia, a in enumerate(dsets) for b in dsets[ia + 1:]]))
        check(r["category_a"] == "ssl" and r["category_b"] == "supervised",
              "contrast categories in first-appearance order")
        close(num(r["mean_a"]), mean["ssl"], "contrast %s mean ssl" % k)
        close(num(r["mean_b"]), mean["supervised"],
              "contrast %s mean supervised" % k)
        close(num(r["effect"]), mean["ssl"] - mean["supervised"],
              "contrast %s effect" % k)
        check(k not in PLANTED or mean["ssl"] > mean["supervised"] + 0.5,
              "planted: within-ssl consistency (%.3f) exceeds within-"
              "supervised (%.3f) by > 0.5 for %s"
              % (mean["ssl"], mean["supervised"], k))
        # 4 models per category: no CI for the means or the effect.
        for lo, hi in (("ci_lo", "ci_hi"), ("mean_a_lo", "mean_a_hi"),
                       ("mean_b_lo", "mean_b_hi")):
            check(math.isnan(num(r[lo])) and math.isnan(num(r[hi])),
                  "contrast %s: no %s/%s with 4 models per category"
                  % (k, lo, hi))
        check("too few models for a CI" in r["note"],
              "contrast %s note says why: %r" % (k, r["note"]))
        # The null mean of the effect: the two categories have equal size
        # and the null is symmetric in them, so it is near 0; a property
        # check (|mean| < 0.5), the exact value is a Monte-Carlo average.
        check(abs(num(r["null_mean"])) < 0.5,
              "contrast %s null mean %s near 0" % (k, r["null_mean"]))
    check_stats(crows, "contrasts.csv", corr=False)
    # ## Headline table and summaries
    for g in meta["groupby"]:
        hrows = read_csv(os.path.join(res, "tables",
                                      "consistency_by_%s.csv" % g))
        for r in hrows:
            v = np.array([cons[(r["metric"], a, b, r["model_set"])]
                          for ia, a in enumerate(dsets)
                          for b in dsets[ia + 1:]])
            what = "by_%s %s %s" % (g, r["metric"], r["model_set"])
            close(num(r["median"]), float(np.median(v)), what + " median")
            close(num(r["q1"]), float(np.quantile(v, 0.25)), what + " q1")
            close(num(r["q3"]), float(np.quantile(v, 0.75)), what + " q3")
            check_ci_rule(r, set_side(meta, r["model_set"]) >=
                          MIN_CI_MODELS, what)
        check(len(hrows) == len(METRICS) * sum(
            1 for n, _ in sets if n.startswith(g + ":")),
              "consistency_by_%s.csv: one row per metric and set" % g)
    for k in METRICS:
        if METRICS[k] is None:  # its S came from the CSV: nothing to add
            continue
        rows = read_csv(os.path.join(res, "tables",
                                     "similarity_summary_%s.csv" % k))
        check(len(rows) == m * (m - 1) // 2, "summary %s rows" % k)
        for r in rows:
            i, j = models.index(r["model_a"]), models.index(r["model_b"])
            v = np.array([sims[(k, d)][i, j] for d in dsets])
            close(num(r["mean"]), float(v.mean()), "summary %s mean" % k)
            close(num(r["std"]), float(v.std(ddof=1)), "summary %s std" % k)
        names, mat = read_matrix(os.path.join(
            res, "tables", "consistency_matrix_%s.csv" % k))
        check(names == dsets, "consistency matrix %s header" % k)
        for ia, a in enumerate(dsets):
            for ib, b in enumerate(dsets):
                want = 1.0 if a == b else cons[(k, min(a, b, key=dsets.index),
                                                max(a, b, key=dsets.index),
                                                "all")]
                close(mat[ia, ib], want, "consistency matrix %s %s,%s" %
                      (k, a, b))


def check_stats(rows, what, corr=True, stream=None):
    """stream: the columns naming a row's random stream when rows share one
    (consistency.csv: one stream per metric and model set, serving every
    dataset pair; docs/FORMULAS.md); else one stream per row."""
    seeds = set()
    by_stream = {}
    for r in rows:
        p, q = num(r["p"]), num(r["q"])
        lo, hi = num(r["ci_lo"]), num(r["ci_hi"])
        tag = "%s row %s" % (what, ",".join(list(r.values())[:4]))
        check(1.0 / (B + 1) - 1e-15 <= p <= 1.0, tag + ": p in [1/(B+1), 1]")
        check(p - 1e-15 <= q <= 1.0, tag + ": q in [p, 1]")
        if not (math.isnan(lo) and math.isnan(hi)):
            check(lo <= hi, tag + ": ci_lo <= ci_hi")
            if corr:
                check(-1.0 - 1e-12 <= lo and hi <= 1.0 + 1e-12,
                      tag + ": CI within [-1, 1]")
        # B: the resamples behind a bootstrap CI only (docs/STATISTICS.md);
        # a jackknife interval or no CI resamples nothing.
        boot = r["ci_method"] in ("percentile", "bca")
        check(r["B"] == (str(B) if boot else ""),
              tag + ": B %r for ci_method %r" % (r["B"], r["ci_method"]))
        check(r["n_perm"] == str(B), tag + ": n_perm = B (8! > B: random)")
        for col in ("ci_lo", "p", "q") + (("r",) if "r" in r else ()):
            if r[col] == "":
                check(r["note"] != "", tag + ": empty %s has a note" % col)
        seeds.add(r["seed"])
        if stream is not None:
            by_stream.setdefault(tuple(r[c] for c in stream),
                                 set()).add(r["seed"])
    if stream is None:
        check(len(seeds) == len(rows), what + ": one distinct seed per row")
    else:
        check(all(len(v) == 1 for v in by_stream.values()),
              what + ": one seed per (%s)" % ", ".join(stream))
        check(len(seeds) == len(by_stream),
              what + ": distinct seeds across (%s)" % ", ".join(stream))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: reference.py ZOO_DIR RESULT_DIR")
    main(sys.argv[1], sys.argv[2])
    for f in failures[:30]:
        print("FAIL:", f)
    print("reference.py: %d checks, %d failed" % (checks, len(failures)))
    sys.exit(1 if failures else 0)
