#!/bin/bash
# Peak memory of `statistics.over: stimuli` with and without a budget
# (issue 13 item 6); NOT part of CTest (tests/e2e run_stimuli_bounded checks
# the same outputs at a small size).
# Usage (from the repository root): tests/bench/stimuli_memory.sh [BUILD_DIR]
# Settings (environment): M=16 models, N=1500 stimuli, DIM=256 units, two
# datasets, linear CKA (Gram path: a state is 8 N^2 bytes, 18 MB here),
# B=10 stimulus bootstrap replicates, THREADS=2, BUDGET=96M (a third of the
# 16 states), WORK=${TMPDIR:-/tmp}/simcon-stimuli-memory.
# Runs `simcon run` twice under /usr/bin/time -v (default budget, then
# --memory BUDGET), prints wall, CPU, peak RSS and the manifest's
# stimulus_bootstrap record of each, and checks that every output file but
# manifest.json and report.html is byte-identical.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
M=${M:-16} N=${N:-1500} DIM=${DIM:-256} B=${B:-10} THREADS=${THREADS:-2}
BUDGET=${BUDGET:-96M}
WORK=${WORK:-${TMPDIR:-/tmp}/simcon-stimuli-memory}
export SIMCON_PLUGIN_PATH="$build/plugins"
rm -rf "$WORK"
mkdir -p "$WORK"
/usr/bin/python3 - "$WORK" "$M" "$N" "$DIM" "$B" <<'PY'
import os, sys
import numpy as np
work, m, n, dim, b = sys.argv[1], *map(int, sys.argv[2:])
rng = np.random.default_rng(13)
maps = [rng.standard_normal((16, dim)) for _ in range(m)]
with open(os.path.join(work, "spec.yaml"), "w") as f:
    f.write("name: stimuli-memory\nseed: 13\ndata:\n  root: .\n"
            "  features: \"{dataset}/{model}.npy\"\n  normalize: l2\n"
            "models:\n")
    for i in range(m):
        f.write("  - {name: m%02d, group: g%d}\n" % (i, i % 2))
    f.write("datasets:\n  - {name: d0, domain: a}\n  - {name: d1, domain: b}\n"
            "metrics:\n  - {name: cka_linear, plugin: cka, params: "
            "{kernel: linear}}\n"
            "analyses:\n  consistency: {correlation: pearson}\n"
            "statistics: {permutations: 99, bootstrap: %d, over: stimuli, "
            "ci: 0.95, interval: percentile, correction: holm}\n" % b)
for d in ("d0", "d1"):
    os.makedirs(os.path.join(work, d))
    z = rng.standard_normal((n, 16))
    for i in range(m):
        x = z @ maps[i] + (0.5 + 0.1 * i) * rng.standard_normal((n, dim))
        np.save(os.path.join(work, d, "m%02d.npy" % i), x.astype(np.float32))
PY
for run in default bounded; do
    extra=()
    [ "$run" = bounded ] && extra=(--memory "$BUDGET")
    /usr/bin/time -v -o "$WORK/$run.time" "$build/simcon" run \
        "$WORK/spec.yaml" -o "$WORK/$run" --threads "$THREADS" --quiet \
        "${extra[@]}"
    /usr/bin/python3 - "$run" "$WORK/$run.time" "$WORK/$run/manifest.json" <<'PY'
import json, sys
run, tf, mf = sys.argv[1:4]
t = {}
for line in open(tf):
    k, _, v = line.strip().rpartition(": ")
    t[k] = v
p = [float(x) for x in t["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")]
wall = sum(x * 60 ** i for i, x in enumerate(reversed(p)))
cpu = float(t["User time (seconds)"]) + float(t["System time (seconds)"])
rss = int(t["Maximum resident set size (kbytes)"]) / 1024
print("%s\twall %.1f s\tCPU %.1f s\tpeak RSS %.0f MiB\t%s" % (
    run, wall, cpu, rss, json.load(open(mf))["stimulus_bootstrap"]))
PY
done
if diff -r -q -x manifest.json -x report.html -x .cache \
        "$WORK/default" "$WORK/bounded"; then
    echo "# outputs identical ($(find "$WORK/default" -type f \
        -not -path '*/.cache/*' | wc -l) files, manifest.json and report.html aside)"
else
    echo "stimuli_memory: outputs differ" >&2
    exit 1
fi
