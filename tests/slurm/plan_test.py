#!/usr/bin/python3
"""slurm.plan: a run split into tasks gives the bytes of one `simcon run`.

Usage: plan_test.py SIMCON SOURCE_DIR WORK

On the e2e test zoo (tests/e2e: make_zoo.py, zoo.yaml; 3 datasets x 3
metrics, small resampling counts, so the test stays quick under ASan):
- a local `simcon run` (the reference) and the same spec as tasks: --plan,
  every similarity task in a shuffled order (one twice: the second finds its
  cache entry and computes nothing), the consistency task (a consistency
  task before its matrices exist is refused, naming the path), then --task
  assemble. Every CSV, Markdown and LaTeX file of the two result folders is
  byte-identical, and the manifest lists the tasks (host, seconds,
  computed/cached) and 9 cache hits, 0 computed;
- the statistics stages as their own tasks: consistency (9 units: 3
  metrics x 3 dataset pairs), contrasts (3 units: 3 metrics x 1 contrast)
  and behaviour (18 units: 3 metrics x (3 datasets + 2 domain means +
  mean:all)), each stage listed by --plan after every similarity task and
  before assemble;
- the same at --chunks 2 and 9, each in its own folder: byte-identical
  tables, every unit written once; at 9 chunks each chunk task runs with
  only the similarity matrices its units need in the cache (the others
  absent: a task that loads them fails); with one unit file of each stage
  removed before assemble, assemble computes it and the tables are still
  identical;
- statistics.over: stimuli computes no stimulus replicate
  (SC_STIMULUS_CI_VALIDATED 0), so its consistency and behaviour are
  chunk tasks too: the tasks at 2 chunks give the local run's bytes;
- a plain run of the planned folder only assembles (0 computed);
- refusals: a spec changed after --plan, a plan that is not there (a folder
  not shared: the message names the path), an unknown task id;
- simcon slurm writes one job array per stage and a submit script with
  --dependency=afterok; --submit with no sbatch on PATH, or an sbatch that
  fails, is a one-line error with sbatch's text and exit status 1.
The expected values are the local run's files and the plan's own structure
(datasets x metrics tasks), not numbers from this code path.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import re


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)


def run(cmd, env=None, expect=0):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    check(p.returncode == expect,
          "%s: exit %d (expected %d)\nstdout: %s\nstderr: %s" %
          (" ".join(cmd), p.returncode, expect, p.stdout, p.stderr))
    return p


def tables(root):
    out = {}
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for f in files:
            if f.endswith((".csv", ".md", ".tex")):
                full = os.path.join(dirpath, f)
                with open(full, "rb") as fh:
                    out[os.path.relpath(full, root)] = fh.read()
    return out


def cpu_hours(feats, m):
    """CPU-hours of the e2e zoo spec by the model documented in
    core/run/run_plan.c and README "Running on a cluster", computed
    here from the spec's structure and the .npy headers. Similarity per
    dataset (float64): the Gram n^2 dsum at RG/s once for cka linear and
    rsa correlation (they share it) and once more for cknna (not
    measured: its own Gram and the RSA state); per metric the state
    m n^2 x (S_LIN, S_RSA, S_RSA), the products m(m-1)/2 n(n+1) at RP/s
    and E written and read, 2 x 8 m n(n+1)/2 bytes at RE/s; the largest
    task is one metric with its own Gram. A correlation over k model
    pairs 3e-7 s + k / 6e7 s; consistency's batched permutations
    CP + k (D - 1) / RGA + k (D - 1)^2 / RGE s each per metric and set."""
    import numpy as np
    RG, RP, RE = 4.5e10, 1.8e10, 1.05e9
    S_LIN, S_RSA = 4.9e-9, 1.99e-8
    CP, RGA, RGE = 1.6e-7, 1.8e8, 2.6e10
    M, D, dp = 3, 3, 3
    P = 199  # 8! > 199: random permutations
    sim, task, nbytes = 0.0, 0.0, 0.0
    for ds in ("nat_a", "nat_b", "spec_c"):
        d = os.path.join(feats, ds)
        shapes = [np.load(os.path.join(d, f), mmap_mode="r").shape
                  for f in sorted(os.listdir(d)) if f.endswith(".npy")]
        n, dsum = shapes[0][0], sum(sh[1] for sh in shapes)
        nbytes += 4.0 * n * dsum
        gram = n * n * dsum / RG
        rest = (m * (m - 1) / 2 * n * (n + 1) / RP +
                2 * 8.0 * m * n * (n + 1) / 2 / RE)
        run = (2 * gram + m * n * n * (S_LIN + 2 * S_RSA) + 3 * rest)
        task = max(task, gram + m * n * n * S_RSA + rest)
        sim += run

    def corr(count, pairs):
        return count * (3e-7 + pairs / 6e7)

    # Sets: all; objective and architecture (2 x 4 models each): within,
    # between, within; anchor ssl_cnn_a with each category of each
    # groupby: 3 or 4 other models.
    w, bt = 6, 16
    sets = [28] + [w, bt, w] * 2 + [3, 4, 3, 4]
    # consistency: per metric and set, P batched permutations at CP +
    # k (D - 1) / RGA + k (D - 1)^2 / RGE s each, and per dataset pair
    # 1 + m correlations (r and its jackknife-z CI)
    cons = sum(M * P * (CP + k * (D - 1) / RGA + k * (D - 1) ** 2 / RGE) +
               corr(M * dp * (1 + m), k) for k in sets)
    # medians: jackknife-z CIs only from 20 models per side (8 here): none
    med = 0.0
    # Contrasts and behaviour at their own rates (6.6e-8 s + k / 5.4e7 s
    # and 1.5e-7 s + k / 7.3e7 s per correlation over k model pairs); 8
    # models are below every jackknife threshold (stat_limits.h: 20 per
    # CI, 40 per category for an effect), so no CI recomputation counts.
    # Contrasts: two category means (dp correlations over the w = 6 pairs
    # each) and one row: its observed effect, 2 dp correlations over w
    # pairs, and 1 + P permuted effects as dot products at 4.7e-7 s +
    # D (w + w) / 3.6e8 s each.
    def con_corr(count, pairs):
        return count * (6.6e-8 + pairs / 5.4e7)

    con = M * (2 * con_corr(dp, w) + 2 * con_corr(dp, w) +
               (1 + P) * (4.7e-7 + D * (w + w) / 3.6e8))
    # Behaviour: per dataset r and P Mantel permutations, and per mean row
    # membership (mean:all and its domain) 1 + P, over all 28 pairs.
    nb = M * D * (1 + P) + 2 * M * D * (1 + P)
    beh = nb * (1.5e-7 + 28 / 7.3e7)
    asm = med + nbytes / 1.4e9 + 2.0
    h = 3600.0
    return {"similarity": sim / h, "largest task": task / h,
            "consistency": cons / h, "contrasts": con / h,
            "behaviour": beh / h, "assemble": asm / h,
            "total": (sim + cons + con + beh + asm) / h}


STAGES = ("consistency", "contrasts", "behaviour")
UNITS = {"consistency": 9, "contrasts": 3, "behaviour": 18}
PAIRS = [(0, 1), (0, 2), (1, 2)]          # dataset pairs in table order
DOMAIN = ["natural", "natural", "specialized"]   # zoo.yaml


def needed(stage, units):
    """(metric, dataset) matrices that the units of a stage read, from the
    structure of zoo.yaml (3 metrics, datasets nat_a, nat_b, spec_c)."""
    out = set()
    for u in units:
        if stage == "consistency":
            k, (a, b) = u // 3, PAIRS[u % 3]
            out |= {(k, a), (k, b)}
        elif stage == "contrasts":
            out |= {(u, d) for d in range(3)}
        else:  # rows: 3 datasets, mean:natural, mean:specialized, mean:all
            k, e = u // 6, u % 6
            ds = [e] if e < 3 else \
                [d for d in range(3) if DOMAIN[d] == "natural"] if e == 3 \
                else [2] if e == 4 else [0, 1, 2]
            out |= {(k, d) for d in ds}
    return out


def chunk_units(units, chunks, c):
    base, rem = divmod(units, chunks)
    u0 = c * base + min(c, rem)
    return range(u0, u0 + base + (c < rem))


def sim_keys(dist):
    """similarity/<i> -> its cache file, from the task records."""
    keys = {}
    rec = dist + ".tasks/records"
    for f in os.listdir(rec):
        r = json.load(open(os.path.join(rec, f)))
        if r["task"].startswith("similarity/"):
            keys[int(r["task"].split("/")[1])] = r["key"] + ".csv"
    return keys


def chunkings(simcon, spec, work, dist, want):
    """The run at several chunkings: the same tables."""
    keys = sim_keys(dist)
    check(len(keys) == 9, "9 similarity records: %s" % keys)
    src = dist + ".tasks/.cache"
    for k in (2, 9):
        out = os.path.join(work, "chunks%d" % k)
        p = run([simcon, "run", spec, "-o", out, "--plan", "--chunks",
                 str(k)])
        rows = [l.split() for l in p.stdout.splitlines()[1:]]
        n = {}
        for g in STAGES:
            n[g] = min(k, UNITS[g])
            ids = [l[0] for l in rows if l[1] == g]
            check(ids == ["%s/%d" % (g, c) for c in range(n[g])],
                  "%d %s tasks: %s" % (n[g], g, p.stdout))
        cache = out + ".tasks/.cache"
        for g in STAGES:
            for c in reversed(range(n[g])):
                if k == 9:
                    # Only the matrices this chunk's units read: (metric k,
                    # dataset d) is task similarity/(d * 3 + k).
                    need = needed(g, chunk_units(UNITS[g], n[g], c))
                    have = [keys[d * 3 + m] for m, d in need]
                else:
                    have = sorted(set(keys.values()))
                for f in os.listdir(cache):
                    if f.endswith(".csv"):
                        os.unlink(os.path.join(cache, f))
                for f in have:
                    shutil.copy(os.path.join(src, f), cache)
                run([simcon, "run", spec, "-o", out, "--task",
                     "%s/%d" % (g, c), "--quiet"])
        for f in set(keys.values()):
            shutil.copy(os.path.join(src, f), cache)
        files = {}
        for g in STAGES:
            files[g] = sorted(f for f in os.listdir(cache)
                              if f.startswith(g + "-"))
            check(len(files[g]) == UNITS[g], "%d %s unit files at %d "
                  "chunks: %s" % (UNITS[g], g, k, files[g]))
        if k == 2:  # a unit of each stage lost: assemble computes it
            for g in STAGES:
                os.unlink(os.path.join(cache, files[g][0]))
        p = run([simcon, "run", spec, "-o", out, "--task", "assemble"])
        if k == 2:
            for what in ("reused 8 of 9 consistency unit(s)",
                         "reused 2 of 3 contrast unit(s)",
                         "reused 17 of 18 behaviour row(s)"):
                check(what in p.stderr,
                      "assemble computed the missing unit: %s" % p.stderr)
            m = json.load(open(os.path.join(out, "manifest.json")))
            check(m["tasks"][-1]["contrasts_units"] ==
                  {"reused": 2, "computed": 1} and
                  m["tasks"][-1]["behaviour_units"] ==
                  {"reused": 17, "computed": 1},
                  "manifest counts the recomputed units: %s" %
                  m["tasks"][-1])
        got = tables(out)
        check(sorted(got) == sorted(want), "same files at %d chunks" % k)
        for f in want:
            check(got[f] == want[f], "%s differs at %d chunks" % (f, k))


def stimuli(simcon, spec, work):
    """statistics.over: stimuli: no stimulus replicate is computed while
    SC_STIMULUS_CI_VALIDATED is 0, so consistency and behaviour are chunk
    tasks as under over: models; the tasks at 2 chunks give the local
    run's bytes."""
    text = open(spec).read().replace("over: models", "over: stimuli")
    check("over: stimuli" in text, "zoo.yaml has over: models")
    sspec = os.path.join(os.path.dirname(spec), "zoo_stimuli.yaml")
    open(sspec, "w").write(text)
    local = os.path.join(work, "stim_local")
    dist = os.path.join(work, "stim_dist")
    run([simcon, "run", sspec, "-o", local, "--quiet"])
    m = json.load(open(os.path.join(local, "manifest.json")))
    check(m.get("stimulus_bootstrap", {}).get("replicates") == 0,
          "over: stimuli computes no replicates: %s"
          % m.get("stimulus_bootstrap"))
    p = run([simcon, "run", sspec, "-o", dist, "--plan", "--chunks", "2"])
    ids = [l.split()[0] for l in p.stdout.splitlines()[1:]]
    for g in STAGES:
        check(["%s/%d" % (g, c) for c in range(2)] ==
              [t for t in ids if t.startswith(g + "/")],
              "over: stimuli, 2 %s tasks: %s" % (g, ids))
    for t in ids:
        run([simcon, "run", sspec, "-o", dist, "--task", t, "--quiet"])
    a, b = tables(local), tables(dist)
    check(len(a) > 15 and sorted(a) == sorted(b),
          "over: stimuli, same table files: %s vs %s" % (sorted(a), sorted(b)))
    for k in a:
        check(a[k] == b[k], "over: stimuli: %s differs between the local "
              "run and the tasks" % k)
    m = json.load(open(os.path.join(dist, "manifest.json")))
    for g in STAGES:
        check(m["tasks"][-1][g + "_units"] ==
              {"reused": UNITS[g], "computed": 0},
              "over: stimuli, assemble read every %s unit: %s"
              % (g, m["tasks"][-1]))


def main():
    simcon, src, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    zoo = os.path.join(work, "zoo")
    subprocess.run(["/usr/bin/python3",
                    os.path.join(src, "tests", "e2e", "make_zoo.py"), zoo],
                   check=True, capture_output=True)
    shutil.copy(os.path.join(src, "tests", "e2e", "zoo.yaml"), zoo)
    spec = os.path.join(zoo, "zoo.yaml")
    local = os.path.join(work, "local")
    dist = os.path.join(work, "dist")
    run([simcon, "run", spec, "-o", local, "--quiet"])

    p = run([simcon, "run", spec, "-o", dist, "--plan"])
    lines = [l.split() for l in p.stdout.strip().splitlines()[1:]]
    sims = [l[0] for l in lines if l[1] == "similarity"]
    check(len(sims) == 3 * 3, "3 datasets x 3 metrics similarity tasks, "
          "got %d" % len(sims))
    stats = [l[0] for l in lines if l[1] in STAGES]
    check(stats == ["consistency/0", "contrasts/0", "behaviour/0"] and
          all(l[-1] == "similarity/0-8" for l in lines if l[1] in STAGES),
          "one task per statistics stage (each estimate is far below 30 "
          "CPU-minutes), after every similarity task: %s" % lines)
    check(lines[-1][0] == "assemble" and lines[-1][-1] ==
          "consistency/0-0,contrasts/0-0,behaviour/0-0",
          "assemble depends on the statistics tasks: %s" % lines[-1])
    check(os.path.exists(dist + ".tasks/plan.txt"), "plan file written")
    order = sims[:]
    random.Random(14).shuffle(order)
    p = run([simcon, "run", spec, "-o", dist, "--task", "consistency/0"],
            expect=1)
    check(dist + ".tasks/.cache/" in p.stderr and "run task similarity/"
          in p.stderr and p.stderr.count("\n") == 1,
          "consistency before its matrices: %s" % p.stderr)
    for t in order:
        run([simcon, "run", spec, "-o", dist, "--task", t, "--quiet"])
    for t in stats:
        run([simcon, "run", spec, "-o", dist, "--task", t, "--quiet"])
    for t in stats:
        again = run([simcon, "run", spec, "-o", dist, "--task", t])
        check("already done" in again.stderr, "a finished task %s is not "
              "redone: %s" % (t, again.stderr))
    again = run([simcon, "run", spec, "-o", dist, "--task", order[0]])
    check("already done" in again.stderr, "a finished task is not redone: %s"
          % again.stderr)
    run([simcon, "run", spec, "-o", dist, "--task", "assemble", "--quiet"])

    a, b = tables(local), tables(dist)
    check(len(a) > 15 and sorted(a) == sorted(b),
          "same table files: %s vs %s" % (sorted(a), sorted(b)))
    for k in a:
        check(a[k] == b[k], "%s differs between the local run and the tasks"
              % k)
    m = json.load(open(os.path.join(dist, "manifest.json")))
    check(m["cache"] == {"reused": 9, "computed": 0},
          "assemble computed nothing: %s" % m["cache"])
    tasks = m["tasks"]
    computed = sorted(t["task"] for t in tasks if t.get("result") == "computed")
    cached = sorted(t["task"] for t in tasks if t.get("result") == "cached")
    check(computed == sorted(sims + stats),
          "each task computed once: %s" % computed)
    check(cached == sorted([order[0]] + stats),
          "the reruns are recorded as cached: %s" % cached)
    check(all(t["host"] and "seconds" in t for t in tasks if "result" in t),
          "records carry host and seconds")
    check(tasks[-1]["task"] == "assemble", "assemble listed last")
    for g in STAGES:
        check(tasks[-1][g + "_units"] == {"reused": UNITS[g], "computed": 0},
              "assemble read every %s unit: %s" % (g, tasks[-1]))

    chunkings(simcon, spec, work, dist, a)
    stimuli(simcon, spec, work)

    p = run([simcon, "run", spec, "-o", dist])
    check("reusing finished tasks" in p.stderr, "plain run uses the plan")
    for what in ("reused 9 of 9 consistency unit(s)",
                 "reused 3 of 3 contrast unit(s)",
                 "reused 18 of 18 behaviour row(s)"):
        check(what in p.stderr,
              "plain run reads the statistics units: %s" % p.stderr)
    m = json.load(open(os.path.join(dist, "manifest.json")))
    check(m["cache"]["computed"] == 0, "plain run only assembles: %s"
          % m["cache"])

    # A spec changed between --plan and --task is refused.
    spec2 = os.path.join(zoo, "zoo2.yaml")
    shutil.copy(spec, spec2)
    d2 = os.path.join(work, "d2")
    run([simcon, "run", spec2, "-o", d2, "--plan", "--quiet"])
    open(spec2, "a").write("# changed\n")
    p = run([simcon, "run", spec2, "-o", d2, "--task", "similarity/1"],
            expect=1)
    check("changed since the plan" in p.stderr and
          p.stderr.count("\n") == 1, "changed spec refused: %s" % p.stderr)
    check(not os.listdir(d2 + ".tasks/.cache"), "nothing computed")
    # No plan where the task looks: the path is named.
    p = run([simcon, "run", spec2, "-o", os.path.join(work, "elsewhere"),
             "--task", "similarity/1"], expect=1)
    check(os.path.join(work, "elsewhere.tasks/plan.txt") in p.stderr and
          "shares" in p.stderr, "missing plan names the path: %s" % p.stderr)
    p = run([simcon, "run", spec2, "-o", d2, "--task", "similarity/99"],
            expect=2)
    check("no such task" in p.stderr, "unknown task: %s" % p.stderr)

    # check --estimate: the documented formula (run_plan.h, README
    # "Running on a cluster") from the .npy headers, computed here.
    # Each running worker's prepare memory, 9/8 (24 n^2 + 20 n dmax)
    # (sc_plan_worker_bytes), counts once per thread (issues 13, 14: the
    # estimate assumed one thread whatever the run used), so --threads 64
    # gives a larger per-task figure than the default of 1 (64: the zoo's
    # n is small, one more worker would not change the MiB printed).
    import numpy as np
    feats = os.path.join(zoo, "features")
    m = 8
    # No --memory or runtime.memory: the runner's budget, half of RAM
    # (sc_simmat_default_budget).
    budget = int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
                 * 0.5)
    asm_b = 64 * 2**20 + 32 * 3 * 3 * m * m
    figures = []
    for threads in (1, 64):
        p = run([simcon, "check", spec, "--estimate", "--quick"] +
                (["--threads", "64"] if threads > 1 else []))
        sim_b, emb_b, res_b = 0, 0, 0
        for ds in ("nat_a", "nat_b", "spec_c"):
            shapes = [np.load(os.path.join(feats, ds, f), mmap_mode="r").shape
                      for f in sorted(os.listdir(os.path.join(feats, ds)))]
            n, dmax = shapes[0][0], max(sh[1] for sh in shapes)
            emb = 4 * m * n * (n + 1)
            wbytes = threads * 1.125 * (24.0 * n * n + 20.0 * n * dmax)
            sim_b = max(sim_b, 64 * 2**20 + wbytes + emb)
            emb_b = max(emb_b, emb)
            res_b = max(res_b, int(wbytes))
        want = ("estimate: 9 similarity task(s) (dataset x metric), each "
                "about %.0f MiB with %d thread(s); embedding matrix up to "
                "%.0f MiB, 0 MiB of it spilled to a file past the memory "
                "budget (%.0f MiB) less the workers' prepare memory (%.0f "
                "MiB); assemble about %.0f MiB"
                % (sim_b / 2**20, threads, emb_b / 2**20, budget / 2**20,
                   res_b / 2**20, asm_b / 2**20))
        check(want in p.stdout.splitlines(),
              "check --estimate:\n%s\nwanted\n%s" % (p.stdout, want))
        figures.append(float(re.search(r"each about ([0-9]+) MiB",
                                       p.stdout).group(1)))
    check(figures[1] > figures[0],
          "per-task figure grows with --threads: %s" % figures)
    cpu = cpu_hours(feats, m)
    line = [l for l in p.stdout.splitlines() if "CPU-hours" in l]
    check(len(line) == 1, "one CPU-hours line:\n%s" % p.stdout)
    got = dict((k, float(v)) for k, v in re.findall(
        r"(similarity|largest task|consistency|contrasts|behaviour|"
        r"assemble|total) ([0-9.e+-]+)", line[0]))
    for k, v in cpu.items():
        check(abs(got.get(k, -1) - v) <= 1e-2 * v,
              "CPU-hours of %s: %s, computed here %.4g" % (k, line[0], v))

    # simcon slurm: the scripts.
    d3 = os.path.join(work, "d3")
    run([simcon, "slurm", spec, "-o", d3, "--cpus", "2", "--time",
         "0-01:00:00", "--partition", "short", "--max-parallel", "3"])
    sd = d3 + ".tasks/slurm"
    sim = open(os.path.join(sd, "similarity.sbatch")).read()
    asm = open(os.path.join(sd, "assemble.sbatch")).read()
    sub = open(os.path.join(sd, "submit.sh")).read()
    for want in ("#SBATCH --array=0-8%3", "#SBATCH --cpus-per-task=2",
                 "#SBATCH --time=0-01:00:00", "#SBATCH --partition=short",
                 "#SBATCH --mem=", '--task "similarity/${SLURM_ARRAY_TASK_ID}"',
                 "--threads 2"):
        check(want in sim, "similarity.sbatch has %r:\n%s" % (want, sim))
    check("--task assemble" in asm and "--array" not in asm,
          "assemble.sbatch:\n%s" % asm)
    # Every task runs with the budget the estimate assumed (the spec has no
    # runtime.memory: half of this machine's RAM, `budget` above), so a
    # task on a larger node cannot take more than its job was sized for.
    for name, text in (("similarity", sim), ("assemble", asm)):
        want = "--memory %dK" % (budget >> 10)
        check(want in text, "%s.sbatch has %r:\n%s" % (name, want, text))
    # A user's --mem caps it at 7/8 (Slurm's default unit is M).
    for mem, cap in (("2G", 2 << 30), ("1536", 1536 << 20)):
        dm = os.path.join(work, "dmem" + mem)
        run([simcon, "slurm", spec, "-o", dm, "--mem", mem])
        text = open(os.path.join(dm + ".tasks/slurm",
                                 "similarity.sbatch")).read()
        want = "--memory %dK" % (min(budget, cap // 8 * 7) >> 10)
        check(want in text and "#SBATCH --mem=%s\n" % mem in text,
              "--mem %s: similarity.sbatch has %r:\n%s" % (mem, want, text))
    for bad in ("4GB", "0", "x1", "16Q"):
        p = run([simcon, "slurm", spec, "-o", os.path.join(work, "dbad"),
                 "--mem", bad], expect=2)
        check("expected a Slurm memory size" in p.stderr
              and not os.path.exists(os.path.join(work, "dbad.tasks")),
              "--mem %s refused, nothing written: %s" % (bad, p.stderr))
    con = open(os.path.join(sd, "consistency.sbatch")).read()
    for want in ("#SBATCH --array=0-0%3",
                 '--task "consistency/${SLURM_ARRAY_TASK_ID}"'):
        check(want in con, "consistency.sbatch has %r:\n%s" % (want, con))
    for g in ("contrasts", "behaviour"):
        text = open(os.path.join(sd, g + ".sbatch")).read()
        for want in ("#SBATCH --array=0-0%3",
                     '--task "%s/${SLURM_ARRAY_TASK_ID}"' % g):
            check(want in text, "%s.sbatch has %r:\n%s" % (g, want, text))
    last = sub.index("--dependency=afterok:$con:$ctr:$beh assemble.sbatch")
    for g in STAGES:
        check(sub.index("--dependency=afterok:$sim %s.sbatch" % g) < last,
              "submit.sh runs %s after similarity, before assemble:\n%s"
              % (g, sub))
    run([simcon, "slurm", spec, "-o", d3, "--chunks", "5", "--quiet"])
    con = open(os.path.join(sd, "consistency.sbatch")).read()
    check("#SBATCH --array=0-4\n" in con, "--chunks 5:\n%s" % con)
    # --time by default: twice the estimate over the CPUs plus 10 minutes,
    # in whole minutes (here the estimate is under a second).
    d4 = os.path.join(work, "d4")
    run([simcon, "slurm", spec, "-o", d4, "--quiet"])
    for f in ("similarity.sbatch", "consistency.sbatch", "contrasts.sbatch",
              "behaviour.sbatch", "assemble.sbatch"):
        text = open(os.path.join(d4 + ".tasks/slurm", f)).read()
        check("#SBATCH --time=0-00:11:00\n" in text,
              "default --time in %s:\n%s" % (f, text))
    p = run([simcon, "slurm", spec, "-o", d3, "--time", "1 day"], expect=2)
    check("--time '1 day'" in p.stderr, "bad --time: %s" % p.stderr)

    # A folder of the user's where DIR.tasks would go is not written into.
    mine = os.path.join(work, "mine")
    os.makedirs(mine + ".tasks")
    open(os.path.join(mine + ".tasks", "notes.txt"), "w").write("mine\n")
    for cmd in (["run", spec, "-o", mine, "--plan"],
                ["slurm", spec, "-o", mine]):
        p = run([simcon] + cmd, expect=1)
        check("not a simcon task folder" in p.stderr and
              sorted(os.listdir(mine + ".tasks")) == ["notes.txt"],
              "a foreign DIR.tasks is refused, untouched: %s" % p.stderr)

    # --submit: sbatch missing, sbatch failing.
    env = dict(os.environ, PATH=os.path.join(work, "nobin"))
    p = run([simcon, "slurm", spec, "-o", d3, "--submit"], env=env, expect=1)
    check("sbatch not found on PATH" in p.stderr and
          p.stderr.strip().count("\n") == 1, "no sbatch: %s" % p.stderr)
    fake = os.path.join(work, "fakebin")
    os.makedirs(fake)
    with open(os.path.join(fake, "sbatch"), "w") as f:
        f.write("#!/bin/sh\necho 'sbatch: error: invalid partition "
                "specified: short' >&2\nexit 1\n")
    os.chmod(os.path.join(fake, "sbatch"), 0o755)
    env = dict(os.environ, PATH=fake + ":" + os.environ.get("PATH", ""))
    p = run([simcon, "slurm", spec, "-o", d3, "--submit", "--quiet"],
            env=env, expect=1)
    check("invalid partition specified: short" in p.stderr and
          "exit status 1" in p.stderr and p.stderr.count("\n") == 1,
          "slurm error shown: %s" % p.stderr)
    print("ok")


if __name__ == "__main__":
    main()
