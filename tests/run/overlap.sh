#!/usr/bin/env bash
# overlap.sh CASE SIMCON WORK_DIR PYTHON
# One dataset's products behind the next dataset's prepare (issue 13;
# core/run/run_simmat.c, "Overlapped datasets"), through the real binary
# on a small study: 4 models x 3 datasets x n = 300 stimuli and the paper's
# three metrics. Every metric's E is 4 x 44,850 doubles = 1.4 MB, so with
# --memory 1M (and no workers' reserve, SIMCON_WORKER_RESERVE=0) every E
# spills and the products of datasets a and b run in the background.
#   same   the 3-dataset run at --threads 1 and 2, --memory 1M and 3M (the
#          E's spill: overlapped) and 2000000 (cka_linear's E stays in
#          memory: not overlapped) gives similarity CSVs and cache files
#          byte-identical to those of the datasets run one per process (an
#          independent path: a run's last dataset is never overlapped);
#          the progress line (a terminal, through script(1)) shows b's and
#          c's prepares with a's and b's products behind them; the
#          manifest's similarity_timeline orders each dataset's prepares
#          before its storing, in dataset order (and, not overlapped, each
#          dataset done before the next one's prepares end).
#   fault  an injected failure (SIMCON_FAULT_PRODUCTS, test-only) in the
#          background products of dataset a (its 2nd metric, cka_rbf)
#          while b prepares, and in the foreground products of the last
#          dataset c (its 1st metric): one line naming the dataset and the
#          metric, exit 1, no output folder, no spill file left.
set -uo pipefail
case_=$1 simcon=$2 work=$3 py=${4:-python3}
T="$work/overlap_$case_"
rm -rf "$T" && mkdir -p "$T/tmp" || exit 1
export OPENBLAS_NUM_THREADS=1 SIMCON_WORKER_RESERVE=0 TMPDIR="$T/tmp"
unset SIMCON_SPILL_FREE_BYTES SIMCON_FAULT_PRODUCTS
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# spec NAME DATASETS...: $T/study/NAME.yaml on those datasets.
"$py" - "$T/study" <<'PY' || exit 1
import os, sys
import numpy as np
root = sys.argv[1]
rng = np.random.default_rng(29)
for ds in ["a", "b", "c"]:
    os.makedirs(os.path.join(root, ds), exist_ok=True)
    base = rng.standard_normal((300, 12))
    for i in range(4):
        d = 16 + 3 * i  # 2 d^2 > n: linear CKA on its Gram path (embedding)
        x = base @ rng.standard_normal((12, d)) + 0.5 * rng.standard_normal((300, d))
        np.save(os.path.join(root, ds, "m%d.npy" % i), x.astype(np.float32))
def spec(name, datasets):
    with open(os.path.join(root, name + ".yaml"), "w") as f:
        f.write("""name: overlap
seed: 7
data: {root: ., features: "{dataset}/{model}.npy", normalize: l2}
models:
  - {name: m0, family: a}
  - {name: m1, family: a}
  - {name: m2, family: b}
  - {name: m3, family: b}
datasets:
%s
metrics:
  - {name: cka_linear, plugin: cka, params: {kernel: linear}}
  - {name: cka_rbf, plugin: cka, params: {kernel: rbf, sigma: 0.4}}
  - {name: rsa, plugin: rsa, params: {rdm: correlation, corr: spearman}}
analyses:
  consistency: {correlation: pearson}
statistics: {permutations: 99, bootstrap: 0, over: models}
""" % "\n".join("  - {name: %s, domain: x%d}" % (d, i) for i, d in enumerate(datasets)))
spec("all", ["a", "b", "c"])
for d in ["a", "b", "c"]:
    spec("only_" + d, [d])
PY

# run NAME SPEC THREADS MEMORY [ARGS...]: simcon run into $T/NAME.
run() {
  local name=$1 spec=$2 th=$3 mem=$4
  shift 4
  "$simcon" run "$T/study/$spec.yaml" -o "$T/$name" --threads "$th" \
    --memory "$mem" "$@" >/dev/null 2>"$T/$name.err"
}
# same_as_single NAME: every similarity CSV and cache file of $T/NAME
# byte-identical to those of the one-dataset runs.
same_as_single() {
  local n=0
  for d in a b c; do
    for f in "$T/single_$d"/similarity/$d/*.csv "$T/single_$d"/.cache/*.csv; do
      local rel=${f#"$T/single_$d/"}
      cmp -s "$f" "$T/$1/$rel" || bad "$1: $rel differs from the run of $d alone"
      n=$((n + 1))
    done
  done
  [ $n = 18 ] || bad "$1: $n files compared, want 18"
}

case "$case_" in
same)
  for d in a b c; do
    run single_$d only_$d 2 1M || bad "$d alone: $(cat "$T/single_$d.err")"
  done
  run t2_1M all 2 1M || bad "t2 1M: $(cat "$T/t2_1M.err")"
  run t1_1M all 1 1M || bad "t1 1M: $(cat "$T/t1_1M.err")"
  run t2_3M all 2 3M || bad "t2 3M: $(cat "$T/t2_3M.err")"
  run t2_mixed all 2 2000000 || bad "t2 2000000: $(cat "$T/t2_mixed.err")"
  for r in t2_1M t1_1M t2_3M t2_mixed; do same_as_single $r; done
  # manifest.json's cache.similarity_timeline: each dataset's prepares end
  # before its matrices are stored, in dataset order, within the stage;
  # without the overlap (t2_mixed) a dataset is done before the next one's
  # prepares end.
  for r in t2_1M t2_mixed; do
    "$py" - "$T/$r/manifest.json" $r <<'PY' || bad "$r: similarity_timeline"
import json, sys
m = json.load(open(sys.argv[1]))
tl = m["cache"]["similarity_timeline"]
wall = m["wall_seconds"]["similarity"]
assert list(tl) == ["a", "b", "c"], tl
p = [tl[d]["prepared"] for d in "abc"]
q = [tl[d]["done"] for d in "abc"]
assert all(0 < p[i] <= q[i] <= wall for i in range(3)), (tl, wall)
assert p[0] <= p[1] <= p[2], tl
if sys.argv[2] == "t2_mixed":
    assert q[0] <= p[1] and q[1] <= p[2], tl
PY
  done
  command -v script >/dev/null || bad "script(1) is missing (util-linux)"
  script -qec "'$simcon' run '$T/study/all.yaml' -o '$T/tty' --threads 2 --memory 1M" \
    /dev/null >"$T/tty.out" 2>&1 || bad "run on a terminal: $(tail -3 "$T/tty.out")"
  grep -aq "similarity b (+ a products) prepare" "$T/tty.out" ||
    bad "no line of b's prepare with a's products behind it"
  grep -aq "similarity c (+ b products) prepare" "$T/tty.out" ||
    bad "no line of c's prepare with b's products behind it"
  same_as_single tty
  [ -z "$(ls -A "$T/tmp")" ] || bad "files left in TMPDIR: $(ls -A "$T/tmp")"
  ;;
fault)
  # fault K DATASET METRIC: the K-th products fails.
  fault() {
    SIMCON_FAULT_PRODUCTS=$1 run f$1 all 2 1M --quiet
    local st=$?
    [ $st = 1 ] || bad "fault $1: exit $st, want 1"
    [ "$(grep -c '' "$T/f$1.err")" = 1 ] || bad "fault $1: stderr is not one line: $(cat "$T/f$1.err")"
    grep -q "dataset '$2', metric '$3' (models numbered from 0 in spec order): spill file: read failed (injected by SIMCON_FAULT_PRODUCTS=$1" "$T/f$1.err" ||
      bad "fault $1: message: $(cat "$T/f$1.err")"
    [ ! -e "$T/f$1" ] || bad "fault $1: an output folder was left"
    [ -z "$(ls -A "$T/tmp")" ] || bad "fault $1: files left in TMPDIR: $(ls -A "$T/tmp")"
  }
  fault 2 a cka_rbf # background, while b prepares
  fault 6 b rsa     # background, while c prepares
  fault 7 c cka_linear # the last dataset: foreground
  ;;
*) echo "unknown case $case_"; exit 2 ;;
esac
[ $fail = 0 ] && echo "ok: $case_"
exit $fail
