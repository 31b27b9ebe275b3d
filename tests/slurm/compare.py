#!/usr/bin/python3
"""Compare a result made by Slurm tasks with a local `simcon run`.

Usage: compare.py LOCAL DIST NSIM STAGE=N[,STAGE=N...]
                  [RESUBMITTED_ARRAY_JOB:TASK ...]

Checks that every CSV, Markdown and LaTeX file is byte-identical, that the
assemble step computed nothing (cache: NSIM reused, 0 computed; every unit
of each statistics stage read from the tasks) and that the manifest lists
each similarity task (NSIM) and each chunk task of the stages named (e.g.
consistency=3,contrasts=3,behaviour=3) exactly once as computed, inside a
Slurm array (array job and element ids; host; seconds).
A STAGE named blocks=K (runtime.model_blocks) adds the prepare/<i>/<b>
and pairs/<i>/<b1>-<b2> tasks of every similarity task i, each in its
array element (i K + b, and i P + the pair's index in row-major order of
the upper triangle, P = K (K + 1) / 2).
With RESUBMITTED_ARRAY_JOB:TASK (e.g. 1234:consistency/1), that task must
have run in that (resubmitted) array job and every other task of its stage
in one other job: the finished elements were not run again.
"""
import json
import os
import sys


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


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def main():
    local, dist = sys.argv[1], sys.argv[2]
    ntasks = int(sys.argv[3])
    stages = dict((k, int(v)) for k, v in
                  (kv.split("=") for kv in sys.argv[4].split(",")))
    K = stages.pop("blocks", 1)
    element = {}  # task -> its array element
    for i in range(ntasks):
        element["similarity/%d" % i] = i
    pairs = [(a, b) for a in range(K) for b in range(a, K)] if K > 1 else []
    for i in range(ntasks):
        for b in range(K if K > 1 else 0):
            element["prepare/%d/%d" % (i, b)] = i * K + b
        for p, (a, b) in enumerate(pairs):
            element["pairs/%d/%d-%d" % (i, a, b)] = i * len(pairs) + p
    for g, n in stages.items():
        for c in range(n):
            element["%s/%d" % (g, c)] = c
    a, b = tables(local), tables(dist)
    if len(a) < 10 or sorted(a) != sorted(b):
        fail("table files differ: %s vs %s" % (sorted(a), sorted(b)))
    for k in sorted(a):
        if a[k] != b[k]:
            fail("%s differs from the local run" % k)
    m = json.load(open(os.path.join(dist, "manifest.json")))
    if m["cache"] != {"reused": ntasks, "computed": 0}:
        fail("assemble recomputed: cache %s" % m["cache"])
    recs = [t for t in m["tasks"] if t["task"] != "assemble"]
    names = sorted(t["task"] for t in recs)
    want = sorted(element)
    if names != want or any(t["result"] != "computed" for t in recs):
        fail("each task once, computed: %s" % [(t["task"], t["result"])
                                               for t in recs])
    for t in recs:
        if (not t["slurm_array_job_id"] or not t["host"] or
                t["slurm_array_task_id"] != str(element[t["task"]])):
            fail("task record without its Slurm ids: %s" % t)
    asm = [t for t in m["tasks"] if t["task"] == "assemble"]
    if len(asm) != 1 or not asm[0]["slurm_job_id"]:
        fail("assemble record: %s" % asm)
    for g, n in stages.items():
        units = asm[0][g + "_units"]
        if units["computed"] != 0 or units["reused"] < n:
            fail("assemble recomputed %s units: %s" % (g, units))
    for arg in sys.argv[5:]:
        job, task = arg.split(":")
        stage = task.split("/")[0] + "/"
        jobs = {t["slurm_array_job_id"] for t in recs
                if t["task"].startswith(stage) and t["task"] != task}
        mine = [t["slurm_array_job_id"] for t in recs if t["task"] == task]
        if mine != [job] or len(jobs) != 1 or job in jobs:
            fail("%s should have run only in %s, the rest of its stage in "
                 "one earlier job: %s, %s" % (task, job, mine, jobs))
    print("identical: %d table files; %d tasks, each computed once" %
          (len(a), len(recs)))


if __name__ == "__main__":
    main()
