#!/usr/bin/env bash
# fs_cases.sh CASE SIMCON SOURCE_DIR WORK_DIR
# Regression tests of issue 18's file-system defects, one CASE per CTest
# test, each through the real binary. Tests that need root for device nodes
# or mounts re-run themselves inside a private mount namespace
# (unshare -m), so the machine's own /dev and mounts are never touched.
# Each case fails on the code before its fix (noted per case).
set -uo pipefail
case_=$1 simcon=$2 src=$3 work=$4
T="$work/${case_%_ns}"
[ "${case_%_ns}" = "$case_" ] && { rm -rf "$T" && mkdir -p "$T" || exit 1; }
export OPENBLAS_NUM_THREADS=1
fail=0
bad() { echo "FAIL: $*"; fail=1; }
one_line() { # FILE: stderr must be exactly one line
  [ "$(grep -c '' "$1")" = 1 ] || bad "stderr is not one line: $(cat "$1")"
}
# Private mount namespace for cases that mount or make device nodes.
in_ns() {
  [ "$(id -u)" = 0 ] || { echo "FAIL: needs root (unshare -m)"; exit 1; }
  exec unshare -m --propagation private bash "$0" "$1" "$simcon" "$src" "$work"
}

case "$case_" in
plot_symlinked_figures)
  # Defect 1: `simcon plot DIR` with DIR/figures a link to another folder
  # removed every entry of the link's target; a figures.old.<pid> was left.
  # Before the fix the canary below was deleted.
  cp -r "$src/results/zoo" "$T/zoo"
  mkdir "$T/outside" && echo alive >"$T/outside/canary.svg"
  rm -rf "$T/zoo/figures" && ln -s "$T/outside" "$T/zoo/figures"
  "$simcon" plot "$T/zoo" >"$T/out" 2>"$T/err"
  [ $? = 1 ] || bad "plot with a linked figures folder: want exit 1"
  grep -q "figures: is not a folder (a symbolic link or file)" "$T/err" ||
    bad "message: $(cat "$T/err")"
  one_line "$T/err"
  [ "$(cat "$T/outside/canary.svg" 2>/dev/null)" = alive ] ||
    bad "a file outside the result folder was removed"
  [ -L "$T/zoo/figures" ] || bad "the link itself was replaced"
  # A dangling figures.old.<pid> of an earlier crashed plot is cleaned up
  # by the next successful plot (before the fix it stayed forever).
  rm "$T/zoo/figures"
  mkdir "$T/zoo/figures.old.4194305" && touch "$T/zoo/figures.old.4194305/index.tsv"
  mkdir "$T/zoo/figures.tmp-abcd1234" && touch "$T/zoo/figures.tmp-abcd1234/x.svg"
  "$simcon" plot "$T/zoo" 2>"$T/err" || bad "plot: $(cat "$T/err")"
  [ -d "$T/zoo/figures" ] && [ -f "$T/zoo/figures/index.tsv" ] ||
    bad "figures not written"
  left=$(cd "$T/zoo" && ls -d figures.* 2>/dev/null)
  [ -z "$left" ] || bad "left-overs remain: $left"
  [ ! -e "$T/zoo.simcon-lock" ] || bad "lock file left"
  ;;
matrix_special_outputs) in_ns matrix_special_outputs_ns ;;
matrix_special_outputs_ns)
  # Defect 2: `simcon matrix -o /dev/null` as root replaced the device node
  # with a regular file, and a link was replaced instead of refused. The
  # node is made on a private tmpfs, never in the real /dev.
  mount -t tmpfs -o size=8m simcon-test "$T" || exit 1
  X="$src/tests/cli/data/x20.npy" Y="$src/tests/cli/data/y20.npy"
  mknod "$T/null" c 1 3 || exit 1
  mkfifo "$T/fifo"
  echo precious >"$T/target.csv" && ln -s target.csv "$T/link.csv"
  for out in null fifo link.csv; do
    timeout 60 "$simcon" matrix -o "$T/$out" "$X" "$Y" >/dev/null 2>"$T/err"
    st=$?
    [ $st = 1 ] || bad "-o $out: exit $st, want 1"
    grep -q "$out: is a " "$T/err" || bad "-o $out message: $(cat "$T/err")"
    one_line "$T/err"
  done
  [ -c "$T/null" ] || bad "the device node was replaced: $(stat -c %F "$T/null")"
  [ -p "$T/fifo" ] || bad "the FIFO was replaced"
  [ -L "$T/link.csv" ] || bad "the link was replaced"
  [ "$(cat "$T/target.csv")" = precious ] || bad "written through the link"
  n=$(ls -A "$T" | grep -v '^err$' | wc -l)
  [ "$n" = 4 ] || bad "temp files left: $(ls -A "$T")"
  umount "$T"
  ;;
run_lock_held)
  # Defect 4: two runs of one folder (same pid in two containers) mixed
  # their results; now the second fails at once on the folder's lock.
  # Before the fix this run succeeded while another held the folder.
  # flock -o: the lock is held by flock itself (not passed to sleep), so
  # killing flock releases it.
  flock -o "$T/ex.simcon-lock" sleep 30 >/dev/null 2>&1 &
  holder=$!
  for _ in $(seq 50); do [ -e "$T/ex.simcon-lock" ] && break; sleep 0.1; done
  sleep 0.3
  "$simcon" run "$src/experiments/example.yaml" -o "$T/ex" --quiet 2>"$T/err"
  st=$?
  kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
  [ $st = 1 ] || bad "run while the folder is locked: exit $st, want 1"
  grep -q "another simcon run is writing this result folder" "$T/err" ||
    bad "message: $(cat "$T/err")"
  one_line "$T/err"
  [ ! -e "$T/ex" ] || bad "the refused run created its result"
  ls "$T" | grep -q "ex.tmp-" && bad "the refused run left a staging folder"
  "$simcon" run "$src/experiments/example.yaml" -o "$T/ex" --quiet 2>"$T/err" ||
    bad "run after the lock was released: $(cat "$T/err")"
  [ ! -e "$T/ex.simcon-lock" ] || bad "lock file left after the run"
  ;;
run_mount_point) in_ns run_mount_point_ns ;;
run_mount_point_ns)
  # Defect 8: -o at an empty mount point failed after the whole run with
  # EBUSY at the final rename (staging was a sibling on the parent file
  # system). Now staging is inside the mount point.
  mkdir "$T/vol" && mount -t tmpfs -o size=64m simcon-vol "$T/vol" || exit 1
  spec="$src/experiments/example.yaml"
  "$simcon" run "$spec" -o "$T/vol" --quiet 2>"$T/err" ||
    bad "first run into a mount point: $(cat "$T/err")"
  [ -f "$T/vol/manifest.json" ] || bad "no result in the mount point"
  "$simcon" run "$spec" -o "$T/vol" --quiet 2>"$T/err" ||
    bad "second run (replacing the result): $(cat "$T/err")"
  [ -f "$T/vol/manifest.json" ] || bad "no result after the second run"
  left=$(ls -A "$T/vol" | grep '^\.simcon' || true)
  [ -z "$left" ] || bad "left-overs in the mount point: $left"
  [ -z "$(ls "$T" | grep -v '^vol$\|^err$')" ] ||
    bad "something was written beside the mount point: $(ls "$T")"
  mountpoint -q "$T/vol" || bad "the mount point is gone"
  # A mount point holding another spec's result is still refused.
  "$simcon" run "$src/tests/spec/ok/minimal.yaml" -o "$T/vol" --quiet 2>"$T/err"
  { [ $? = 1 ] && grep -q "holds the result of another spec" "$T/err"; } ||
    bad "another spec's result in the mount point: $(cat "$T/err")"
  umount "$T/vol"
  ;;
fifo_inputs)
  # Defect 9: a FIFO given as a feature or ids file hung forever in open().
  # Before the fix these commands were killed by timeout (exit 124).
  cp -r "$src/tests/spec/data/zoo" "$T/data"
  cat >"$T/spec.yaml" <<'YAML'
name: fifo
data:
  root: data
  features: "{dataset}/{model}.npy"
  ids: "{dataset}/ids.txt"
models: [{name: m1}, {name: m2}]
datasets: [{name: d1}]
metrics: [{name: cka, plugin: cka}]
YAML
  "$simcon" check "$T/spec.yaml" >/dev/null 2>"$T/err" ||
    bad "the spec should pass before the FIFO: $(cat "$T/err")"
  rm "$T/data/d1/ids.txt" && mkfifo "$T/data/d1/ids.txt"
  timeout 30 "$simcon" check "$T/spec.yaml" >/dev/null 2>"$T/err"
  st=$?
  [ $st = 1 ] || bad "ids FIFO: exit $st, want 1 (124 = hung)"
  grep -q "ids.txt: cannot open the ids file: not a regular file" "$T/err" ||
    bad "ids FIFO message: $(cat "$T/err")"
  rm "$T/data/d1/ids.txt" && cp "$src/tests/spec/data/zoo/d1/ids.txt" "$T/data/d1/"
  rm "$T/data/d1/m2.npy" && mkfifo "$T/data/d1/m2.npy"
  timeout 30 "$simcon" check "$T/spec.yaml" >/dev/null 2>"$T/err"
  st=$?
  [ $st = 1 ] || bad "feature FIFO: exit $st, want 1 (124 = hung)"
  grep -q "m2.npy: not a regular file" "$T/err" ||
    bad "feature FIFO message: $(cat "$T/err")"
  timeout 30 "$simcon" compare "$T/data/d1/m2.npy" "$T/data/d1/m1.npy" \
    >/dev/null 2>"$T/err"
  st=$?
  [ $st = 1 ] || bad "compare with a FIFO: exit $st, want 1 (124 = hung)"
  one_line "$T/err"
  ;;
*) echo "unknown case $case_"; exit 2 ;;
esac
[ $fail = 0 ] && echo "ok: $case_"
exit $fail
