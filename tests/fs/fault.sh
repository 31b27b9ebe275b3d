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

case "$case_" in
kill_resume)
  t0=$(date +%s.%N)
  "$simcon" run "$zoo" -o "$T/ref/zoo" --threads 1 --quiet || exit 1
  dur=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  echo "reference run: $dur s"
  k=0
  for u in $(uniform "$seed" "$points"); do
    k=$((k + 1))
    delay=$(awk -v u="$u" -v d="$dur" 'BEGIN { printf "%.3f", u * d }')
    # Each point starts from nothing, is killed, and is resumed: the
    # resume harvests the killed run's cached matrices.
    rm -rf "$T/out"
    "$simcon" run "$zoo" -o "$T/out/zoo" --threads 1 --quiet \
      >/dev/null 2>&1 &
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
    "$simcon" run "$zoo" -o "$T/out/zoo" --threads 1 --quiet --resume \
      2>"$T/err" || bad "point $k: --resume failed: $(cat "$T/err")"
    reused=$(grep -o '"reused": [0-9]*' "$T/out/zoo/manifest.json")
    echo "point $k: killed at ${delay} s (exit $st), resume ${reused}"
    same "$T/ref/zoo" "$T/out/zoo" || bad "point $k: --resume is not byte-identical"
    [ "$(ls "$T/out")" = zoo ] || bad "point $k: left-overs: $(ls "$T/out")"
  done
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
