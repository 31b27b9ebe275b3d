#!/usr/bin/env bash
# The main job (README, first command): installs the Debian packages (as
# root), builds simcon, verifies the bundled example zoo against its
# manifest checksums and runs experiments/zoo.yaml into results/zoo/.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs" >/dev/null
/usr/bin/python3 experiments/zoo/verify_manifest.py experiments/zoo
make -f Makefile.experiments results/zoo SIMCON=build/simcon BUILD_DIR=build
echo
echo "results:  results/zoo/"
echo "tables:   results/zoo/tables/ (Markdown and LaTeX), results/zoo/*.csv"
echo "figures:  results/zoo/figures/*.svg, report: results/zoo/report.html"
