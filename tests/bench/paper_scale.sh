#!/bin/bash
# The paper's study at scale (issue 13); NOT part of CTest.
# Usage (from the repository root, after building into BUILD_DIR):
#   tests/bench/paper_scale.sh [BUILD_DIR]
# Settings (environment; defaults = the paper's study on this machine):
#   N=10000        stimuli of each full-size dataset
#   FULL=3         datasets whose similarity stage runs at full size (>= 1)
#   N_SMALL=40     stimuli of the other datasets (their matrices only feed
#                  the consistency/contrast stages, whose cost does not
#                  depend on n)
#   THREADS=2 MEMORY=12G   simcon run --threads / --memory
#   PERMUTATIONS=9999 BOOTSTRAP=1000   statistics (the paper's by default)
#   PRECISION=float64   float32: add `precision: float32` to the three
#                  metrics of every generated spec (sim_*, small, all):
#                  float32 Grams and float32 stacked embeddings E (4-byte
#                  entries: the three E's of n = 10,000 take 3 x 12.8 GB
#                  instead of 3 x 25.6 GB, so they fit one pass); the
#                  manifest's cache.similarity_embeddings says "float32" (the
#                  cache column: E=float32).
#                  float64 (default): the paper spec as is.
#   SIM_JOINT=1    the full-size datasets' similarity in ONE run
#                  (sim_full.yaml), so that one dataset's products overlap
#                  the next one's prepare as in the real study (issue 13);
#                  0: one run per full-size dataset (sim_<dataset>.yaml)
#   NUMPY=1        also time the best numpy pipeline for one (dataset,
#                  metric): the first dataset, linear CKA (0: skip)
#   WORK=${TMPDIR:-/tmp}/simcon-paper-scale   scratch folder (features:
#                  about 64 x N x 1,320 x 4 bytes per full dataset, 3.4 GB
#                  at N = 10,000)
# What runs, each under /usr/bin/time -v:
#   1. similarity: `simcon run sim_full.yaml` on the FULL full-size
#      datasets (SIM_JOINT=1), or `simcon run sim_<dataset>.yaml` per
#      full-size dataset (SIM_JOINT=0; the paper spec on that one dataset:
#      64 models, 3 metrics).
#   2. the small datasets' similarity (setup, not part of the total).
#   3. statistics: `simcon run all.yaml --resume` on all 23 datasets, every
#      similarity matrix reused from all/.cache (the runner's --resume
#      cache, filled from steps 1 and 2): consistency with the paper's
#      groupby keys, contrasts, tables, figures, report.
# Composed total = 23 x (mean similarity wall of the full-size datasets:
#                  the joint run's wall / FULL, or the mean of the runs)
#                  + statistics wall (likewise for CPU). The joint run
#                  counts the first dataset's prepare and the last one's
#                  products, which no other dataset hides, once per FULL
#                  datasets instead of once per 23: the composed figure
#                  errs on the slow side.
# Composed by the timeline (SIM_JOINT=1, FULL >= 2; printed second) =
#                  first dataset (until its prepares end) + 22 x the mean
#                  spacing of the later datasets' prepare ends + the last
#                  dataset's tail (its products, the outputs) + statistics
#                  wall: a 23-dataset run as the joint run shows it runs,
#                  each part counted as often as it occurs (manifest.json
#                  cache.similarity_timeline).
# Per-stage wall times inside a run come from its manifest.json; CPU, peak
# RSS and bytes written (spill file + outputs: /usr/bin/time's "File system
# outputs" x 512) are per process.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
N=${N:-10000} FULL=${FULL:-3} N_SMALL=${N_SMALL:-40}
THREADS=${THREADS:-2} MEMORY=${MEMORY:-12G}
PERMUTATIONS=${PERMUTATIONS:-9999} BOOTSTRAP=${BOOTSTRAP:-1000}
NUMPY=${NUMPY:-1}
SIM_JOINT=${SIM_JOINT:-1}
PRECISION=${PRECISION:-float64}
case "$PRECISION" in
float32 | float64) ;;
*) echo "paper_scale: PRECISION=$PRECISION; use float64 or float32" >&2; exit 2 ;;
esac
WORK=${WORK:-${TMPDIR:-/tmp}/simcon-paper-scale}
py=/usr/bin/python3
export SIMCON_PLUGIN_PATH="$build/plugins"
simcon="$build/simcon"

rm -rf "$WORK"
mkdir -p "$WORK/logs"
echo "# paper_scale: N=$N FULL=$FULL N_SMALL=$N_SMALL THREADS=$THREADS" \
     "MEMORY=$MEMORY PERMUTATIONS=$PERMUTATIONS BOOTSTRAP=$BOOTSTRAP" \
     "PRECISION=$PRECISION" \
     "commit=$(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo ?)" \
     "load=$(cut -d' ' -f1-3 /proc/loadavg) cpus=$(nproc)"
t0=$(date +%s)
"$py" "$src/tests/bench/paper_gen.py" "$src/experiments/paper.yaml" "$WORK" \
      "$N" "$N_SMALL" "$FULL" 20250713 >"$WORK/logs/gen.log"
echo "# features generated in $(( $(date +%s) - t0 )) s" \
     "($(du -sh "$WORK/features" | cut -f1))"
# The statistics settings of every spec (the paper's unless overridden).
for f in "$WORK"/*.yaml; do
    sed -i -e "s/^  permutations: .*/  permutations: $PERMUTATIONS/" \
           -e "s/^  bootstrap: .*/  bootstrap: $BOOTSTRAP/" "$f"
    if [ "$PRECISION" = float32 ]; then
        # each metric line: "  - {name: ..., plugin: ..., params: {...}}"
        sed -i -E 's/^(  - \{name: .*, plugin: .*, params: \{.*)\}\}$/\1, precision: float32}}/' "$f"
        [ "$(grep -c 'precision: float32}}$' "$f")" = 3 ] || {
            echo "paper_scale: $f: not 3 metric lines with precision: float32" >&2
            exit 1
        }
    fi
done

# timed NAME SPEC OUT [ARGS...]: run simcon under /usr/bin/time -v and
# print one TSV row: name wall_s cpu_s user_s sys_s peak_rss_mb written_mb
# and the stage wall times of the manifest.
timed() {
    local name=$1 spec=$2 out=$3
    shift 3
    /usr/bin/time -v -o "$WORK/logs/$name.time" "$simcon" run "$spec" \
        -o "$out" --threads "$THREADS" --memory "$MEMORY" --quiet "$@" \
        2>"$WORK/logs/$name.err" || {
        cat "$WORK/logs/$name.err" >&2
        echo "paper_scale: $name failed (log $WORK/logs/$name.err)" >&2
        exit 1
    }
    "$py" - "$name" "$WORK/logs/$name.time" "$out/manifest.json" <<'PY'
import json, sys
name, tf, mf = sys.argv[1:4]
t = {}
for line in open(tf):
    k, _, v = line.strip().rpartition(": ")
    t[k] = v
def secs(s):
    p = [float(x) for x in s.split(":")]
    return sum(x * 60 ** i for i, x in enumerate(reversed(p)))
wall = secs(t["Elapsed (wall clock) time (h:mm:ss or m:ss)"])
user, sys_ = float(t["User time (seconds)"]), float(t["System time (seconds)"])
rss = int(t["Maximum resident set size (kbytes)"]) / 1024
wr = int(t["File system outputs"]) * 512 / 1e6
m = json.load(open(mf))
st = " ".join("%s=%.1f" % kv for kv in m["wall_seconds"].items())
# The stacked embeddings E as the engine reported them, summed over the
# computed (dataset, metric)s: entry types and spilled bytes.
c = dict(m["cache"])
c.pop("similarity_timeline", None)  # composed from logs/joint-manifest.json
emb = [e for d in c.pop("similarity_embeddings", {}).values()
       for e in d.values()]
if emb:
    kinds = sorted({e["entry"] for e in emb})
    c["E"] = "%s, %d MB spilled" % ("+".join(kinds), sum(
        e["bytes"] for e in emb if e.get("spilled")) / 1e6)
print("%s\t%.1f\t%.1f\t%.1f\t%.1f\t%.0f\t%.0f\t%s\t%s" % (
    name, wall, user + sys_, user, sys_, rss, wr, st, c))
PY
}

echo -e "run\twall_s\tcpu_s\tuser_s\tsys_s\tpeak_rss_MB\twritten_MB\tstage_wall_s (manifest)\tcache"
datasets=()
for spec in "$WORK"/sim_*.yaml; do
    ds=$(basename "$spec" .yaml)
    ds=${ds#sim_}
    [ "$spec" = "$WORK/sim_full.yaml" ] && continue
    datasets+=("$ds")
    [ "$SIM_JOINT" = 1 ] && continue
    timed "similarity:$ds" "$spec" "$WORK/out_$ds" | tee -a "$WORK/logs/rows.tsv"
done
if [ "$SIM_JOINT" = 1 ]; then
    timed "similarity:joint-of-$FULL" "$WORK/sim_full.yaml" \
          "$WORK/out_${datasets[0]}" | tee -a "$WORK/logs/rows.tsv"
    # its cache.similarity_timeline composes the study (below)
    cp "$WORK/out_${datasets[0]}/manifest.json" "$WORK/logs/joint-manifest.json"
fi
if [ -f "$WORK/small.yaml" ]; then
    timed "setup:small-datasets(n=$N_SMALL)" "$WORK/small.yaml" \
          "$WORK/out_small" | tee -a "$WORK/logs/setup.tsv"
    base=$WORK/out_small
else
    base=$WORK/out_${datasets[0]}
fi
# A result folder of this spec (all specs are named "paper"), so that
# `simcon run -o all --resume` may replace it and reads its .cache/.
mv "$base" "$WORK/all"
for out in "$WORK"/out_*; do
    cp "$out"/.cache/*.csv "$WORK/all/.cache/"
    rm -rf "$out"
done
timed "statistics:all-23" "$WORK/all.yaml" "$WORK/all" --resume \
      | tee -a "$WORK/logs/rows.tsv"

"$py" - "$WORK/logs/rows.tsv" "$WORK/all/manifest.json" "$FULL" \
      "$WORK/logs/joint-manifest.json" <<'PY'
import json, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
m = json.load(open(sys.argv[2]))
if m["cache"]["computed"] != 0:
    sys.exit("paper_scale: the statistics run recomputed %d matrices; "
             "expected every one from the cache" % m["cache"]["computed"])
sim = [r for r in rows if r[0].startswith("similarity:")]
stat = [r for r in rows if r[0].startswith("statistics:")][0]
D = 23
# A joint run stands for FULL datasets.
per = [int(sys.argv[3]) if r[0].startswith("similarity:joint") else 1
       for r in sim]
sw = sum(float(r[1]) for r in sim) / sum(per)
sc = sum(float(r[2]) for r in sim) / sum(per)
print("# composed: similarity %d x %.1f s wall (%.1f s CPU, mean of %d "
      "full-size datasets) + statistics %.1f s wall (%.1f s CPU) = "
      "%.1f s wall = %.1f min (%.1f CPU-min); peak RSS %s MB" % (
          D, sw, sc, sum(per), float(stat[1]), float(stat[2]),
          D * sw + float(stat[1]), (D * sw + float(stat[1])) / 60,
          (D * sc + float(stat[2])) / 60,
          max(int(r[5]) for r in rows)))
# The same run composed by its timeline (SIM_JOINT=1, FULL >= 2): a study
# of D datasets in one run is the first dataset's start, then one spacing
# per further dataset (from one dataset's prepares ending to the next
# one's: its checksums and prepares, with the products of the one before
# running behind them), then the last dataset's tail (its products and the
# outputs), each once. The spacing is the mean over the measured datasets
# after the first (the first has no products behind it).
import os
jm = sys.argv[4]
if os.path.exists(jm) and int(sys.argv[3]) >= 2:
    j = json.load(open(jm))
    tl = j["cache"]["similarity_timeline"]
    prep = [v["prepared"] for v in tl.values()]
    joint = [r for r in sim if r[0].startswith("similarity:joint")][0]
    jwall = float(joint[1])
    space = [b - a for a, b in zip(prep, prep[1:])]
    mean_space = sum(space) / len(space)
    tail = jwall - prep[-1]
    simw = prep[0] + (D - 1) * mean_space + tail
    total = simw + float(stat[1])
    print("# composed by the timeline: similarity %.1f s (first dataset) + "
          "%d x %.1f s (mean spacing of the later %d: %s) + %.1f s (last "
          "tail) = %.1f s; + statistics %.1f s = %.1f s wall = %.1f min" % (
              prep[0], D - 1, mean_space, len(space),
              " ".join("%.1f" % x for x in space), tail, simw,
              float(stat[1]), total, total / 60))
PY

if [ "$NUMPY" = 1 ]; then
    ds=${datasets[0]}
    # numpy gets simcon's memory budget: past it, its stacked vectors go
    # to a memmap file in $WORK (best_numpy.py), as simcon's go to a spill.
    BEST_NUMPY_MEMORY=$(numfmt --from=iec "$MEMORY") \
    /usr/bin/time -v -o "$WORK/logs/numpy.time" "$py" \
        "$src/tests/bench/best_numpy.py" "$WORK/numpy.npy" \
        "$WORK/features/$ds"/*.npy >"$WORK/logs/numpy.out" 2>&1 || {
        cat "$WORK/logs/numpy.out" >&2
        exit 1
    }
    /usr/bin/time -v -o "$WORK/logs/simcon-matrix.time" "$simcon" matrix \
        -m cka -p kernel=linear --threads "$THREADS" --memory "$MEMORY" \
        --quiet -o "$WORK/matrix.csv" "$WORK/features/$ds"/*.npy
    "$py" - "$WORK/logs/numpy.time" "$WORK/logs/simcon-matrix.time" "$ds" <<'PY'
import sys
def read(tf):
    t = {}
    for line in open(tf):
        k, _, v = line.strip().rpartition(": ")
        t[k] = v
    p = [float(x) for x in t["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")]
    wall = sum(x * 60 ** i for i, x in enumerate(reversed(p)))
    return wall, float(t["User time (seconds)"]) + float(t["System time (seconds)"])
nw, nc = read(sys.argv[1])
sw, sc = read(sys.argv[2])
print("# best numpy vs simcon matrix, %s, linear CKA (64 models): numpy "
      "%.1f s wall %.1f s CPU, simcon %.1f s wall %.1f s CPU: ratio "
      "%.2fx wall, %.2fx CPU" % (sys.argv[3], nw, nc, sw, sc, nw / sw,
                                 nc / sc))
PY
fi
echo "# logs: $WORK/logs"
