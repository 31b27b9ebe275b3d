#!/usr/bin/python3
"""The figures show what the CSVs say (issue 8 acceptance), checked
independently of simcon's C code with the Python standard library, numpy
and scipy (versions printed at the start).

usage: check_figures.py SIMCON FIXTURE_DIR WORK_DIR

1. `simcon plot` on two copies of the fixture gives byte-identical
   figures/ and report.html (same input, same bytes).
2. Every SVG is well-formed XML (so names with & < > ' were escaped), has a
   <title>, and no <text> is smaller than 10 px.
3. Similarity heatmap: the cell (row r, column c) has data-value equal to
   the CSV's number (exact float equality: %.17g round-trips), for every
   cell of one figure; the tooltip names both models.
4. Consistency heatmap ("all"): each off-diagonal cell equals
   consistency.csv's r, printed in the cell; datasets are grouped by domain
   (datasets.csv order of first appearance). The grid has one panel per
   model subset with the same values; the similarity grid one panel per
   dataset equal to its CSV.
5. Box plot: each box's data-median/-q1/-q3 equals numpy.quantile (linear,
   numpy's default = type 7) of the r values of its model set; every r is
   a point (data-r) jittered within its box.
6. --order cluster: the heatmap's model order equals scipy's
   leaves_list(linkage(1 - mean similarity, "average")).
7. Behaviour scatter: the title carries r and p from behaviour.csv; the
   trend line equals numpy.polyfit; one colour per category pair.
8. report.html: headline (contrasts in words, box plots, consistency
   grid) before the <details> sections; every figure linked; the data
   block holds the CSVs' values (4 significant digits); p and q read as
   in the Markdown tables ("<0.001" or three decimals).
9. summary.svg: 180 mm wide, panels a (consistency of all model pairs),
   b (within-category boxes, a bracket with q per contrast), c (mean
   similarity vs mean accuracy gap per model pair) against the CSVs.
10. report.html's consistency summary table: per (metric, model set) the
   number of dataset pairs, the median r and IQR (numpy.quantile, linear,
   printed with 3 decimals) and the count of pairs with q < 0.05, all
   recomputed from consistency.csv.
Prints one line per check; exits 1 on the first failure.
"""
import csv
import json
import filecmp
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import scipy
from scipy.cluster.hierarchy import leaves_list, linkage
from scipy.spatial.distance import squareform

SVG = "{http://www.w3.org/2000/svg}"
checks = 0


def ok(cond, what):
    global checks
    checks += 1
    if not cond:
        print("not ok %d - %s" % (checks, what))
        sys.exit(1)
    print("ok %d - %s" % (checks, what))


def plot(simcon, fixture, dst, *opts):
    shutil.rmtree(dst, ignore_errors=True)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copytree(fixture, dst)
    res = subprocess.run([simcon, "plot", dst] + list(opts),
                         capture_output=True, text=True)
    ok(res.returncode == 0, "simcon plot %s %s: exit 0 (stderr: %s)"
       % (dst, " ".join(opts), res.stderr.strip()))


def read_sim(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    names = rows[0][1:]
    mat = np.array([[float(v) for v in r[1:]] for r in rows[1:]])
    return names, mat


def read_tidy(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def cells(root):
    """(row, col) -> rect for heatmap cells (rects with data-row)."""
    out = {}
    for r in root.iter(SVG + "rect"):
        if "data-row" in r.attrib:
            out[r.attrib["data-row"], r.attrib["data-col"]] = r
    return out


def row_order(root):
    """Model order of a heatmap: data-row of the first column's cells."""
    seen = []
    for r in root.iter(SVG + "rect"):
        if "data-row" in r.attrib and r.attrib["data-row"] not in seen:
            seen.append(r.attrib["data-row"])
    return seen


def main():
    simcon, fixture, work = sys.argv[1:4]
    print("# numpy %s, scipy %s" % (np.__version__, scipy.__version__))
    # Same folder name under two parents: the same input.
    a, b, c = (os.path.join(work, x, "fixture") for x in ("a", "b", "c"))
    plot(simcon, fixture, a)
    plot(simcon, fixture, b)
    figs = sorted(os.listdir(os.path.join(a, "figures")))
    same = filecmp.cmpfiles(os.path.join(a, "figures"),
                            os.path.join(b, "figures"), figs, shallow=False)
    ok(len(same[0]) == len(figs) and len(figs) > 20,
       "%d figure files byte-identical across two runs" % len(figs))
    ok(filecmp.cmp(os.path.join(a, "report.html"),
                   os.path.join(b, "report.html"), shallow=False),
       "report.html byte-identical across two runs")

    # 2. Well-formed, titled, readable.
    small = []
    for name in figs:
        if not name.endswith(".svg"):
            continue
        root = ET.parse(os.path.join(a, "figures", name)).getroot()
        if root.find(SVG + "title") is None:
            small.append(name + ": no <title>")
        for t in root.iter(SVG + "text"):
            if float(t.attrib.get("font-size", "12")) < 10:
                small.append("%s: %s" % (name, t.text))
    ok(not small, "all SVGs parse as XML, have a title, text >= 10 px %s"
       % small[:3])

    # 3. Similarity heatmap against its CSV, every cell.
    names, mat = read_sim(os.path.join(a, "similarity", "pcam", "rsa.csv"))
    root = ET.parse(os.path.join(a, "figures",
                                 "similarity_rsa__pcam.svg")).getroot()
    cl = cells(root)
    bad = [(r, c) for i, r in enumerate(names) for j, c in enumerate(names)
           if float(cl[r, c].attrib["data-value"]) != mat[i, j]]
    ok(len(cl) == len(names) ** 2 and not bad,
       "similarity_rsa__pcam.svg: all %d data-values equal rsa.csv"
       % len(cl))
    probe = cl["clip_vit-b/16&laion<2b>", "resnet50"]
    i, j = names.index("clip_vit-b/16&laion<2b>"), names.index("resnet50")
    ok(float(probe.attrib["data-value"]) == mat[i, j] and
       probe.find(SVG + "title").text.startswith(
           "clip_vit-b/16&laion<2b> \u00d7 resnet50: rsa = %.4f" % mat[i, j]),
       "cell (clip_vit-b/16&laion<2b>, resnet50) = %.17g with tooltip"
       % mat[i, j])

    # 4. Consistency heatmap ("all", values in cells) and the grid of
    # every model subset against consistency.csv.
    cons = read_tidy(os.path.join(a, "consistency.csv"))
    doms = read_tidy(os.path.join(a, "datasets.csv"))
    order = []
    for d in dict.fromkeys(x["domain"] for x in doms):
        order += [x["dataset"] for x in doms if x["domain"] == d]
    root = ET.parse(os.path.join(a, "figures",
                                 "consistency_cka_linear__all.svg")).getroot()
    cl = cells(root)
    rows = [r for r in cons if r["metric"] == "cka_linear" and
            r["model_set"] == "all"]
    bad = [r for r in rows
           if float(cl[r["dataset_a"], r["dataset_b"]]
                    .attrib["data-value"]) != float(r["r"]) or
           float(cl[r["dataset_b"], r["dataset_a"]]
                 .attrib["data-value"]) != float(r["r"])]
    ok(len(rows) == 10 and not bad,
       "consistency_cka_linear__all.svg: 10 dataset pairs equal r")
    ok(row_order(root) == order, "datasets grouped by domain: %s" % order)
    texts = sorted(t.text for t in root.iter(SVG + "text")
                   if t.attrib.get("pointer-events") == "none")
    want = sorted(("%.2f" % float(r["r"])).replace("-0.00", "0.00")
                  for r in rows for _ in (0, 1))
    ok(texts == want, "values printed in the cells: %s" % texts[:4])
    root = ET.parse(os.path.join(a, "figures",
                                 "consistency_grid_cka_linear.svg")).getroot()
    panels = {g.attrib["data-panel"]: g for g in root.iter(SVG + "g")
              if g.attrib.get("class") == "panel"}
    sets_k = list(dict.fromkeys(r["model_set"] for r in cons
                                if r["metric"] == "cka_linear"))
    ok(list(panels) == sets_k,
       "consistency grid: one panel per model subset, file order (%d)"
       % len(sets_k))
    n = len(order)
    bad = []
    for st, g in panels.items():
        rect = list(g.iter(SVG + "rect"))
        for r in cons:
            if r["metric"] != "cka_linear" or r["model_set"] != st:
                continue
            ia, ib = order.index(r["dataset_a"]), order.index(r["dataset_b"])
            for x in (rect[ia * n + ib], rect[ib * n + ia]):
                if float(x.attrib["data-value"]) != float(r["r"]):
                    bad.append((st, r["dataset_a"], r["dataset_b"]))
    ok(len(rect) == n * n and not bad,
       "consistency grid: every panel's cells equal consistency.csv %s"
       % bad[:3])
    root = ET.parse(os.path.join(a, "figures",
                                 "similarity_grid_rsa.svg")).getroot()
    panels = [g for g in root.iter(SVG + "g")
              if g.attrib.get("class") == "panel"]
    bad = []
    for g in panels:
        names, mat = read_sim(os.path.join(a, "similarity",
                                           g.attrib["data-panel"], "rsa.csv"))
        got = np.array([float(x.attrib["data-v"])
                        for x in g.iter(SVG + "rect")])
        if not np.allclose(got, mat.reshape(-1), rtol=1e-5, atol=1e-12):
            bad.append(g.attrib["data-panel"])
    ok([g.attrib["data-panel"] for g in panels] ==
       [x["dataset"] for x in doms] and not bad,
       "similarity grid: one panel per dataset equal to its rsa.csv %s" % bad)
    allv = np.concatenate([read_sim(os.path.join(
        a, "similarity", x["dataset"], "rsa.csv"))[1].ravel() for x in doms])
    ticks = []
    for t in root.iter(SVG + "text"):
        try:
            ticks.append(float(t.text))
        except ValueError:
            pass
    ok(len(ticks) >= 4 and min(ticks) <= allv.min() and
       max(ticks) >= allv.max(),
       "similarity grid colour bar: labelled ends %.2f and %.2f hold the "
       "data [%.3f, %.3f]" % (min(ticks), max(ticks), allv.min(), allv.max()))

    # 5. Box plot quartiles against numpy.
    root = ET.parse(os.path.join(a, "figures",
                                 "boxes_rsa__objective.svg")).getroot()
    boxes = [r for r in root.iter(SVG + "rect") if "data-median" in r.attrib]
    bad = []
    meds = []
    for bx in boxes:
        v = [float(r["r"]) for r in cons if r["metric"] == "rsa" and
             r["model_set"] == bx.attrib["data-set"]]
        want = np.quantile(v, [0.25, 0.5, 0.75])
        got = [float(bx.attrib[k]) for k in ("data-q1", "data-median",
                                             "data-q3")]
        meds.append(got[1])
        if not np.allclose(got, want, rtol=1e-12, atol=0):
            bad.append((bx.attrib["data-set"], got, list(want)))
    ok(len(boxes) == 6 and not bad,
       "boxes_rsa__objective.svg: 6 boxes' quartiles equal numpy %s" % bad)
    ok(meds == sorted(meds, reverse=True), "boxes sorted by median")
    groups = [g for g in root.iter(SVG + "g")
              if g.attrib.get("class") == "points"]
    bad = []
    for g in groups:
        v = sorted(float(r["r"]) for r in cons if r["metric"] == "rsa" and
                   r["model_set"] == g.attrib["data-set"])
        got = sorted(float(c.attrib["data-r"]) for c in g)
        box = [b for b in boxes if b.attrib["data-set"] ==
               g.attrib["data-set"]][0]
        y0 = float(box.attrib["y"])
        y1 = y0 + float(box.attrib["height"])
        if got != v or not all(y0 <= float(c.attrib["cy"]) <= y1
                               for c in g):
            bad.append(g.attrib["data-set"])
    ok(len(groups) == 6 and not bad,
       "every dataset pair is a point on its box, jittered inside it %s"
       % bad)
    text = " ".join(t.text or "" for t in root.iter(SVG + "text"))
    contr = [r for r in read_tidy(os.path.join(a, "contrasts.csv"))
             if r["metric"] == "rsa"]
    ok(all("%s vs %s" % (r["category_a"], r["category_b"]) in text and
           "%.2f [%.2f, %.2f]" % (float(r["effect"]), float(r["ci_lo"]),
                                  float(r["ci_hi"])) in text
           for r in contr) and len(contr) == 3,
       "box plot annotates the 3 contrasts with effect and CI")

    # 6. Cluster order against scipy.
    plot(simcon, fixture, c, "--order", "cluster")
    mats = [read_sim(os.path.join(c, "similarity", d["dataset"],
                                  "cka_linear.csv")) for d in doms]
    names = mats[0][0]
    mean = np.mean([(m + m.T) / 2 for _, m in mats], axis=0)
    dist = 1.0 - mean
    np.fill_diagonal(dist, 0.0)
    want = [names[k] for k in leaves_list(
        linkage(squareform(dist, checks=False), method="average"))]
    root = ET.parse(os.path.join(c, "figures",
                                 "similarity_cka_linear__dtd.svg")).getroot()
    ok(row_order(root) == want, "cluster order equals scipy leaves_list: %s"
       % want)

    # 7. Behaviour scatter title.
    beh = [r for r in read_tidy(os.path.join(a, "behaviour.csv"))
           if r["metric"] == "cka_linear" and r["dataset"] == "flowers"][0]
    root = ET.parse(os.path.join(
        a, "figures", "behaviour_cka_linear__flowers.svg")).getroot()
    title = root.find(SVG + "title").text
    ok("r = %.2f [%.2f, %.2f]" % (float(beh["r"]), float(beh["ci_lo"]),
                                  float(beh["ci_hi"])) in title and
       "p = %.2g" % float(beh["p"]) in title,
       "behaviour title carries r, CI, p: %s" % title)
    pts = [p for p in root.iter(SVG + "circle") if "data-x" in p.attrib]
    ok(len(pts) == 36, "scatter has one point per model pair (36)")
    xs = np.array([float(p.attrib["data-x"]) for p in pts])
    ys = np.array([float(p.attrib["data-y"]) for p in pts])
    slope, icpt = np.polyfit(xs, ys, 1)
    tr = [p for p in root.iter(SVG + "path")
          if p.attrib.get("class") == "trend"][0]
    ok(abs(float(tr.attrib["data-slope"]) - slope) < 1e-9 and
       abs(float(tr.attrib["data-intercept"]) - icpt) < 1e-9 and
       any(p.attrib.get("class") == "ci" for p in root.iter(SVG + "path")),
       "trend line equals numpy.polyfit (slope %.4f), with a CI band"
       % slope)
    mods = {r["model"]: r["objective"]
            for r in read_tidy(os.path.join(a, "models.csv"))}
    fills = {}
    for p in pts:
        a_, b_ = p.find(SVG + "title").text.split(":")[0].split(" \u00d7 ")
        key = mods[a_] if mods[a_] == mods[b_] else "between"
        fills.setdefault(key, set()).add(p.attrib["fill"])
    ok(all(len(v) == 1 for v in fills.values()) and
       len({next(iter(v)) for v in fills.values()}) == len(fills),
       "points coloured by category pair: %s" % sorted(fills))
    ok(not os.path.exists(os.path.join(
        a, "figures", "behaviour_cka_linear__clevr_count.svg")),
       "no scatter for a dataset without gap.csv")

    # 9. The paper figure: 180 mm wide, panels a, b, c against the CSVs.
    root = ET.parse(os.path.join(a, "figures", "summary.svg")).getroot()
    ok(abs(float(root.attrib["width"]) - 180 / 25.4 * 96) < 1,
       "summary.svg is 180 mm wide (680 px at 96 px/in)")
    letters = [t.text for t in root.iter(SVG + "text")
               if t.attrib.get("font-weight") == "bold"]
    ok(letters[:3] == ["a", "c", "b"] or sorted(letters[:3]) == ["a", "b",
                                                                "c"],
       "panel letters a, b, c")
    vals = sorted(float(r.attrib["data-value"]) for r in root.iter(SVG + "rect")
                  if "data-value" in r.attrib)
    want = sorted(float(r["r"]) for r in cons if r["metric"] == "cka_linear"
                  and r["model_set"] == "all" for _ in (0, 1))
    ok(vals == want, "panel a: the 'all' consistency matrix of cka_linear")
    boxes = [r for r in root.iter(SVG + "rect") if "data-median" in r.attrib]
    bad = [b.attrib["data-set"] for b in boxes
           if float(b.attrib["data-median"]) != np.quantile(
               [float(r["r"]) for r in cons if r["metric"] == "cka_linear"
                and r["model_set"] == b.attrib["data-set"]], 0.5)]
    ok(len(boxes) == 3 and not bad and all(
        b.attrib["data-set"].split(":")[1].split("|")[0] ==
        b.attrib["data-set"].split("|")[1] for b in boxes),
       "panel b: 3 within-category boxes, medians equal numpy %s" % bad)
    qs = sorted(float(p_.attrib["data-q"]) for p_ in root.iter(SVG + "path")
                if p_.attrib.get("class") == "bracket")
    want = sorted(float(r["q"]) for r in read_tidy(
        os.path.join(a, "contrasts.csv")) if r["metric"] == "cka_linear"
        and r["attribute"] == "objective")
    ok(qs == want and len(qs) == 3,
       "panel b: one bracket per contrast with its q %s" % qs)
    pts = [p_ for p_ in root.iter(SVG + "circle") if "data-x" in p_.attrib]
    xs = np.array([float(p_.attrib["data-x"]) for p_ in pts])
    ys = np.array([float(p_.attrib["data-y"]) for p_ in pts])
    gaps, sims = [], []
    for d in ("dtd", "flowers", "imagenet-subset-10k", "pcam"):
        names, g = read_sim(os.path.join(a, "behaviour", d, "gap.csv"))
        _, sm = read_sim(os.path.join(a, "similarity", d, "cka_linear.csv"))
        iu = np.triu_indices(len(names), 1)
        gaps.append(g[iu])
        sims.append(((sm + sm.T) / 2)[iu])
    ok(len(pts) == 36 and np.allclose(xs, np.mean(gaps, axis=0),
                                      rtol=1e-12) and
       np.allclose(ys, np.mean(sims, axis=0), rtol=1e-12),
       "panel c: 36 model pairs at mean gap and mean similarity over the 4 "
       "datasets with gap.csv")

    # 8. The report leads with the answer and holds every value once.
    with open(os.path.join(a, "figures", "index.tsv")) as f:
        index = [line.split("\t") for line in f.read().splitlines()]
    ok(all(len(x) == 4 for x in index), "index.tsv: kind, file, label, "
       "caption on every line")
    with open(os.path.join(a, "report.html")) as f:
        html = f.read()
    ok(len(index) == len(figs) - 1 and
       all('href="figures/%s"' % x[1] for x in index),
       "report.html links all %d figures" % len(index))
    nbox = sum(x[0] == "boxes" for x in index)
    ok(html.count("<svg ") == nbox and nbox > 0,
       "report.html inlines the %d box plots, draws the rest from data"
       % nbox)
    ok("http://" not in html.replace("http://www.w3.org/2000/svg", "") and
       "https://" not in html and " src=" not in html,
       "report.html has no network reference and no external script")
    head = html.index('id="headline"')
    ok(head < html.index("<details") and
       head < html.index('id="contrasts"') < html.index('id="boxes"') <
       html.index('id="grid"') < html.index("<details"),
       "headline (contrasts, box plots, consistency grid) before details")
    ok("<details" not in html[html.index("<details") + 1:].split(
        "</details>")[0], "no <details> nested in another")
    contr_all = read_tidy(os.path.join(a, "contrasts.csv"))
    words = re.findall(r"<td>((?:not )?significant after [^<]*)</td>", html)
    want = ["significant" if float(r["q"]) < 0.05 else "not significant"
            for r in contr_all]
    ok([w.split(" after")[0] for w in words] == want,
       "every contrast in words, significant iff q < 0.05: %s" % want)
    # p and q read as in tables/*.md: "<0.001" or three decimals (the
    # tables' rule, written out here; figures keep two significant digits).
    def table_p(x):
        return ("NA" if x in ("", "NA") else
                "<0.001" if float(x) < 0.001 else "%.3f" % float(x))
    ctab = html[html.index('<table id="contrasts">'):]
    ctab = ctab[:ctab.index("</table>")]
    pq = re.findall(r'<td class="n">[^<]*</td><td class="n">([^<]*)</td>'
                    r'<td class="n">([^<]*)</td><td>', ctab)
    want = [(table_p(r["p"]), table_p(r["q"])) for r in contr_all]
    ok(pq == [(x.replace("<", "&lt;"), y.replace("<", "&lt;"))
              for x, y in want] and len(pq) > 0,
       "report.html contrasts: p and q as the Markdown tables print them "
       "(%d rows)" % len(pq))
    blk = re.search(r'<script type="application/json" id="simcon-data">'
                    r'(.*?)</script>', html, re.S).group(1)
    data = json.loads(blk)
    names, mat = read_sim(os.path.join(a, "similarity", "pcam", "rsa.csv"))
    k = data["metrics"].index("rsa")
    d = data["datasets"].index("pcam")
    got = np.array(data["sim"][k][d]).reshape(len(names), len(names))
    ok(data["models"] == names and
       np.allclose(got, mat, rtol=5e-4, atol=1e-12),
       "data block: rsa on pcam equals rsa.csv to 4 significant digits")
    k = data["metrics"].index("cka_linear")
    cset = data["cons"][k]["sets"]
    allv = np.array(data["cons"][k]["v"][cset.index("all")],
                    dtype=float).reshape(len(order), len(order))
    rows = [r for r in cons if r["metric"] == "cka_linear" and
            r["model_set"] == "all"]
    bad = [r for r in rows
           if abs(allv[data["dsnames"].index(r["dataset_a"]),
                       data["dsnames"].index(r["dataset_b"])] -
                  float(r["r"])) > 5e-4 * abs(float(r["r"]))]
    ok(data["dsnames"] == order and len(rows) == 10 and not bad and
       np.isnan(np.diag(allv)).all(),
       "data block: consistency 'all' equals consistency.csv, domain order")
    sets_csv = list(dict.fromkeys(r["model_set"] for r in cons
                                  if r["metric"] == "cka_linear"))
    ok(cset == sets_csv and html.count('data-kind="cons" data-k="%d"' % k)
       == len(sets_csv), "consistency grid: one panel per model subset (%d)"
       % len(sets_csv))

    # 10. The summary table: medians, IQRs and significant counts.
    summ = html[html.index("<th>median r</th>"):]
    summ = summ[:summ.index("</table>")]
    got = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td>"
                     r'<td class="n">(\d+)</td><td class="n">([^<]*)</td>'
                     r'<td class="n">([^<]*)</td><td class="n">([^<]*)</td>'
                     r"</tr>", summ)
    want = []
    for key in dict.fromkeys((r["metric"], r["model_set"]) for r in cons):
        rs = [r for r in cons if (r["metric"], r["model_set"]) == key]
        v = np.array([float(r["r"]) for r in rs if r["r"] not in ("", "NA")])
        qs = [float(r["q"]) for r in rs if r["q"] not in ("", "NA")]
        if not len(v):
            continue
        q1, med, q3 = np.quantile(v, [0.25, 0.5, 0.75])
        sig = ("%d of %d" % (sum(q < 0.05 for q in qs), len(qs))
               if qs else "n/a")
        want.append((key[0], key[1].replace("&", "&amp;"), str(len(v)),
                     "%.3f" % med, "[%.3f, %.3f]" % (q1, q3), sig))
    mixed = [w for w in want if w[5] != "n/a" and
             w[5].split(" of ")[0] not in ("0", w[5].split(" of ")[1])]
    ok(len(got) == len(want) > 0 and got == want and mixed,
       "summary table: %d rows of median r, IQR and q < 0.05 counts equal "
       "numpy on consistency.csv (%d with a mixed count)"
       % (len(want), len(mixed)))
    print("# %d checks passed" % checks)


if __name__ == "__main__":
    main()
