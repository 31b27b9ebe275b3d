#!/usr/bin/python3
"""Compare a result made by Slurm tasks with a local `simcon run`.

Usage: compare.py LOCAL DIST NTASKS [RESUBMITTED_ARRAY_JOB:ELEMENT]

Checks that every CSV, Markdown and LaTeX file is byte-identical, that the
assemble step computed nothing (cache: NTASKS reused, 0 computed) and that
the manifest lists each similarity task exactly once as computed, inside a
Slurm array (array job and element ids; host; seconds). With
RESUBMITTED_ARRAY_JOB:ELEMENT, that element must have run in that
(resubmitted) array job and every other element in one other job: the
finished elements were not run again.
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
    local, dist, ntasks = sys.argv[1], sys.argv[2], int(sys.argv[3])
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
    want = sorted("similarity/%d" % i for i in range(ntasks))
    if names != want or any(t["result"] != "computed" for t in recs):
        fail("each task once, computed: %s" % [(t["task"], t["result"])
                                               for t in recs])
    for t in recs:
        if (not t["slurm_array_job_id"] or not t["host"] or
                t["slurm_array_task_id"] != t["task"].split("/")[1]):
            fail("task record without its Slurm ids: %s" % t)
    asm = [t for t in m["tasks"] if t["task"] == "assemble"]
    if len(asm) != 1 or not asm[0]["slurm_job_id"]:
        fail("assemble record: %s" % asm)
    if len(sys.argv) > 4:
        job, elem = sys.argv[4].split(":")
        jobs = {t["slurm_array_job_id"] for t in recs
                if t["task"] != "similarity/" + elem}
        mine = [t["slurm_array_job_id"] for t in recs
                if t["task"] == "similarity/" + elem]
        if mine != [job] or len(jobs) != 1 or job in jobs:
            fail("element %s should have run only in %s, the others in one "
                 "earlier job: %s, %s" % (elem, job, mine, jobs))
    print("identical: %d table files; %d tasks, each computed once" %
          (len(a), len(recs)))


if __name__ == "__main__":
    main()
