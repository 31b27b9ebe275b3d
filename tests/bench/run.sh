#!/bin/sh
# Benchmark of the all-pairs path (issue 6); NOT part of the default test
# run. Usage (from the repository root, after building into BUILD):
#   tests/bench/run.sh quick|large [BUILD_DIR] [THREADS]
# quick: m = 8, n = 1000 (about a minute); large: m = 16, n = 5000 (several
# minutes, ~3 GB RAM for the numpy contender). Writes its files under
# ${TMPDIR:-/tmp}/simcon-bench-SIZE. Requires /usr/bin/python3 with numpy,
# /usr/bin/time and the OpenBLAS headers (libopenblas-dev).
set -eu
size=${1:?usage: tests/bench/run.sh quick|large [BUILD_DIR] [THREADS]}
build=${2:-build}
threads=${3:-1}
here=$(cd "$(dirname "$0")" && pwd)
work=${TMPDIR:-/tmp}/simcon-bench-$size
mkdir -p "$work"
cc -O2 -I/usr/include/x86_64-linux-gnu/openblas-pthread \
   "$here/gemm_probe.c" -o "$work/gemm_probe" -lopenblas
SIMCON_PLUGIN_PATH="$build/plugins" exec /usr/bin/python3 "$here/bench.py" \
   "$size" "$build/simcon" "$work/gemm_probe" "$work" "$threads"
