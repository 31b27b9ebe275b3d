#!/bin/bash
# CPU and wall time of the consistency stage of `simcon run` alone (issue 13,
# item 5); NOT part of CTest.
# Usage: tests/bench/cons_stage.sh SIMCON SPEC RESULT_DIR [THREADS]
#   RESULT_DIR: a finished result folder of SPEC whose .cache holds every
#   similarity matrix (e.g. tests/bench/paper_scale.sh's $WORK/all); it is
#   copied, never modified.
# `simcon run SPEC --resume` runs on the copy while this script samples the
# process's CPU time (/proc/PID/stat utime + stime) every 0.1 s. Stage 1
# (matrices from the cache) ends when its staging folder holds every
# similarity/<dataset>/<metric>.csv (staging: RESULT_DIR.tmp-*/all); the
# consistency stage ends when
# consistency.csv appears there (written atomically at the end of the stage).
# The run is then stopped (contrasts, medians and figures are not timed
# here). Prints: stage wall, stage CPU, load average, and the row count.
set -euo pipefail
simcon=$1 spec=$2 src=$3 threads=${4:-2}
nsim=$(find "$src/similarity" -name '*.csv' | wc -l)
work=$(mktemp -d)
cp -a "$src" "$work/all"
tick=$(getconf CLK_TCK)
"$simcon" run "$spec" -o "$work/all" --resume --threads "$threads" --quiet \
    2>"$work/err" &
pid=$!
cpu() { awk -v t="$tick" '{print ($14 + $15) / t}' "/proc/$pid/stat"; }
t0=$(date +%s.%N) s1_t= s1_c=
while kill -0 "$pid" 2>/dev/null; do
    stage=$(ls -d "$work"/all.tmp-*/all 2>/dev/null | head -1 || true)
    if [ -n "$stage" ]; then
        if [ -z "$s1_t" ] && [ -d "$stage/similarity" ] &&
           [ "$(find "$stage/similarity" -name '*.csv' | wc -l)" -ge "$nsim" ]; then
            s1_c=$(cpu) s1_t=$(date +%s.%N)
        fi
        if [ -n "$s1_t" ] && [ -f "$stage/consistency.csv" ]; then
            c=$(cpu) t=$(date +%s.%N)
            rows=$(($(wc -l <"$stage/consistency.csv") - 1))
            kill "$pid"
            wait "$pid" 2>/dev/null || true
            echo "consistency stage: wall $(echo "$t - $s1_t" | bc) s," \
                 "CPU $(echo "$c - $s1_c" | bc) s ($threads threads), $rows rows;" \
                 "stage 1 (cache reads) wall $(echo "$s1_t - $t0" | bc) s," \
                 "CPU $s1_c s; load $(cut -d' ' -f1-3 /proc/loadavg)"
            cp "$stage/consistency.csv" "${OUT_CSV:-/dev/null}"
            rm -rf "$work"
            exit 0
        fi
    fi
    sleep 0.1
done
cat "$work/err" >&2
rm -rf "$work"
echo "cons_stage: the run ended before consistency.csv was written" >&2
exit 1
