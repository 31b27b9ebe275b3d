#!/usr/bin/env bash
# reproduce_results.sh SIMCON SOURCE_DIR
# Runs the full analysis of the bundled example (experiments/zoo.yaml) into
# a temporary folder and checks that every committed table of results/zoo/
# (the CSVs and the Markdown/LaTeX tables README quotes) is reproduced
# byte for byte: same spec, seed and --threads give the same bytes, so a
# difference means the committed answer is stale or the code changed it.
# manifest.json (wall times, paths) and figures/report are not compared.
set -euo pipefail
simcon=$1 src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$simcon" run "$src/experiments/zoo.yaml" -o "$out/zoo" --threads 1 --quiet
status=0
n=0
while IFS= read -r -d '' f; do
  rel=${f#"$src/results/zoo/"}
  n=$((n + 1))
  if ! cmp -s "$f" "$out/zoo/$rel"; then
    echo "differs from the committed result: results/zoo/$rel"
    status=1
  fi
done < <(find "$src/results/zoo" \( -name '*.csv' -o -name '*.md' -o -name '*.tex' \) -print0)
[ "$n" -gt 0 ] || { echo "no committed tables under results/zoo"; exit 1; }
[ $status = 0 ] && echo "ok: $n committed tables of results/zoo reproduced byte for byte"
exit $status
