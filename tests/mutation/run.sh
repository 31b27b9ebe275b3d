#!/usr/bin/env bash
# Mutation testing: does the fast test suite catch deliberate bugs?
#
# Each mutant of tests/mutation/catalog.tsv (file, function, search ->
# replace; see mutate.py) is applied to a PRIVATE copy of the source tree
# (tracked and untracked-but-not-ignored files of this checkout, copied to a
# temporary folder; the checkout itself is never modified), the copy is
# rebuilt incrementally, and the fast tests run there:
#   ctest -LE slow -E '^format\.' --timeout T -jJ --stop-on-failure
# (the clang-format check is excluded: a mutant is a bug, not a style
# change; --stop-on-failure saves time, so "killed by" lists the tests that
# failed before ctest stopped; --all-killers runs every test). Then the file
# is restored. Verdicts:
#   killed       at least one test failed (the failing tests are listed)
#   survived     every test passed: the suite cannot see this bug
#   build-error  the mutant does not compile (not counted as killed)
#   stale        the function or its search text is gone (catalog needs an
#                update; never counted as killed)
# A baseline build + test run of the unmutated copy comes first; if it fails
# nothing is scored.
#
# Usage: tests/mutation/run.sh [-j N] [--timeout S] [--keep] [--out DIR]
#                              [--all-killers] [--check] [ID ...]
#   -j N        build and ctest parallelism (default 2)
#   --timeout S per-test timeout in seconds (default 120)
#   --keep      keep the temporary tree (printed at the end)
#   --all-killers  run every test for each mutant (slower), so that
#               "killed by" lists every test that catches it
#   --out DIR   where results.tsv and summary.md go (default: the temp dir)
#   --check     only check that every mutant still applies to this checkout
#               (no build; seconds); exit 1 if any is stale
#   ID ...      run only these mutants (default: all)
# Exit status: 0 every non-equivalent mutant killed and none stale, 1 not,
# 2 usage / baseline failure.
# Takes about a minute per mutant on 2 cores; not part of the default test
# run (README, "Mutation testing").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
catalog=$here/catalog.tsv
mutate=(python3 "$here/mutate.py" "$catalog")

jobs=2 timeout=120 keep=0 out= check=0 stop=--stop-on-failure
ids=()
while [ $# -gt 0 ]; do
  case $1 in
    -j) jobs=$2; shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --all-killers) stop=; shift ;;
    --out) out=$2; shift 2 ;;
    --check) check=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) ids+=("$1"); shift ;;
  esac
done
[ ${#ids[@]} -gt 0 ] || mapfile -t ids < <("${mutate[@]}" list)

if [ "$check" = 1 ]; then
  stale=0
  for id in "${ids[@]}"; do
    if ! why=$("${mutate[@]}" check "$id" "$repo" 2>&1); then
      echo "$id: $why"
      stale=$((stale + 1))
    fi
  done
  echo "# ${#ids[@]} mutants, $stale stale"
  [ "$stale" = 0 ]
  exit
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/simcon-mutation.XXXXXX")
cleanup() { [ "$keep" = 1 ] && echo "kept $work" >&2 || rm -rf "$work"; }
trap cleanup EXIT
[ -n "$out" ] || out=$work
mkdir -p "$out"
src=$work/src build=$work/src/build
mkdir -p "$src"
# Tracked and untracked (not ignored) files of the checkout, as they are
# now, including uncommitted edits; build folders are ignored, so not copied.
(cd "$repo" && git ls-files -z --cached --others --exclude-standard |
   while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
   tar --null -T - -cf -) | tar -xf - -C "$src"

export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
log=$work/log
mkdir -p "$log"
run_tests() { # $1: log file, $2: stop option; prints the failing tests
  local rc=0
  rm -f "$build/Testing/Temporary/LastTestsFailed.log"
  ctest --test-dir "$build" -LE slow -E '^format\.' -j"$jobs" \
        --timeout "$timeout" ${2:-} >"$1" 2>&1 || rc=$?
  if [ $rc != 0 ]; then
    if [ -s "$build/Testing/Temporary/LastTestsFailed.log" ]; then
      sed 's/^[0-9]*://' "$build/Testing/Temporary/LastTestsFailed.log"
    else
      echo "(ctest exit $rc)"
    fi
  fi
}

echo "== baseline: build and test the unmutated copy in $src"
t0=$(date +%s)
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DSC_WERROR=OFF >"$log/configure" 2>&1 ||
  { cat "$log/configure" >&2; echo "run.sh: configure failed" >&2; exit 2; }
cmake --build "$build" -j"$jobs" >"$log/build.baseline" 2>&1 ||
  { tail -30 "$log/build.baseline" >&2; echo "run.sh: baseline build failed" >&2; exit 2; }
failed=$(run_tests "$log/test.baseline")
if [ -n "$failed" ]; then
  echo "run.sh: the unmutated tree fails these tests; fix them first:" >&2
  echo "$failed" >&2
  exit 2
fi
echo "   baseline green in $(( $(date +%s) - t0 )) s"

results=$out/results.tsv
printf 'id\tarea\tverdict\texpect\tseconds\tkilled_by\n' >"$results"
n_killed=0 n_surv=0 n_stale=0 n_build=0 n_equiv=0 bad=()
for id in "${ids[@]}"; do
  t0=$(date +%s)
  file=$("${mutate[@]}" show "$id" | sed -n 's/^file: //p')
  area=$("${mutate[@]}" show "$id" | sed -n 's/^area: //p')
  expect=$("${mutate[@]}" show "$id" | sed -n 's/^expect: //p')
  cp -p "$src/$file" "$work/orig"
  by=
  if ! "${mutate[@]}" apply "$id" "$src" 2>"$log/$id.stale"; then
    verdict=stale
    by=$(cat "$log/$id.stale")
  elif ! cmake --build "$build" -j"$jobs" >"$log/$id.build" 2>&1; then
    verdict=build-error
  else
    by=$(run_tests "$log/$id.test" "$stop" | paste -sd, -)
    if [ -n "$by" ]; then verdict=killed; else verdict=survived; fi
  fi
  cp "$work/orig" "$src/$file" # content restored; mtime new, so it rebuilds
  case $verdict in
    killed) n_killed=$((n_killed + 1)) ;;
    stale) n_stale=$((n_stale + 1)); bad+=("$id") ;;
    build-error) n_build=$((n_build + 1)); bad+=("$id") ;;
    survived)
      if [ "${expect%%:*}" = equivalent ]; then n_equiv=$((n_equiv + 1))
      else n_surv=$((n_surv + 1)); bad+=("$id"); fi ;;
  esac
  secs=$(( $(date +%s) - t0 ))
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$area" "$verdict" "$expect" \
         "$secs" "$by" >>"$results"
  printf '%-28s %-11s %4ss  %s\n' "$id" "$verdict" "$secs" "$by"
done
# Leave the copy's build matching its sources.
cmake --build "$build" -j"$jobs" >"$log/build.final" 2>&1 || true

total=${#ids[@]}
scored=$((total - n_equiv - n_stale))
summary=$out/summary.md
{
  echo "mutants: $total; killed: $n_killed; survived: $n_surv;" \
       "equivalent (survived, reason in catalog): $n_equiv;" \
       "build-error: $n_build; stale: $n_stale"
  if [ "$scored" -gt 0 ]; then
    echo "score: $n_killed / $scored non-equivalent mutants killed" \
         "($(( 100 * n_killed / scored ))%)"
  fi
  [ ${#bad[@]} = 0 ] || echo "not killed: ${bad[*]}"
} | tee "$summary"
echo "results: $results"
[ ${#bad[@]} = 0 ]
