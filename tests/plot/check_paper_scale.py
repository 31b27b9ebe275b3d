#!/usr/bin/python3
"""report.html stays small at the paper's scale (issue 16): a synthetic
result folder of 64 models x 23 datasets x 3 metrics (make_paper_scale.py)
is plotted with `simcon plot`; report.html must be under 10 MB (it was
113 MB when every heatmap cell and scatter point was inline SVG with its
own tooltip), its data block must parse as JSON with every matrix, and the
headline must come before the first <details>.

usage: check_paper_scale.py SIMCON WORK_DIR
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LIMIT = 10 * 1000 * 1000
checks = 0


def ok(cond, what):
    global checks
    checks += 1
    print("%sok %d - %s" % ("" if cond else "not ", checks, what))
    if not cond:
        sys.exit(1)


def main():
    simcon, work = sys.argv[1:3]
    shutil.rmtree(work, ignore_errors=True)
    res = subprocess.run([sys.executable,
                          os.path.join(HERE, "make_paper_scale.py"), work],
                         capture_output=True, text=True)
    ok(res.returncode == 0, "synthetic folder written (%s)"
       % res.stderr.strip()[-200:])
    t0 = time.monotonic()
    res = subprocess.run([simcon, "plot", work], capture_output=True,
                         text=True)
    ok(res.returncode == 0, "simcon plot: exit 0 in %.1f s (%s)"
       % (time.monotonic() - t0, res.stderr.strip()))
    path = os.path.join(work, "report.html")
    size = os.path.getsize(path)
    ok(size < LIMIT, "report.html is %.2f MB (< 10 MB)" % (size / 1e6))
    html = open(path, encoding="utf-8").read()
    blk = re.search(r'<script type="application/json" id="simcon-data">'
                    r'(.*?)</script>', html, re.S).group(1)
    data = json.loads(blk)
    ok(len(data["models"]) == 64 and len(data["datasets"]) == 23 and
       len(data["metrics"]) == 3 and
       all(len(m) == 23 and all(len(x) == 64 * 64 for x in m)
           for m in data["sim"]) and
       all(g is not None and len(g) == 64 * 64 for g in data["gap"]),
       "data block: 3 x 23 similarity and 23 gap matrices of 64 x 64")
    ok(all(len(c["sets"]) == 14 and
           all(len(v) == 23 * 23 for v in c["v"]) for c in data["cons"]),
       "data block: 14 model subsets of 23 x 23 per metric")
    ok(html.index('id="headline"') < html.index("<details"),
       "headline before the details")
    print("# %d checks passed" % checks)


if __name__ == "__main__":
    main()
