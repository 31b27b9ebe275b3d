#!/usr/bin/python3
"""slurm.blocks: blocks of model pairs (runtime.model_blocks, issue 14).

Usage: blocks_test.py SIMCON SOURCE_DIR WORK

On the e2e test zoo (tests/e2e: make_zoo.py, zoo.yaml; 8 models, 3
datasets of 60 stimuli):
- K = 3 (zoo.yaml plus runtime.model_blocks: 3): --plan lists, per
  (dataset, metric) i, prepare/<i>/0..2, the 6 block pairs
  pairs/<i>/<b1>-<b2> (b1 <= b2) after the prepares they read, and
  similarity/<i> after them. A pairs task before its prepares is refused
  naming the missing file and the task to run. Every task then runs one by
  one, shuffled within its stage, one pairs task twice (the second finds
  its file: "already done"), and assemble: every CSV, Markdown and LaTeX
  file is byte-identical to a plain `simcon run` of the same spec (the same
  functions in one process: byte equality is the project's guarantee on
  one machine). The result also passes tests/e2e/reference.py, the
  independent numpy/scipy reference (CKA, RSA, every statistic to 1e-9),
  so the blocked matrices are checked against a path that is not ours;
- the same matrices as K = 1 within 1e-12 relative (not bits: OpenBLAS
  gives a block's entries other last bits than the whole SYRK, see
  core/host/simblock.h), and the K > 1 cache key differs from K = 1's;
  a metric without an embedding (cknna) is the K = 1 file byte for byte;
- K = 2 with a fourth metric, RSA with Kendall's tau (its states have no
  embedding: the prepare and pairs tasks write a marker and similarity/<i>
  computes the whole matrix as with K = 1): byte-identical to the local run
  with K = 2, and its matrix to the K = 1 one;
- a metric with precision: float32 is not blocked (its E is float32, the
  blocks' rows float64): at K = 2 its matrices are the bytes of K = 1;
- a killed or rerun task is harmless: one pairs file and the matrix built
  from it removed, only that pairs task and its similarity task rerun
  ("computed"), the other pairs tasks "already done", tables unchanged;
- simcon slurm with K = 3 writes prepare.sbatch (27 elements) and
  pairs.sbatch (54): each element's task, computed by the script's own
  shell lines, is the plan's list in order; submit.sh and --submit (a fake
  sbatch that records its arguments) chain prepare -> pairs -> similarity
  with --dependency=afterok;
- a spec changed between --plan and a task (model_blocks 3 -> 2) is
  refused.
"""
import csv
import json
import os
import random
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import tables  # noqa: E402  (the tables of a result folder)


def check(cond, what):
    if not cond:
        print("FAIL:", what)
        sys.exit(1)


def run(cmd, expect=0):
    p = subprocess.run(cmd, capture_output=True, text=True)
    check(p.returncode == expect,
          "%s: exit %d (expected %d)\nstdout: %s\nstderr: %s" %
          (" ".join(cmd), p.returncode, expect, p.stdout, p.stderr))
    return p


def same_tables(a_dir, b_dir, what):
    a, b = tables(a_dir), tables(b_dir)
    check(len(a) > 15 and sorted(a) == sorted(b),
          "%s: same table files: %s vs %s" % (what, sorted(a), sorted(b)))
    for k in a:
        check(a[k] == b[k], "%s: %s differs" % (what, k))


def matrix(path):
    with open(path) as f:
        rows = list(csv.reader(f))[1:]
    return [[float(v) for v in r[1:]] for r in rows]


def close_matrices(a_dir, b_dir, rel_tol):
    sim_a = os.path.join(a_dir, "similarity")
    for ds in sorted(os.listdir(sim_a)):
        for f in sorted(os.listdir(os.path.join(sim_a, ds))):
            a = matrix(os.path.join(sim_a, ds, f))
            b = matrix(os.path.join(b_dir, "similarity", ds, f))
            for i, row in enumerate(a):
                for j, x in enumerate(row):
                    y = b[i][j]
                    check(abs(x - y) <= rel_tol * max(abs(x), 1e-300),
                          "%s/%s (%d, %d): %r vs %r" % (ds, f, i, j, x, y))


def with_blocks(src, dst, k, extra_metric=None):
    text = open(src).read()
    if extra_metric:
        text = text.replace("  - {name: cknna_k5", extra_metric +
                            "\n  - {name: cknna_k5")
    text += "runtime: {model_blocks: %d}\n" % k
    open(dst, "w").write(text)


def plan(simcon, spec, dist, nsim, K):
    p = run([simcon, "run", spec, "-o", dist, "--plan"])
    rows = [l.split() for l in p.stdout.strip().splitlines()[1:]]
    npairs = K * (K + 1) // 2
    for i in range(nsim):
        prep = [r for r in rows if r[0].startswith("prepare/%d/" % i)]
        check([r[0] for r in prep] ==
              ["prepare/%d/%d" % (i, b) for b in range(K)] and
              all(r[-1] == "-" for r in prep), "prepares of %d: %s" % (i, prep))
        pairs = [r for r in rows if r[0].startswith("pairs/%d/" % i)]
        want = ["pairs/%d/%d-%d" % (i, a, b)
                for a in range(K) for b in range(a, K)]
        check([r[0] for r in pairs] == want and len(want) == npairs,
              "pairs of %d: %s" % (i, pairs))
        for r in pairs:
            a, b = r[0].split("/")[2].split("-")
            deps = sorted(set(["prepare/%d/%s" % (i, a),
                               "prepare/%d/%s" % (i, b)]))
            check(sorted(r[-1].split(",")) == deps, "deps of %s" % r)
        sim = [r for r in rows if r[0] == "similarity/%d" % i]
        check(len(sim) == 1 and sim[0][-1] == "pairs/%d/*" % i,
              "similarity/%d after its pairs: %s" % (i, sim))
    return [r[0] for r in rows]


def run_tasks(simcon, spec, dist, ids, seed):
    rnd = random.Random(seed)
    order = []
    for stage in ("prepare/", "pairs/", "similarity/"):
        part = [t for t in ids if t.startswith(stage)]
        rnd.shuffle(part)
        order += part
    order += [t for t in ids if t not in order and t != "assemble"]
    for t in order:
        run([simcon, "run", spec, "-o", dist, "--task", t, "--quiet"])
    return order


def element_tasks(script, n):
    """The task ids the script's shell lines give elements 0..n-1 (its
    exec line replaced by an echo of the task)."""
    body = open(script).read().split("set -eu\n", 1)[1]
    lines = body.splitlines()
    check(lines[-1].startswith("exec ") and " --task " in lines[-1],
          "%s ends with the task's command: %s" % (script, lines[-1]))
    lines[-1] = "echo " + lines[-1].split(" --task ", 1)[1]
    out = []
    for e in range(n):
        p = subprocess.run(["bash", "-c", "\n".join(lines)],
                           env=dict(os.environ, SLURM_ARRAY_TASK_ID=str(e)),
                           capture_output=True, text=True, check=True)
        out.append(p.stdout.strip())
    return out


def slurm(simcon, spec, work):
    out = os.path.join(work, "slurm3")
    run([simcon, "slurm", spec, "-o", out, "--quiet"])
    sd = out + ".tasks/slurm"
    rows = [l.split() for l in
            run([simcon, "run", spec, "-o", out, "--plan"]).stdout
            .strip().splitlines()[1:]]
    for stage, n in (("prepare", 27), ("pairs", 54)):
        script = os.path.join(sd, stage + ".sbatch")
        text = open(script).read()
        check("#SBATCH --array=0-%d\n" % (n - 1) in text,
              "%s: %d elements:\n%s" % (stage, n, text))
        want = [r[0] for r in rows if r[1] == stage]
        got = element_tasks(script, n)
        check(got == want, "%s elements: %s vs the plan %s" %
              (stage, got, want))
    sub = open(os.path.join(sd, "submit.sh")).read()
    order = [sub.index(x) for x in (
        "pre=$(sbatch --parsable prepare.sbatch)",
        "--dependency=afterok:$pre pairs.sbatch",
        "--dependency=afterok:$par similarity.sbatch",
        "--dependency=afterok:$sim consistency.sbatch")]
    check(order == sorted(order), "submit.sh chains the stages:\n%s" % sub)
    fake = os.path.join(work, "fakebin")
    os.makedirs(fake, exist_ok=True)
    log = os.path.join(work, "sbatch.log")
    with open(os.path.join(fake, "sbatch"), "w") as f:
        f.write("#!/bin/sh\nn=$(cat %s.n 2>/dev/null || echo 100)\n"
                "n=$((n + 1)); echo $n > %s.n\necho \"$n $*\" >> %s\n"
                "echo $n\n" % (log, log, log))
    os.chmod(os.path.join(fake, "sbatch"), 0o755)
    env = dict(os.environ, PATH=fake + ":" + os.environ["PATH"])
    p = subprocess.run([simcon, "slurm", spec, "-o", out, "--submit",
                        "--quiet"], env=env, capture_output=True, text=True)
    check(p.returncode == 0, "--submit: %s" % p.stderr)
    calls = [l.split() for l in open(log).read().splitlines()]
    by = {os.path.basename(c[-1]): c for c in calls}
    check(by["prepare.sbatch"][2:3] == [by["prepare.sbatch"][-1]] and
          by["pairs.sbatch"][2] == "--dependency=afterok:" +
          by["prepare.sbatch"][0] and
          by["similarity.sbatch"][2] == "--dependency=afterok:" +
          by["pairs.sbatch"][0], "--submit chains the stages: %s" % calls)
    check(p.stdout.split()[:6] == ["prepare", by["prepare.sbatch"][0],
                                   "pairs", by["pairs.sbatch"][0],
                                   "similarity", by["similarity.sbatch"][0]],
          "--submit prints the ids: %s" % p.stdout)


def main():
    simcon, src, work = sys.argv[1:4]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    zoo = os.path.join(work, "zoo")
    subprocess.run(["/usr/bin/python3",
                    os.path.join(src, "tests", "e2e", "make_zoo.py"), zoo],
                   check=True, capture_output=True)
    base = os.path.join(src, "tests", "e2e", "zoo.yaml")
    shutil.copy(base, zoo)
    spec1 = os.path.join(zoo, "zoo.yaml")
    spec3 = os.path.join(zoo, "zoo_k3.yaml")
    with_blocks(base, spec3, 3)
    one = os.path.join(work, "k1")
    run([simcon, "run", spec1, "-o", one, "--quiet"])

    # K = 3: plan, a pairs task too early, every task, assemble.
    local3, dist3 = os.path.join(work, "local3"), os.path.join(work, "dist3")
    run([simcon, "run", spec3, "-o", local3, "--quiet"])
    ids = plan(simcon, spec3, dist3, 9, 3)
    early = run([simcon, "run", spec3, "-o", dist3, "--task", "pairs/1/0-2"],
                expect=1)
    check(dist3 + ".tasks/.cache/rows-" in early.stderr and
          "run task prepare/1/0 first" in early.stderr and
          early.stderr.count("\n") == 1,
          "pairs before its prepares: %s" % early.stderr)
    order = run_tasks(simcon, spec3, dist3, ids, 14)
    pair = [t for t in order if t.startswith("pairs/")][0]
    again = run([simcon, "run", spec3, "-o", dist3, "--task", pair])
    check("already done" in again.stderr, "a finished pairs task is not "
          "redone: %s" % again.stderr)
    run([simcon, "run", spec3, "-o", dist3, "--task", "assemble", "--quiet"])
    same_tables(local3, dist3, "K = 3 tasks vs local K = 3")
    ref = subprocess.run(["/usr/bin/python3",
                          os.path.join(src, "tests", "e2e", "reference.py"),
                          zoo, dist3], capture_output=True, text=True)
    check(ref.returncode == 0, "reference.py on the K = 3 tasks' result:\n%s%s"
          % (ref.stdout[-2000:], ref.stderr[-2000:]))
    close_matrices(one, dist3, 1e-12)
    for ds in ("nat_a", "nat_b", "spec_c"):
        f = os.path.join("similarity", ds, "cknna_k5.csv")
        check(open(os.path.join(one, f), "rb").read() ==
              open(os.path.join(dist3, f), "rb").read(),
              "%s: a metric without an embedding is not blocked" % f)
    recs = [json.load(open(os.path.join(dist3 + ".tasks/records", f)))
            for f in os.listdir(dist3 + ".tasks/records")]
    key3 = {r["key"] for r in recs if r["task"] == "similarity/0"}
    key1 = {os.path.splitext(f)[0]
            for f in os.listdir(os.path.join(one, ".cache"))}
    check(len(key3) == 1 and not key3 & key1,
          "the K = 3 key of a blocked metric is not a K = 1 key: %s" % key3)

    # A killed or rerun task: remove one pairs file and the matrix of
    # similarity/1 (rsa_spearman on nat_a) from the task cache and the
    # assembled result; rerun only what is missing.
    cache = dist3 + ".tasks/.cache"
    (k1,) = {r["key"] for r in recs if r["task"] == "similarity/1"}
    victim = [f for f in os.listdir(cache)
              if f.startswith("pairs-%s-3-0-2" % k1)]
    check(len(victim) == 1, "one pairs file of similarity/1: %s" % victim)
    before = open(os.path.join(cache, k1 + ".csv"), "rb").read()
    os.unlink(os.path.join(cache, victim[0]))
    os.unlink(os.path.join(cache, k1 + ".csv"))
    # The assembled result keeps a copy that a task would reuse.
    os.unlink(os.path.join(dist3, ".cache", k1 + ".csv"))
    miss = run([simcon, "run", spec3, "-o", dist3, "--task", "similarity/1"],
               expect=1)
    check("run task pairs/1/0-2 first" in miss.stderr,
          "similarity/1 names its missing pairs task: %s" % miss.stderr)
    for t in ("pairs/1/0-2", "similarity/1"):
        p = run([simcon, "run", spec3, "-o", dist3, "--task", t])
        check("wrote" in p.stderr, "%s recomputed: %s" % (t, p.stderr))
    for t in ("pairs/1/0-0", "pairs/1/1-2", "prepare/1/0"):
        p = run([simcon, "run", spec3, "-o", dist3, "--task", t])
        check("already done" in p.stderr, "%s not redone: %s" % (t, p.stderr))
    check(open(os.path.join(cache, k1 + ".csv"), "rb").read() == before,
          "the recomputed matrix has the same bytes")
    run([simcon, "run", spec3, "-o", dist3, "--task", "assemble", "--quiet"])
    same_tables(local3, dist3, "after the rerun")

    # K = 2 with a metric whose states have no embedding (Kendall RSA).
    kendall = ("  - {name: rsa_kendall, plugin: rsa, "
               "params: {rdm: correlation, corr: kendall}}")
    spec2 = os.path.join(zoo, "zoo_k2.yaml")
    spec21 = os.path.join(zoo, "zoo_kendall.yaml")
    with_blocks(base, spec2, 2, kendall)
    text = open(spec2).read().replace("runtime: {model_blocks: 2}\n", "")
    open(spec21, "w").write(text)
    local2, dist2 = os.path.join(work, "local2"), os.path.join(work, "dist2")
    one2 = os.path.join(work, "k1_kendall")
    run([simcon, "run", spec2, "-o", local2, "--quiet"])
    run([simcon, "run", spec21, "-o", one2, "--quiet"])
    ids = plan(simcon, spec2, dist2, 12, 2)
    run_tasks(simcon, spec2, dist2, ids, 7)
    run([simcon, "run", spec2, "-o", dist2, "--task", "assemble", "--quiet"])
    same_tables(local2, dist2, "K = 2 tasks vs local K = 2")
    for ds in ("nat_a", "nat_b", "spec_c"):
        f = os.path.join("similarity", ds, "rsa_kendall.csv")
        check(open(os.path.join(one2, f), "rb").read() ==
              open(os.path.join(dist2, f), "rb").read(),
              "%s: the pairwise fallback gives the K = 1 matrix" % f)
    close_matrices(one2, dist2, 1e-12)

    # simcon slurm: the arrays' element -> task maps, the afterok chain.
    slurm(simcon, spec3, work)

    # precision: float32 stays one matrix: the K = 1 bytes at K = 2.
    text = open(base).read().replace("params: {kernel: linear}",
                                     "params: {kernel: linear, "
                                     "precision: float32}")
    check("precision: float32" in text, "float32 spec")
    f1, f2 = os.path.join(zoo, "f32.yaml"), os.path.join(zoo, "f32_k2.yaml")
    open(f1, "w").write(text)
    open(f2, "w").write(text + "runtime: {model_blocks: 2}\n")
    o1, o2 = os.path.join(work, "f32"), os.path.join(work, "f32_k2")
    run([simcon, "run", f1, "-o", o1, "--quiet"])
    run([simcon, "run", f2, "-o", o2, "--quiet"])
    for ds in ("nat_a", "nat_b", "spec_c"):
        f = os.path.join("similarity", ds, "cka_linear.csv")
        check(open(os.path.join(o1, f), "rb").read() ==
              open(os.path.join(o2, f), "rb").read(),
              "%s: a float32 metric is not blocked" % f)

    # A spec changed between --plan and a task.
    with_blocks(base, spec3, 2)
    p = run([simcon, "run", spec3, "-o", dist3, "--task", "prepare/0/0"],
            expect=1)
    check("spec" in p.stderr and "--plan" in p.stderr,
          "a changed spec is refused: %s" % p.stderr)
    print("slurm.blocks: ok")


if __name__ == "__main__":
    main()
