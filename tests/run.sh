#!/usr/bin/env bash
# The test command (README "Run the tests"; .ci/run calls exactly this).
# 1. installs the Debian packages (as root; with python3-torch, for the
# README recipe's test), 2. builds as a user's Release
# build (-O3) with warnings as errors and runs every CTest test except the
# slow statistical validations,
# 3. builds the libFuzzer harnesses with clang (build-fuzz/) and runs each
# for 60 s (tests/fuzz/README.md), 4. rebuilds with AddressSanitizer +
# UndefinedBehaviorSanitizer and runs the tests again. Exits non-zero on any
# failure; CTest's summary line is the last line printed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/install-deps.sh --tests

jobs=$(nproc 2>/dev/null || echo 2)
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

# The release build uses a user's Release flags (-O3 -DNDEBUG), so warnings
# that only -O3's analyses raise (e.g. -Wmaybe-uninitialized) fail here too.
echo "== release build (Release: -O3, -Werror) =="
cmake -S . -B build -DSC_WERROR=ON -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$jobs"
ctest --test-dir build -LE slow --output-on-failure -j"$jobs"

# Fuzzing runs before the sanitizer tests so that CTest's summary line is
# the last thing the run prints.
echo "== fuzzing (clang, libFuzzer + ASan + UBSan, 60 s per harness) =="
bash tests/fuzz/run.sh 60

echo "== sanitizer build (ASan + UBSan, -Werror) =="
cmake -S . -B build-asan -DSC_WERROR=ON -DCMAKE_BUILD_TYPE=Debug \
      -DSC_SANITIZE=address,undefined
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
ctest --test-dir build-asan -LE "slow|nosan" --output-on-failure -j"$jobs"

