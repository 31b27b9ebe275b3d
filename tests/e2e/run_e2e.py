#!/usr/bin/python3
"""End-to-end tests of `simcon run` (CTest label e2e).

Usage: run_e2e.py MODE SIMCON WORKDIR
MODE:
  outputs      generate the zoo (make_zoo.py), run, check every expected
               file is present, then reference.py (independent numpy/scipy
               recomputation; see there for what and to which tolerance).
  determinism  two runs with --threads 2 give byte-identical CSV/MD/TeX/SVG
               files (manifest.json and report.html, which shows it, are
               excluded: they hold wall times); a
               run with --threads 1 agrees with them to 1e-12 relative in
               every number, and its p, q, ci_lo, ci_hi and seed columns are
               identical text.
  atomicity    a run whose third dataset holds a NaN fails with exit 1 and
               one error line naming the file; it leaves no result folder
               and no staging folder, and when pointed at an earlier result
               it leaves every byte of that result unchanged. A folder that
               is not a simcon result is refused (exit 1) and kept intact.
  resume       the first run's manifest digests are the files' own (hashed at
               load); a second run with --resume says "reused cached similarity"
               for every (dataset, metric), keeps each cache file's inode and
               mtime (linked, not rewritten) and writes byte-identical
               tables; a run without --resume recomputes (no such line); the
               staging folder of a killed run is harvested, then removed;
               editing one input recomputes only its dataset.
  stimuli      statistics.over: stimuli with BCa and BH (small B): exits 0;
               consistency and per-dataset behaviour rows print no CI
               (ci_method none, note: the stimulus bootstrap is not
               validated), contrasts and behaviour means none (below the CI
               thresholds); --threads 1 and 2 give identical CSV text.
  stimuli_bounded  over: stimuli on a zoo of 200 stimuli at the default
               budget and --memory 1M: every output file byte-identical.
               With SC_STIMULUS_CI_VALIDATED 0 (read from
               core/stats/stat_limits.h) no stimulus replicate is computed:
               manifest.json stimulus_bootstrap {"replicates": 0}, check
               --estimate's assemble memory has no replicate or state term,
               and --plan splits consistency and behaviour into chunk tasks.
               With it at 1, the states (RSA: about 320 KB each) do not all
               fit --memory 1M and are prepared again pass by pass (more
               passes and prepares than one per model, dataset and metric).
Each check prints "ok - ..." or "FAIL - ..."; exit 1 if any failed.
"""
import csv
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PY = sys.executable
failed = 0


def check(cond, what):
    global failed
    print(("ok - " if cond else "FAIL - ") + what)
    if not cond:
        failed += 1


def make_zoo(work, *n):
    zoo = os.path.join(work, "zoo")
    shutil.rmtree(zoo, ignore_errors=True)
    subprocess.run([PY, os.path.join(HERE, "make_zoo.py"), zoo] +
                   [str(x) for x in n], check=True)
    shutil.copy(os.path.join(HERE, "zoo.yaml"), zoo)
    return zoo


def run(simcon, spec, out, *extra):
    return subprocess.run([simcon, "run", spec, "-o", out] + list(extra),
                          capture_output=True, text=True)


def tree(root, skip_manifest=True):
    """relative path -> sha256 of every file (not .cache); skip_manifest
    also leaves out report.html, which shows the manifest's wall times."""
    out = {}
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".cache"]
        for f in files:
            p = os.path.join(dirpath, f)
            rel = os.path.relpath(p, root)
            if skip_manifest and rel in ("manifest.json", "report.html"):
                continue
            out[rel] = hashlib.sha256(open(p, "rb").read()).hexdigest()
    return out


EXPECTED = [
    "manifest.json", "consistency.csv", "behaviour.csv", "contrasts.csv",
    "models.csv", "datasets.csv",
    "tables/consistency_by_objective.csv",
    "tables/consistency_by_objective.md",
    "tables/consistency_by_objective.tex",
    "tables/consistency_by_architecture.md",
] + ["similarity/%s/%s.csv" % (d, k) for d in ("nat_a", "nat_b", "spec_c")
     for k in ("cka_linear", "rsa_spearman")] + [
    "tables/%s_%s.%s" % (t, k, e)
    for t in ("similarity_summary", "consistency_matrix")
    for k in ("cka_linear", "rsa_spearman") for e in ("csv", "md", "tex")] + [
    "behaviour/%s/gap.csv" % d for d in ("nat_a", "nat_b", "spec_c")] + [
    "report.html", "figures/index.tsv"]


def mode_outputs(simcon, work):
    zoo = make_zoo(work)
    out = os.path.join(work, "out")
    shutil.rmtree(out, ignore_errors=True)
    r = run(simcon, os.path.join(zoo, "zoo.yaml"), out, "--threads", "2",
            "--quiet")
    check(r.returncode == 0, "simcon run exits 0 (stderr: %s)" %
          r.stderr.strip()[-300:])
    check(r.stderr == "", "--quiet prints nothing on success")
    for rel in EXPECTED:
        check(os.path.isfile(os.path.join(out, rel)), "output %s present" %
              rel)
    man = open(os.path.join(out, "manifest.json")).read()
    for key in ('"spec_sha256"', '"gsl_version"', '"openblas_config"',
                '"wall_seconds"', '"threads": 2', '"seed": 20241105',
                '"sha256"', '"version": "1.0.0"'):
        check(key in man, "manifest.json has %s" % key)
    tex = open(os.path.join(out, "tables/consistency_by_objective.tex")).read()
    check("\\toprule" in tex and "cka\\_linear" in tex,
          "TeX table is booktabs with escaped '_'")
    md = open(os.path.join(out, "tables/consistency_by_objective.md")).read()
    check("ssl\\|ssl" in md, "Markdown escapes '|' inside a category pair")
    ref = subprocess.run([PY, os.path.join(HERE, "reference.py"), zoo, out],
                         capture_output=True, text=True)
    print(ref.stdout.strip())
    check(ref.returncode == 0, "independent numpy/scipy reference agrees")


def numbers(path):
    with open(path) as f:
        return list(csv.reader(f))


def mode_determinism(simcon, work):
    zoo = make_zoo(work)
    spec = os.path.join(zoo, "zoo.yaml")
    outs = {}
    for tag, threads in (("a", "2"), ("b", "2"), ("c", "1")):
        outs[tag] = os.path.join(work, "out_" + tag)
        shutil.rmtree(outs[tag], ignore_errors=True)
        r = run(simcon, spec, outs[tag], "--threads", threads, "--quiet")
        check(r.returncode == 0, "run %s (--threads %s) exits 0: %s" %
              (tag, threads, r.stderr.strip()[-200:]))
    ta, tb, tc = tree(outs["a"]), tree(outs["b"]), tree(outs["c"])
    check(len(ta) > 20, "first run wrote %d files" % len(ta))
    check(ta == tb, "two runs with --threads 2: byte-identical files")
    check(sorted(ta) == sorted(tc), "--threads 1 writes the same files")
    worst = 0.0
    text_cols_equal = True
    for rel in sorted(ta):
        if not rel.endswith(".csv"):
            continue
        ra, rc = numbers(os.path.join(outs["a"], rel)), numbers(
            os.path.join(outs["c"], rel))
        if len(ra) != len(rc):
            text_cols_equal = False
            continue
        header = ra[0]
        for la, lc in zip(ra[1:], rc[1:]):
            for h, va, vc in zip(header, la, lc):
                if h in ("p", "q", "ci_lo", "ci_hi", "seed") and va != vc:
                    text_cols_equal = False
                try:
                    fa, fc = float(va), float(vc)
                except ValueError:
                    if va != vc:
                        text_cols_equal = False
                    continue
                if np.isnan(fa) and np.isnan(fc):
                    continue
                rel_err = abs(fa - fc) / max(abs(fa), 1e-300)
                worst = max(worst, rel_err if fa != 0 else abs(fc))
    check(worst <= 1e-12, "--threads 1 vs 2: every number within 1e-12 "
          "relative (worst %.3g)" % worst)
    check(text_cols_equal, "--threads 1 vs 2: identical p, q, CI and seed "
          "columns and identical labels")


def mode_atomicity(simcon, work):
    zoo = make_zoo(work)
    spec = os.path.join(zoo, "zoo.yaml")
    out = os.path.join(work, "out")
    shutil.rmtree(out, ignore_errors=True)
    r = run(simcon, spec, out, "--quiet")
    check(r.returncode == 0, "good run exits 0")
    before = tree(out, skip_manifest=False)
    # A NaN in the last dataset: stages write the first datasets' matrices
    # before the failure is met.
    bad = os.path.join(zoo, "features", "spec_c", "sup_vit_b.npy")
    x = np.load(bad)
    x[7, 3] = np.nan
    np.save(bad, x)
    r = run(simcon, spec, out)
    check(r.returncode == 1, "run with a NaN exits 1 (got %d)" % r.returncode)
    lines = [ln for ln in r.stderr.splitlines()
             if not ln.startswith("simcon run: similarity ")]
    check(len(lines) == 1 and "sup_vit_b.npy" in lines[0]
          and "non-finite" in lines[0],
          "one error line naming the file: %r" % lines)
    check(tree(out, skip_manifest=False) == before,
          "the previous result is unchanged, byte for byte")
    left = glob.glob(out + ".tmp-*") + glob.glob(out + ".old-*")
    check(left == [], "no staging folder left behind: %s" % left)
    fresh = os.path.join(work, "fresh")
    shutil.rmtree(fresh, ignore_errors=True)
    r = run(simcon, spec, fresh, "--quiet")
    check(r.returncode == 1 and not os.path.exists(fresh),
          "a failing run into a new folder creates nothing")
    # A folder that is not a simcon result is never replaced.
    other = os.path.join(work, "other")
    shutil.rmtree(other, ignore_errors=True)
    os.makedirs(other)
    with open(os.path.join(other, "notes.txt"), "w") as f:
        f.write("keep me\n")
    np.save(bad, np.load(os.path.join(zoo, "features", "spec_c",
                                      "sup_vit_a.npy")))
    r = run(simcon, spec, other, "--quiet")
    check(r.returncode == 1 and "is not a simcon result folder" in r.stderr,
          "refuses to replace a foreign folder: %s" % r.stderr.strip())
    check(open(os.path.join(other, "notes.txt")).read() == "keep me\n",
          "the foreign folder's file is intact")


def mode_resume(simcon, work):
    zoo = make_zoo(work)
    spec = os.path.join(zoo, "zoo.yaml")
    out = os.path.join(work, "out")
    shutil.rmtree(out, ignore_errors=True)
    r = run(simcon, spec, out)
    check(r.returncode == 0, "first run exits 0")
    check("reused cached" not in r.stderr, "first run computes everything")
    # A run without --resume hashes each feature file at its load
    # (run_simmat.c, "Checksums"): the manifest's digests are still the
    # files' own (hashlib, independently), and --resume below finds the
    # cache entries keyed by them.
    inputs = json.load(open(os.path.join(out, "manifest.json")))["inputs"]
    npys = [e for e in inputs if e["path"].endswith(".npy")]
    check(len(npys) > 0 and all(
        e["sha256"] == hashlib.sha256(open(e["path"], "rb").read()).hexdigest()
        for e in npys), "manifest digests of %d feature files" % len(npys))
    caches = sorted(glob.glob(os.path.join(out, ".cache", "*.csv")))
    check(len(caches) == 9, "9 cache entries (3 datasets x 3 metrics)")
    stat0 = {os.path.basename(c): (os.stat(c).st_ino, os.stat(c).st_mtime_ns)
             for c in caches}
    t0 = tree(out)
    r = run(simcon, spec, out, "--resume")
    check(r.returncode == 0, "--resume run exits 0")
    check(r.stderr.count("reused cached similarity") == 9,
          "--resume reuses all 9 matrices")
    caches1 = sorted(glob.glob(os.path.join(out, ".cache", "*.csv")))
    stat1 = {os.path.basename(c): (os.stat(c).st_ino, os.stat(c).st_mtime_ns)
             for c in caches1}
    check(stat1 == stat0, "cache files keep inode and mtime (not rewritten)")
    check(tree(out) == t0, "--resume writes byte-identical outputs")
    r = run(simcon, spec, out)
    check(r.returncode == 0 and "reused cached" not in r.stderr,
          "without --resume everything is recomputed")
    # A killed run leaves "<DIR>.tmp-<pid>/<name>"; --resume harvests its
    # cache and the successful run removes it. pid 4194305 is above Linux's
    # default pid_max (2^22), so no live process has it.
    out2 = os.path.join(work, "out2")
    shutil.rmtree(out2, ignore_errors=True)
    killed = out2 + ".tmp-4194305"
    shutil.rmtree(killed, ignore_errors=True)
    os.makedirs(killed)
    shutil.copytree(out, os.path.join(killed, "out2"))
    r = run(simcon, spec, out2, "--resume")
    check(r.returncode == 0 and r.stderr.count("reused cached") == 9,
          "--resume harvests the cache of a killed run's staging folder")
    check(not os.path.exists(killed), "the killed run's folder is removed")
    # A changed input changes the key: that dataset is recomputed.
    f = os.path.join(zoo, "features", "nat_b", "ssl_cnn_a.npy")
    x = np.load(f)
    x[0, 0] += np.float32(0.5)
    np.save(f, x)
    r = run(simcon, spec, out, "--resume")
    check(r.returncode == 0 and r.stderr.count("reused cached") == 6,
          "after editing one nat_b file, --resume reuses 6 of 9")


def mode_stimuli(simcon, work):
    zoo = make_zoo(work)
    spec = os.path.join(zoo, "zoo.yaml")
    text = open(spec).read()
    start = text.index("statistics:")
    end = text.index("\n", start)
    text = (text[:start] + "statistics: {permutations: 49, bootstrap: 30, "
            "over: stimuli, ci: 0.9, interval: bca, correction: bh}" +
            text[end:] + "\nfigures: {format: [svg, png]}\n")
    open(spec, "w").write(text)
    outs = []
    for threads in ("1", "2"):
        out = os.path.join(work, "out_t" + threads)
        shutil.rmtree(out, ignore_errors=True)
        r = run(simcon, spec, out, "--threads", threads, "--quiet")
        check(r.returncode == 0, "over: stimuli, --threads %s exits 0: %s"
              % (threads, r.stderr.strip()[-300:]))
        outs.append(out)
    figs = os.listdir(os.path.join(outs[0], "figures"))
    svgs = [f for f in figs if f.endswith(".svg")]
    check(svgs and all(f[:-4] + ".png" in figs for f in svgs) and
          not any(f.endswith(".pdf") for f in figs),
          "spec figures.format [svg, png]: a PNG beside each of %d SVGs, "
          "no PDF" % len(svgs))
    # The stimulus bootstrap's interval is not validated (docs/STATISTICS.md,
    # stat.coverage_stimuli: 0.875 at 50 stimuli), so consistency and
    # per-dataset behaviour rows print none, with the note; contrasts
    # resample models and 4 per category is below the CI thresholds (12
    # for a mean, 20 for the effect), so none either.
    note = "no CI: the stimulus bootstrap is not validated"
    for name in ("consistency.csv", "behaviour.csv", "contrasts.csv"):
        rows = numbers(os.path.join(outs[0], name))
        h = rows[0]
        got = {r[h.index("ci_method")] for r in rows[1:]}
        check(got == {"none"}, "%s ci_method %s (want none)"
              % (name, sorted(got)))
        if name == "contrasts.csv":
            continue
        ok = all(note in r[h.index("note")] for r in rows[1:]
                 if r[h.index("r")] != "" and not r[1].startswith("mean:"))
        check(ok, "%s: every row with an r says %r" % (name, note))
    bad = 0
    for name in ("consistency.csv", "behaviour.csv", "contrasts.csv"):
        rows = numbers(os.path.join(outs[0], name))
        lo, hi = rows[0].index("ci_lo"), rows[0].index("ci_hi")
        for r in rows[1:]:
            if r[lo] != "" and float(r[lo]) > float(r[hi]):
                bad += 1
    check(bad == 0, "every CI has lo <= hi (%d violations)" % bad)
    ta, tb = tree(outs[0]), tree(outs[1])
    same = [k for k in ta if k.endswith(".csv") and ta[k] == tb.get(k)]
    csvs = [k for k in ta if k.endswith(".csv")]
    check(len(same) == len(csvs), "--threads 1 and 2: %d of %d CSV files "
          "identical" % (len(same), len(csvs)))


def stimulus_ci_validated():
    """SC_STIMULUS_CI_VALIDATED as compiled (core/stats/stat_limits.h)."""
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.join(here, "..", "..", "core", "stats", "stat_limits.h")
    for line in open(src):
        f = line.split()
        if len(f) == 3 and f[:2] == ["#define", "SC_STIMULUS_CI_VALIDATED"]:
            return int(f[2]) != 0
    sys.exit("SC_STIMULUS_CI_VALIDATED not found in " + src)


def mode_stimuli_bounded(simcon, work):
    zoo = make_zoo(work, 200)
    spec = os.path.join(zoo, "zoo.yaml")
    text = open(spec).read()
    start = text.index("statistics:")
    end = text.index("\n", start)
    open(spec, "w").write(
        text[:start] + "statistics: {permutations: 19, bootstrap: 5, "
        "over: stimuli, ci: 0.9, interval: percentile, correction: holm}" +
        text[end:])
    outs, boot = [], []
    for name, extra in (("default", []), ("tight", ["--memory", "1M"])):
        out = os.path.join(work, "out_" + name)
        shutil.rmtree(out, ignore_errors=True)
        r = run(simcon, spec, out, "--threads", "2", "--quiet", *extra)
        check(r.returncode == 0, "%s budget exits 0: %s"
              % (name, r.stderr.strip()[-300:]))
        if r.returncode != 0:
            return
        outs.append(out)
        m = json.load(open(os.path.join(out, "manifest.json")))
        boot.append(m.get("stimulus_bootstrap", {}))
    # 8 models x 3 datasets x 3 metrics.
    runs = 3 * 3
    validated = stimulus_ci_validated()
    if validated:
        check(boot[0].get("passes") == runs and
              boot[0].get("prepares") == 8 * runs,
              "default budget: one pass and 8 prepares per dataset and "
              "metric (%s)" % boot[0])
        check(boot[1].get("budget_bytes") == 1 << 20 and
              boot[1].get("passes", 0) > runs and
              boot[1].get("prepares", 0) > 8 * runs,
              "--memory 1M: states prepared again in more passes (%s)"
              % boot[1])
    else:
        check(all(b.get("replicates") == 0 and "passes" not in b
                  for b in boot),
              "SC_STIMULUS_CI_VALIDATED 0: no stimulus replicate computed "
              "(%s)" % boot)
        plan = subprocess.run([simcon, "run", spec, "-o",
                               os.path.join(work, "out_plan"), "--plan"],
                              capture_output=True, text=True)
        names = [ln.split()[0] for ln in plan.stdout.splitlines() if ln]
        check(plan.returncode == 0 and
              any(x.startswith("consistency/") for x in names) and
              any(x.startswith("behaviour/") for x in names),
              "--plan: consistency and behaviour chunk tasks under over: "
              "stimuli (%s)" % names)
    ta, tb = tree(outs[0]), tree(outs[1])
    diff = sorted(k for k in set(ta) | set(tb) if ta.get(k) != tb.get(k))
    check(len(ta) > 20 and not diff,
          "--memory 1M and the default budget: all %d output files "
          "identical (differ: %s)" % (len(ta), diff[:5]))
    # check --estimate: the assemble step's documented formula
    # (core/run/run_plan.h) from the .npy headers, computed here; the
    # resident states are capped by runtime.memory.
    feats = os.path.join(zoo, "features", "nat_a")
    shapes = [np.load(os.path.join(feats, f), mmap_mode="r").shape
              for f in sorted(os.listdir(feats))]
    n, M, D, B, m = 200, 3, 3, 5, 8
    dsum, dmax = sum(sh[1] for sh in shapes), max(sh[1] for sh in shapes)
    states = 16 * n * n * m + 8 * n * dsum
    for budget in (None, 1 << 20):
        if budget is not None:
            open(spec, "a").write("\nruntime: {memory: 1M}\n")
        p = subprocess.run([simcon, "check", spec, "--estimate", "--quick"],
                           capture_output=True, text=True)
        want = 64 * 2**20 + 32 * M * D * m * m
        if validated:
            want += (8 * B * (M * D * m * m + n) +
                     (states if budget is None else min(states, budget)) +
                     32 * n * n + 16 * n * dmax)
        line = [x for x in p.stdout.splitlines()
                if x.startswith("estimate:")]
        check(p.returncode == 0 and line and
              line[0].endswith("assemble about %.0f MiB" % (want / 2**20)),
              "check --estimate, runtime.memory %s: assemble about %.0f MiB "
              "(%s)" % (budget, want / 2**20, line))


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: run_e2e.py MODE SIMCON WORKDIR")
    mode, simcon, work = sys.argv[1:]
    os.makedirs(work, exist_ok=True)
    {"outputs": mode_outputs, "determinism": mode_determinism,
     "atomicity": mode_atomicity, "resume": mode_resume,
     "stimuli": mode_stimuli,
     "stimuli_bounded": mode_stimuli_bounded}[mode](simcon, work)
    print("# %s: %d failed" % (mode, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
