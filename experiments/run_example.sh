#!/usr/bin/env bash
# The main job (README, first command): installs the Debian packages (as
# root), builds simcon, verifies the bundled example zoo against its
# manifest checksums and runs experiments/zoo.yaml.
#
# The run goes into build/example/zoo/. results/zoo/ (committed) is
# replaced by it only when the two differ beyond what another machine may
# change (tests/zoo/compare_results.py: tables, p and q identical, other
# numbers within 1e-9 relative; README, "Reproducibility across machines"),
# so on a clean checkout where nothing changed, the checkout stays clean.
#   --update   replace results/zoo/ with this run in any case (e.g. after
#              changing the figures or the report, which are not compared)
set -euo pipefail
cd "$(dirname "$0")/.."

update=0
for a in "$@"; do
  case $a in
    --update) update=1 ;;
    *) echo "usage: bash experiments/run_example.sh [--update]" >&2; exit 2 ;;
  esac
done

bash .ci/install-deps.sh
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs" >/dev/null
/usr/bin/python3 experiments/zoo/verify_manifest.py experiments/zoo

fresh=build/example/zoo
mkdir -p build/example
SIMCON_PLUGIN_PATH=$PWD/build/plugins \
  build/simcon run experiments/zoo.yaml -o "$fresh" --threads 1

echo
same=0
if [ "$update" = 0 ] && [ -d results/zoo ]; then
  if diffs=$(/usr/bin/python3 tests/zoo/compare_results.py results/zoo \
                 "$fresh" --quiet); then
    same=1
  else
    printf '%s\n' "$diffs" | head -n 20
  fi
fi
if [ "$same" = 1 ]; then
  echo "results/zoo/ reproduced (tables, p and q identical, other numbers"
  echo "within 1e-9 relative): left unchanged. This run: $fresh/"
else
  # Swap the folder in whole; the previous one is removed only afterwards.
  rm -rf results/zoo.new results/zoo.old
  cp -a "$fresh" results/zoo.new
  rm -rf results/zoo.new/.cache
  if [ -d results/zoo ]; then mv results/zoo results/zoo.old; fi
  mv results/zoo.new results/zoo
  rm -rf results/zoo.old
  echo "results/zoo/ replaced by this run ('git status results/zoo' lists"
  echo "what changed)"
fi
echo "tables:   results/zoo/tables/ (Markdown and LaTeX), results/zoo/*.csv"
echo "figures:  results/zoo/figures/*.svg, report: results/zoo/report.html"
