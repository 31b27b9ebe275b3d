#!/usr/bin/env bash
# reproduce_results.sh SIMCON SOURCE_DIR [PYTHON]
# Runs the full analysis of the bundled example (experiments/zoo.yaml) into
# a temporary folder and checks it against the COMMITTED results/zoo: the
# files of `git show HEAD:results/zoo/...` when SOURCE_DIR is a git
# checkout (so a working tree rewritten by experiments/run_example.sh does
# not count), the working tree otherwise (a release tarball).
# The rule is the one that holds on every machine (tests/zoo/
# compare_results.py): the Markdown/LaTeX tables and every p and q
# byte-identical, every other CSV number within 1e-9 relative. Byte-equal
# full-precision CSVs hold only on one machine (another CPU's BLAS changes
# the last bits of the similarities); zoo.perturbed_replay and
# e2e.run_determinism check that. manifest.json (wall times, paths),
# figures and report are not compared.
set -euo pipefail
simcon=$1 src=$2 python=${3:-python3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$simcon" run "$src/experiments/zoo.yaml" -o "$out/zoo" --threads 1 --quiet
"$python" "$src/tests/zoo/compare_results.py" "committed:$src:results/zoo" \
    "$out/zoo"
