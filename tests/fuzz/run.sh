#!/usr/bin/env bash
# Build and run the libFuzzer harnesses (tests/fuzz/README.md).
#
#   tests/fuzz/run.sh [SECONDS]   build build-fuzz/ (clang, ASan+UBSan) and
#                                 run every harness SECONDS (default 60) each,
#                                 two at a time; fails on any finding.
#                                 tests/run.sh calls this with the default.
#   tests/fuzz/run.sh 3600        the long run: an hour each.
#   tests/fuzz/run.sh cpu 3600    each harness until it has used 3600 s of
#                                 CPU (not wall) time: for a shared or busy
#                                 machine, e.g. FUZZ_JOBS=4 nice -n 19 ...
#   tests/fuzz/run.sh merge       minimise committed corpus + what the runs
#                                 found into tests/fuzz/corpus/<harness>/.
#   tests/fuzz/run.sh cov         line/branch coverage of the committed
#                                 corpora (build-fuzz-cov/, needs llvm).
#
# Environment: FUZZ_JOBS (harnesses at a time; default 2, or 1 on one core),
# FUZZ_ONLY="npy spec" (a subset), CC (default clang). New inputs found go to
# build-fuzz/corpus/<harness>/, crashes to build-fuzz/artifacts/; the
# committed seeds/ and corpus/ folders are only read.
set -euo pipefail
cd "$(dirname "$0")/../.."

harnesses=(${FUZZ_ONLY:-npy spec simcsv plot})
declare -A max_len=([npy]=4096 [spec]=8192 [simcsv]=4096 [plot]=16384)
export CC=${CC:-clang}
# UBSan reports abort, so libFuzzer sees them as crashes; no leak is allowed.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

build() { # $1 build dir, rest: extra cmake arguments
    local dir=$1
    shift
    cmake -S . -B "$dir" -DSC_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j2 --target "${harnesses[@]/#/fuzz_}" >/dev/null
}

mode=${1:-60}
cpu_limit=0 # > 0: stop each harness after this many CPU-seconds, not wall
timeout=${FUZZ_TIMEOUT:-10} # seconds one input may take
if [ "$mode" = cpu ]; then
    cpu_limit=${2:-}
    case "$cpu_limit" in *[!0-9]* | '' | 0)
        echo "usage: tests/fuzz/run.sh cpu SECONDS" >&2
        exit 2
        ;;
    esac
    mode=0 # libFuzzer: no wall-time limit
    # libFuzzer's -timeout is wall-clock time: at low priority on a busy
    # machine a 34 ms input was once stopped as a 13 s "timeout". A real
    # hang still stops at this bound.
    timeout=${FUZZ_TIMEOUT:-300}
fi
case "$mode" in
merge)
    build build-fuzz
    for h in "${harnesses[@]}"; do
        new=$(mktemp -d build-fuzz/merge-XXXXXX)
        mkdir -p tests/fuzz/corpus/$h build-fuzz/corpus/$h
        build-fuzz/fuzz/fuzz_$h -merge=1 -max_len=${max_len[$h]} \
            -dict=tests/fuzz/$h.dict "$new" tests/fuzz/seeds/$h \
            tests/fuzz/corpus/$h build-fuzz/corpus/$h 2>&1 | tail -n 1
        rm -rf tests/fuzz/corpus/$h
        mv "$new" tests/fuzz/corpus/$h
        echo "corpus/$h: $(ls tests/fuzz/corpus/$h | wc -l) files," \
             "$(cat tests/fuzz/corpus/$h/* | wc -c) bytes"
    done
    ;;
cov)
    build build-fuzz-cov -DSC_FUZZ_COVERAGE=ON
    declare -A src=([npy]=core/io/npy.c [simcsv]=core/io/simcsv.c
                    [spec]="core/io/spec.c core/io/spec_tree.c core/io/spec_values.c
                            core/io/spec_validate.c core/io/spec_analyses.c
                            core/io/spec_canonical.c"
                    [plot]="core/report/plot_data.c core/report/tidy.c core/report/plot.c
                            core/report/plot_heat.c core/report/plot_box.c
                            core/report/plot_scatter.c core/report/plot_summary.c
                            core/report/report.c core/report/report_tables.c")
    rm -rf build-fuzz-cov/prof && mkdir -p build-fuzz-cov/prof
    for h in "${harnesses[@]}"; do
        corpora=(tests/fuzz/seeds/$h)
        [ -d tests/fuzz/corpus/$h ] && corpora+=(tests/fuzz/corpus/$h)
        LLVM_PROFILE_FILE=build-fuzz-cov/prof/$h.profraw \
            build-fuzz-cov/fuzz/fuzz_$h -runs=0 "${corpora[@]}" >/dev/null 2>&1
        llvm-profdata merge -o build-fuzz-cov/prof/$h.profdata \
            build-fuzz-cov/prof/$h.profraw
        llvm-cov report -show-region-summary=0 \
            -instr-profile=build-fuzz-cov/prof/$h.profdata \
            build-fuzz-cov/fuzz/fuzz_$h ${src[$h]} |
            awk '/^Filename|^[-]+$/ {next} NF {f = $1; sub(".*/", "", f); printf "%-16s functions %7s  lines %7s  branches %7s\n", f, $4, $7, $10}'
    done
    ;;
*[!0-9]* | '')
    echo "usage: tests/fuzz/run.sh [SECONDS|merge|cov]" >&2
    exit 2
    ;;
*)
    echo "== fuzz build (clang, libFuzzer + ASan + UBSan) =="
    build build-fuzz
    jobs=${FUZZ_JOBS:-$(($(nproc 2>/dev/null || echo 2) > 1 ? 2 : 1))}
    mkdir -p build-fuzz/artifacts build-fuzz/logs
    if [ "$cpu_limit" -gt 0 ]; then
        echo "== fuzzing ${harnesses[*]}: $cpu_limit CPU-s each, $jobs at a time =="
    else
        echo "== fuzzing ${harnesses[*]}: $mode s each, $jobs at a time =="
    fi
    run_one() {
        local h=$1
        mkdir -p build-fuzz/corpus/$h
        local corpora=(build-fuzz/corpus/$h tests/fuzz/seeds/$h)
        [ -d tests/fuzz/corpus/$h ] && corpora+=(tests/fuzz/corpus/$h)
        build-fuzz/fuzz/fuzz_$h -max_total_time="$mode" -timeout="$timeout" \
            -rss_limit_mb=2048 -max_len=${max_len[$h]} \
            -dict=tests/fuzz/$h.dict -print_final_stats=1 \
            -artifact_prefix=build-fuzz/artifacts/$h- "${corpora[@]}" \
            >build-fuzz/logs/$h.log 2>&1 &
        local fp=$! rc=0
        if [ "$cpu_limit" -gt 0 ]; then
            # libFuzzer limits wall time only; count the process's own CPU
            # (utime + stime, fields 14 and 15 of /proc/PID/stat) instead,
            # then interrupt it: it prints its final stats and exits 72.
            local hz ticks
            hz=$(getconf CLK_TCK)
            while kill -0 "$fp" 2>/dev/null; do
                ticks=$(awk '{print $14 + $15}' /proc/$fp/stat 2>/dev/null || echo 0)
                if [ "$ticks" -ge $((cpu_limit * hz)) ]; then
                    echo "$h: $((ticks / hz)) CPU-s used" >>build-fuzz/logs/$h.cpu
                    kill -INT "$fp"
                    break
                fi
                sleep 5
            done
        fi
        wait "$fp" || rc=$?
        [ "$cpu_limit" -gt 0 ] && [ "$rc" -eq 72 ] && rc=0
        return "$rc"
    }
    declare -A pid
    fail=0
    for h in "${harnesses[@]}"; do
        while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
        run_one "$h" &
        pid[$h]=$!
    done
    for h in "${harnesses[@]}"; do
        if wait "${pid[$h]}"; then
            echo "fuzz_$h: ok, $(grep -E '^stat::number_of_executed_units' \
                build-fuzz/logs/$h.log | awk '{print $2}') runs," \
                "$(grep -oE 'cov: [0-9]+ ft: [0-9]+' build-fuzz/logs/$h.log | tail -n 1)"
        else
            fail=1
            echo "fuzz_$h: FAILED; log build-fuzz/logs/$h.log, input in build-fuzz/artifacts/:" >&2
            grep -E 'ERROR|runtime error|invariant|SUMMARY|Test unit written' \
                build-fuzz/logs/$h.log | head -n 20 >&2
        fi
    done
    exit $fail
    ;;
esac
