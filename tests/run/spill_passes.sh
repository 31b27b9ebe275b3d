#!/usr/bin/env bash
# spill_passes.sh CASE SIMCON WORK_DIR PYTHON
# The similarity stage's spill files and passes (core/run/run_simmat.c,
# plan_passes; core/host/spill.c), through the real binary on a small
# study: 4 models x 2 datasets x n = 300 stimuli and the paper's three
# metrics (cka linear, cka rbf, rsa spearman). Every metric's embedding
# matrix E is 4 x 44,850 doubles = 1,435,200 bytes (n(n-1)/2 entries, the
# unbiased CKA and RSA lengths), so with --memory 1M every E spills and
# all three need 4,305,600 bytes. SIMCON_SPILL_FREE_BYTES (test-only)
# sets the bytes the spill may use.
#   passes     limits giving 1, 2 and 3 passes (and, with a budget of
#              2,000,000 bytes, an E that is in memory in one grouping and
#              spilled in another) give byte-identical similarity CSVs; the
#              pass count is in the notice and in manifest.json. Before the
#              fix there were no passes, one pass whatever the disk; and the
#              engine summed an E in memory in one SYRK but a spilled one in
#              blocks of 31,250 columns, so rsa's matrix differed in the
#              last bits between the groupings (seen with that change
#              reverted).
#   too_small  a limit below one metric's E fails before computing: one
#              line naming the folder, the bytes needed and free, what to
#              do; exit 1; no output folder. Before: the run started and
#              failed at a write minutes later.
#   reserve    a 1 MiB tmpfs as TMPDIR (unshare -m, root): with the limit
#              lifted the spill file's reservation fails at once, naming
#              the folder and the bytes (before: ftruncate made a sparse
#              file and a write failed mid-run with "write of ... bytes at
#              offset ... failed"); without it, the free space of the tmpfs
#              fails the plan before computing.
#   estimate   simcon check --estimate prints the passes and fails when a
#              metric cannot fit; its spilled bytes use --memory (before:
#              "0 MiB of it spilled" whenever runtime.memory was unset).
#   workers    the running workers' prepare memory is reserved before the
#              E's (issues 13, 14; before, --memory 6M kept the 4.3 MB of
#              E's in memory with 5.2 MB of workers on top), a budget below
#              it gives one note per dataset and still runs, the bits do
#              not depend on it, and check --estimate --threads N reserves
#              N workers. The other cases set SIMCON_WORKER_RESERVE=0.
set -uo pipefail
case_=$1 simcon=$2 work=$3 py=${4:-python3}
T="$work/spill_${case_%_ns}"
if [ "${case_%_ns}" = "$case_" ]; then
  rm -rf "$T" && mkdir -p "$T" || exit 1
fi
export OPENBLAS_NUM_THREADS=1
unset SIMCON_SPILL_FREE_BYTES
# The placement of E's at budgets of a few MB, without the workers' reserve
# (sc_plan_reserve, test-only override; the case "workers" of
# spill_passes.sh tests the reserve itself).
export SIMCON_WORKER_RESERVE=0
fail=0
bad() { echo "FAIL: $*"; fail=1; }
one_line() { # FILE: stderr must be exactly one line
  [ "$(grep -c '' "$1")" = 1 ] || bad "stderr is not one line: $(cat "$1")"
}

. "$(dirname "$0")/study.sh" # make_study

# run NAME LIMIT MEMORY: simcon run into $T/NAME (stderr in $T/NAME.err).
run() {
  SIMCON_SPILL_FREE_BYTES=$2 "$simcon" run "$T/study/spec.yaml" -o "$T/$1" \
    --threads 2 --memory "$3" >/dev/null 2>"$T/$1.err"
}
same_sims() { # A B: every similarity CSV byte-identical
  local n=0
  for f in "$T/$1"/similarity/*/*.csv; do
    local rel=${f#"$T/$1/"}
    cmp -s "$f" "$T/$2/$rel" || bad "$2: $rel differs from $1"
    n=$((n + 1))
  done
  [ $n = 6 ] || bad "$1: $n similarity files, want 6"
}
passes_are() { # NAME N: notice and manifest say N passes for both datasets
  local want="$2 pass"
  [ "$2" = 1 ] || want="$2 passes"
  [ "$(grep -c "states need .* of spill .*: $want (the Gram" "$T/$1.err")" = 2 ] ||
    bad "$1: want two notices of $want: $(cat "$T/$1.err")"
  local m
  m=$(grep -o '"similarity_passes": {[^}]*}' "$T/$1/manifest.json")
  [ "$m" = "\"similarity_passes\": {\"a\": $2, \"b\": $2}" ] ||
    bad "$1: manifest: $m"
}

case "$case_" in
passes)
  make_study
  run one 10000000 1M || bad "one pass: $(cat "$T/one.err")"
  run two 3000000 1M || bad "two passes: $(cat "$T/two.err")"
  run three 1500000 1M || bad "three passes: $(cat "$T/three.err")"
  passes_are one 1
  passes_are two 2
  passes_are three 3
  same_sims one two
  same_sims one three
  # --memory 2000000: one pass keeps cka_linear's E in memory and spills
  # the other two; two passes (limit 2 MB) keep rsa's in memory in its own
  # pass.
  run mixed1 10000000 2000000 || bad "mixed, one pass: $(cat "$T/mixed1.err")"
  run mixed2 2000000 2000000 || bad "mixed, two passes: $(cat "$T/mixed2.err")"
  passes_are mixed1 1
  passes_are mixed2 2
  same_sims mixed1 mixed2
  ;;
too_small)
  make_study
  run small 1000000 1M
  st=$?
  [ $st = 1 ] || bad "exit $st, want 1"
  one_line "$T/small.err"
  grep -q "dataset 'a', metric 'cka_linear': before computing: .*: the spill file needs 1435200 bytes (1.4 MB) but only 1.0 MB of the 1.0 MB free there may be used .*; free disk space, set TMPDIR to a bigger disk, or raise --memory" "$T/small.err" ||
    bad "message: $(cat "$T/small.err")"
  [ ! -e "$T/small" ] || bad "an output folder was left"
  ;;
reserve)
  [ "$(id -u)" = 0 ] || { echo "FAIL: needs root (unshare -m)"; exit 1; }
  make_study
  exec unshare -m --propagation private bash "$0" reserve_ns "$simcon" "$work" "$py"
  ;;
reserve_ns)
  mkdir -p "$T/tmpfs" && mount -t tmpfs -o size=1m simcon-test "$T/tmpfs" || exit 1
  TMPDIR="$T/tmpfs" SIMCON_SPILL_FREE_BYTES=100000000000 "$simcon" run --quiet \
    "$T/study/spec.yaml" -o "$T/lied" --memory 1M >/dev/null 2>"$T/lied.err"
  st=$?
  [ $st = 1 ] || bad "reservation: exit $st, want 1"
  one_line "$T/lied.err"
  # 1,435,200 bytes of E; 1,441,792 with O_DIRECT (tmpfs takes it from
  # Linux 6.6), whose 4 rows of 358,800 bytes are padded to 360,448
  # (core/host/spill.h, SC_SPILL_ALIGN).
  grep -q "$T/tmpfs: the spill file needs \(1435200\|1441792\) bytes (1.4 MB) but [0-9.]* [kMB]* are free there (No space left on device); free disk space, set TMPDIR to a bigger disk, or raise --memory" "$T/lied.err" ||
    bad "reservation message: $(cat "$T/lied.err")"
  [ ! -e "$T/lied" ] || bad "reservation: an output folder was left"
  [ -z "$(ls -A "$T/tmpfs")" ] || bad "files left in the spill folder: $(ls -A "$T/tmpfs")"
  # The real free space (about 1 MB, less the margin of 1 GiB: nothing).
  TMPDIR="$T/tmpfs" "$simcon" run "$T/study/spec.yaml" -o "$T/real" --memory 1M \
    >/dev/null 2>"$T/real.err"
  st=$?
  [ $st = 1 ] || bad "plan: exit $st, want 1"
  one_line "$T/real.err"
  grep -q "before computing: $T/tmpfs: the spill file needs 1435200 bytes (1.4 MB) but only 0 bytes of the 1.0 MB free there may be used" "$T/real.err" ||
    bad "plan message: $(cat "$T/real.err")"
  umount "$T/tmpfs"
  ;;
estimate)
  make_study
  SIMCON_SPILL_FREE_BYTES=3000000 "$simcon" check --quick --estimate --memory 1M \
    "$T/study/spec.yaml" >"$T/est.out" 2>"$T/est.err" || bad "estimate: $(cat "$T/est.err")"
  [ "$(grep -c "similarity [ab]: the 3 metrics' states need 4.3 MB of spill beyond the memory budget (1.0 MB), 3.0 MB free in .*: 2 passes, the largest spilling 2.9 MB" "$T/est.out")" = 2 ] ||
    bad "estimate passes: $(cat "$T/est.out")"
  grep -q "embedding matrix up to 1 MiB, 1 MiB of it spilled to a file past the memory budget (1 MiB)" "$T/est.out" ||
    bad "estimate spilled bytes: $(grep 'embedding matrix' "$T/est.out")"
  SIMCON_SPILL_FREE_BYTES=1000000 "$simcon" check --quick --estimate --memory 1M \
    "$T/study/spec.yaml" >"$T/est2.out" 2>"$T/est2.err"
  st=$?
  [ $st = 1 ] || bad "estimate that cannot fit: exit $st, want 1"
  grep -q "similarity a: metric 'cka_linear' alone needs 1.4 MB of spill beyond the memory budget (1.0 MB) but 1.0 MB may be used of the 1.0 MB free in .*: the run would fail" "$T/est2.out" ||
    bad "estimate failure line: $(cat "$T/est2.out")"
  one_line "$T/est2.err"
  # Without --memory and runtime.memory: the runner's default (half of RAM)
  # holds everything: nothing spilled, one pass.
  "$simcon" check --quick --estimate "$T/study/spec.yaml" >"$T/est3.out" 2>&1 ||
    bad "estimate, default budget: $(cat "$T/est3.out")"
  [ "$(grep -c "nothing spilled, 1 pass" "$T/est3.out")" = 2 ] ||
    bad "estimate, default budget: $(cat "$T/est3.out")"
  ;;
workers)
  # The workers' reserve (issues 13, 14): 2 threads x 9/8 (24 n^2 + 20 n
  # dmax) = 2.25 x (24 x 300^2 + 20 x 300 x 25) = 5,197,500 bytes
  # (sc_plan_worker_bytes; n = 300, dmax = 25) come off the budget before
  # the E's (4.3 MB). Before, --memory 6M kept every E in memory, and the
  # process used the E's plus the workers' prepare memory on top.
  unset SIMCON_WORKER_RESERVE
  make_study
  run roomy 100000000000 10M || bad "10M: $(cat "$T/roomy.err")"
  run tight 100000000000 6M || bad "6M: $(cat "$T/tight.err")"
  run tiny 100000000000 1M || bad "1M: $(cat "$T/tiny.err")"
  ! grep -q "of spill\|need about" "$T/roomy.err" || bad "10M: notices: $(cat "$T/roomy.err")"
  [ "$(grep -c "the 3 metrics' states need 4.3 MB of spill beyond the memory budget (6.3 MB)" "$T/tight.err")" = 2 ] ||
    bad "6M: every E spills: $(cat "$T/tight.err")"
  [ "$(grep -c 'similarity [ab]: 2 worker thread(s) need about 5.2 MB to prepare the models (n = 300), more than the memory budget (1.0 MB): every embedding matrix spills' "$T/tiny.err")" = 2 ] ||
    bad "1M: one note per dataset: $(cat "$T/tiny.err")"
  [ "$(grep -o '"spilled": true' "$T/tight/manifest.json" | wc -l)" = 6 ] ||
    bad "6M: manifest: $(grep -o '"spilled": [a-z]*' "$T/tight/manifest.json")"
  [ "$(grep -o '"spilled": false' "$T/roomy/manifest.json" | wc -l)" = 6 ] ||
    bad "10M: manifest: $(grep -o '"spilled": [a-z]*' "$T/roomy/manifest.json")"
  same_sims roomy tight
  same_sims roomy tiny
  # check --estimate with the run's thread count: 2 workers leave 1.1 MB of
  # 6M (every E spills), 1 worker 3.7 MB (two E's of 1.4 MB stay).
  "$simcon" check --quick --estimate --memory 6M --threads 2 \
    "$T/study/spec.yaml" >"$T/w2.out" 2>&1 || bad "estimate: $(cat "$T/w2.out")"
  "$simcon" check --quick --estimate --memory 6M --threads 1 \
    "$T/study/spec.yaml" >"$T/w1.out" 2>&1 || bad "estimate: $(cat "$T/w1.out")"
  [ "$(grep -c "2 worker thread(s) reserve 5.2 MB of the memory budget (6.3 MB) for their prepare memory; the embedding matrices get the rest (1.1 MB)" "$T/w2.out")" = 2 ] ||
    bad "estimate, 2 threads: $(cat "$T/w2.out")"
  [ "$(grep -c "states need 4.3 MB of spill" "$T/w2.out")" = 2 ] ||
    bad "estimate, 2 threads, spill: $(cat "$T/w2.out")"
  [ "$(grep -c "1 worker thread(s) reserve 2.6 MB of the memory budget (6.3 MB) for their prepare memory; the embedding matrices get the rest (3.7 MB)" "$T/w1.out")" = 2 ] ||
    bad "estimate, 1 thread: $(cat "$T/w1.out")"
  ;;
*) echo "unknown case $case_"; exit 2 ;;
esac
[ $fail = 0 ] && echo "ok: $case_"
exit $fail
