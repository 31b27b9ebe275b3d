#!/bin/sh
# Similarity stage of the paper's three metrics (cka linear, cka rbf
# sigma=0.4, rsa correlation/spearman; experiments/paper.yaml) on one
# dataset, two builds alternated (issue 13: one shared Gram per model).
# NOT part of the test run. Usage, from the repository root:
#   tests/bench/gram_bench.sh OLD_BUILD NEW_BUILD [M N DMIN DMAX REPS THREADS]
# defaults: 20 models, n = 2500, d = 800..1200 (float32, tests/bench/gen.py
# seed 13), 3 repetitions, 1 thread. The spec has no analyses, so the run
# is the similarity stage plus the (small) tables, figures and report.
# Prints, per run, the process CPU time (user + sys, /usr/bin/time), the
# wall time, the similarity stage's wall time (manifest.json) and the peak
# RSS, and checks that every run of NEW writes the same similarity
# matrices (cmp) as its first run.
set -eu
old=${1:?usage: gram_bench.sh OLD_BUILD NEW_BUILD [M N DMIN DMAX REPS THREADS]}
new=${2:?usage: gram_bench.sh OLD_BUILD NEW_BUILD [M N DMIN DMAX REPS THREADS]}
m=${3:-20}
n=${4:-2500}
dmin=${5:-800}
dmax=${6:-1200}
reps=${7:-3}
threads=${8:-1}
here=$(cd "$(dirname "$0")" && pwd)
work=${TMPDIR:-/tmp}/simcon-gram-bench
mkdir -p "$work/features"
if [ ! -f "$work/features/bench/model00.npy" ] || \
   [ "$(cat "$work/shape" 2>/dev/null)" != "$m $n $dmin $dmax" ]; then
    rm -rf "$work/features/bench"
    /usr/bin/python3 "$here/gen.py" "$work/features/bench" "$m" "$n" \
        "$dmin" "$dmax" 13
    echo "$m $n $dmin $dmax" > "$work/shape"
fi
spec=$work/spec.yaml
{
    echo "name: gram-bench"
    echo "seed: 13"
    echo "data: {root: features, features: \"{dataset}/{model}.npy\", normalize: l2}"
    echo "models:"
    i=0
    while [ "$i" -lt "$m" ]; do
        printf '  - {name: model%02d, group: g%d}\n' "$i" $((i % 2))
        i=$((i + 1))
    done
    echo "datasets:"
    echo "  - {name: bench}"
    echo "metrics:"
    echo "  - {name: cka_linear, plugin: cka, params: {kernel: linear}}"
    echo "  - {name: cka_rbf_0.4, plugin: cka, params: {kernel: rbf, sigma: 0.4}}"
    echo "  - {name: rsa_correlation_spearman, plugin: rsa, params: {rdm: correlation, corr: spearman}}"
} > "$spec"
one() { # label build run
    out=$work/out-$1-$3
    rm -rf "$out"
    SIMCON_PLUGIN_PATH="$2/plugins" OPENBLAS_NUM_THREADS=1 \
        /usr/bin/time -f "%U %S %e %M" -o "$work/time" \
        "$2/simcon" run "$spec" -o "$out" --threads "$threads" --quiet \
        > /dev/null
    read -r u s e rss < "$work/time"
    cpu=$(echo "$u + $s" | bc)
    sim=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['wall_seconds']['similarity'])" "$out/manifest.json" 2>/dev/null || echo "?")
    echo "$1 run $3: cpu ${cpu} s (user $u, sys $s), wall $e s, similarity stage wall $sim s, peak RSS $((rss / 1024)) MB"
}
r=1
while [ "$r" -le "$reps" ]; do
    one old "$old" "$r"
    one new "$new" "$r"
    if [ "$r" -gt 1 ]; then
        for f in "$work/out-new-1/similarity/bench/"*.csv; do
            cmp "$f" "$work/out-new-$r/similarity/bench/$(basename "$f")"
        done
    fi
    r=$((r + 1))
done
