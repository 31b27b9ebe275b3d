#!/usr/bin/env bash
# fault.sh CASE SIMCON SOURCE_DIR WORK_DIR [SHIM] [SEED] [POINTS]
# Fault injection into the whole pipeline (issue 18), on the bundled
# example experiments/zoo.yaml (the committed results/zoo):
#
# kill_resume: a reference run, then POINTS (default 10) runs from scratch
#   killed with SIGKILL at seeded random moments, one in each tenth of the
#   reference run's duration; after each kill no partial result is in place, and
#   --resume (which harvests the killed run's cached matrices) gives every
#   file byte for byte as the reference (manifest.json and report.html
#   differ only in wall times and cache counts, which are filtered out).
#   Everything runs on a private tmpfs (unshare -m).
# kill_resume_overlap: the same with every embedding matrix spilled
#   (--memory 1M, SIMCON_WORKER_RESERVE=0, --threads 2), so that each
#   dataset's products run behind the next dataset's prepare (every E
#   spilled: checked on the reference run's manifest); the kills spread
#   over the similarity stage only (from the launch to its end in the
#   reference run), and no spill file may be left in TMPDIR (on the
#   tmpfs) after a kill.
#   SIMCON_SPILL_FREE_BYTES stands for the tmpfs's free space.
# enospc: SHIM (enospc_shim.so, LD_PRELOAD) makes the N-th write() and
#   every later one fail with ENOSPC. For the small experiments/example.yaml
#   every write point N = 1..W of a run is tried; for the zoo POINTS seeded
#   write points (all of them when POINTS is "all": label slow). Each
#   failing run must exit 1 with one line naming "No space left on device",
#   leave the previous result byte for byte, and leave nothing beside it.
set -uo pipefail
case_=$1 simcon=$2 src=$3 work=$4 shim=${5:-} seed=${6:-18} points=${7:-10}
T="$work/$case_"
# Work on a private tmpfs (unshare -m): fsync is free there, so the test's
# time is simcon's, not the disk's, and nothing is left on the machine.
if [ -z "${SC_FAULT_NS:-}" ]; then
  [ "$(id -u)" = 0 ] || { echo "FAIL: needs root (unshare -m)"; exit 1; }
  rm -rf "$T" && mkdir -p "$T" || exit 1
  SC_FAULT_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
mount -t tmpfs -o size=1g simcon-fault "$T" || exit 1
export OPENBLAS_NUM_THREADS=1
fail=0
bad() { echo "FAIL: $*"; fail=1; }
zoo="$src/experiments/zoo.yaml"

# same A B: the two result folders hold the same files with the same bytes
# (manifest.json and report.html with the wall-time and cache lines
# removed).
same() {
  local a=$1 b=$2 f rel
  if [ "$(cd "$a" && find . -type f | sort)" != "$(cd "$b" && find . -type f | sort)" ]; then
    echo "file lists differ: $(diff <(cd "$a" && find . -type f | sort) <(cd "$b" && find . -type f | sort) | head -5)"
    return 1
  fi
  while IFS= read -r f; do
    rel=${f#./}
    case "$rel" in
      manifest.json|report.html)
        cmp -s <(grep -v 'wall_seconds\|"cache"\|&quot;cache&quot;' "$a/$rel") \
               <(grep -v 'wall_seconds\|"cache"\|&quot;cache&quot;' "$b/$rel") ||
          { echo "differs: $rel"; return 1; } ;;
      *) cmp -s "$a/$rel" "$b/$rel" || { echo "differs: $rel"; return 1; } ;;
    esac
  done < <(cd "$a" && find . -type f)
  return 0
}

# N seeded random numbers in (0, 1), one per line, stratified: the k-th is
# uniform in ((k-1)/N, k/N), so the points cover the whole run (awk's
# srand/rand: the same seed gives the same points on every run).
uniform() { awk -v s="$1" -v n="$2" 'BEGIN { srand(s); for (i = 0; i < n; i++) printf "%.4f\n", (i + 0.02 + 0.96 * rand()) / n }'; }

# kill_points WINDOW ARGS...: POINTS runs from scratch, each killed with
# SIGKILL at a seeded moment in WINDOW seconds after its launch, then
# resumed; each must end byte for byte as $T/ref/zoo (run with ARGS).
kill_points() {
  local window=$1 k=0 u delay pid st reused
  shift
  for u in $(uniform "$seed" "$points"); do
    k=$((k + 1))
    delay=$(awk -v u="$u" -v d="$window" 'BEGIN { printf "%.3f", u * d }')
    # Each point starts from nothing, is killed, and is resumed: the
    # resume harvests the killed run's cached matrices.
    rm -rf "$T/out"
    "$simcon" run "$zoo" -o "$T/out/zoo" "$@" --quiet >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    st=$?
    # A kill can land after the run's final rename, while it exits: then
    # the result in place must be the whole result, never a part of it.
    if [ -e "$T/out/zoo" ] && [ $st = 137 ]; then
      same "$T/ref/zoo" "$T/out/zoo" >/dev/null ||
        bad "point $k: a partial result in place"
    fi
    [ -z "$(ls "$T/out" | grep -v '^zoo$\|^zoo\.tmp-\|^zoo\.simcon-lock$')" ] ||
      bad "unexpected files beside the result: $(ls "$T/out")"
    [ -z "${TMPDIR:-}" ] || [ -z "$(ls -A "$TMPDIR")" ] ||
      bad "point $k: left in TMPDIR: $(ls -A "$TMPDIR")"
    "$simcon" run "$zoo" -o "$T/out/zoo" "$@" --quiet --resume \
      2>"$T/err" || bad "point $k: --resume failed: $(cat "$T/err")"
    reused=$(grep -o '"reused": [0-9]*' "$T/out/zoo/manifest.json")
    echo "point $k: killed at ${delay} s (exit $st), resume ${reused}"
    same "$T/ref/zoo" "$T/out/zoo" || bad "point $k: --resume is not byte-identical"
    [ "$(ls "$T/out")" = zoo ] || bad "point $k: left-overs: $(ls "$T/out")"
  done
}

case "$case_" in
kill_resume)
  t0=$(date +%s.%N)
  "$simcon" run "$zoo" -o "$T/ref/zoo" --threads 1 --quiet || exit 1
  dur=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  echo "reference run: $dur s"
  kill_points "$dur" --threads 1
  ;;
kill_resume_overlap)
  # The tmpfs of 1 GiB is below the spill's margin of 1 GiB: its free
  # space is given (test-only override; the spill needs about 50 MB).
  export SIMCON_WORKER_RESERVE=0 TMPDIR="$T/tmp" SIMCON_SPILL_FREE_BYTES=536870912
  mkdir -p "$TMPDIR" || exit 1
  args=(--threads 2 --memory 1M)
  t0=$(date +%s.%N)
  "$simcon" run "$zoo" -o "$T/ref/zoo" "${args[@]}" --quiet || exit 1
  dur=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  m="$T/ref/zoo/manifest.json"
  # Every E spilled, in one pass per dataset, no model blocks and no
  # stimulus replicates: the condition under which a dataset's products
  # run behind the next one's prepare (tests/run/overlap.sh shows that
  # they do, on its progress line).
  [ "$(grep -o '"spilled": true' "$m" | wc -l)" -gt 0 ] &&
    ! grep -q '"spilled": false' "$m" ||
    bad "the reference run kept an E in memory: not overlapped"
  # From the launch to the similarity stage's end: the process's time
  # outside the stages (before them) plus the similarity stage.
  window=$(awk -v d="$dur" \
    -v t="$(grep -o '"wall_seconds": {.*"total": [0-9.e+-]*' "$m" | sed 's/.*"total": //')" \
    -v s="$(grep -o '"wall_seconds": {"similarity": [0-9.e+-]*' "$m" | sed 's/.*: //')" \
    'BEGIN { w = d - t + s; print (w > 0 && w < d) ? w : d }')
  echo "reference run: $dur s, similarity stage ends about $window s after launch"
  kill_points "$window" "${args[@]}"
  ;;
enospc)
  [ -f "$shim" ] || { echo "FAIL: no shim $shim"; exit 1; }
  for spec in "$src/experiments/example.yaml" "$zoo"; do
    name=$(basename "$spec" .yaml)
    out="$T/$name/$name"
    "$simcon" run "$spec" -o "$out" --threads 1 --quiet || exit 1
    cp -a "$out" "$T/prev"
    # How many write points does a run have?
    SC_ENOSPC_AT=0 SC_ENOSPC_COUNT="$T/count" LD_PRELOAD="$shim" \
      "$simcon" run "$spec" -o "$out" --threads 1 --quiet --resume || exit 1
    w=$(cat "$T/count")
    same "$T/prev" "$out" || bad "$name: the counting run changed the result"
    if [ "$name" = example ] || [ "$points" = all ]; then
      list=$(seq 1 "$w")
    else
      list=$( (echo 1; echo "$w"; uniform "$seed" "$points" |
               awk -v w="$w" '{ print 1 + int($1 * w) }') | sort -n | uniq)
    fi
    n=0
    for at in $list; do
      n=$((n + 1))
      SC_ENOSPC_AT=$at LD_PRELOAD="$shim" \
        "$simcon" run "$spec" -o "$out" --threads 1 --quiet --resume \
        >/dev/null 2>"$T/err"
      st=$?
      [ $st = 1 ] || bad "$name: ENOSPC at write $at: exit $st, want 1"
      grep -q "No space left on device" "$T/err" ||
        bad "$name: ENOSPC at write $at: message $(cat "$T/err")"
      [ "$(grep -c '' "$T/err")" = 1 ] || bad "$name: write $at: not one line"
      same "$T/prev" "$out" || bad "$name: ENOSPC at write $at changed the previous result"
      [ "$(ls -A "$T/$name")" = "$name" ] ||
        bad "$name: ENOSPC at write $at left: $(ls -A "$T/$name")"
    done
    echo "$name: $w write points, ENOSPC injected at $n of them; previous result intact"
    rm -rf "$T/prev"
  done
  ;;
*) echo "unknown case $case_"; exit 2 ;;
esac
[ $fail = 0 ] && echo "ok: $case_"
exit $fail
