#!/usr/bin/env bash
# check_format.sh SOURCE_DIR: every C file of the product (core/, plugins/,
# include/) is formatted as .clang-format says (docs/TESTING.md). Lists
# the files that are not, with the command that fixes them. Exit 77 (CTest:
# skipped) when clang-format is not installed; .ci/install-deps.sh installs it.
set -u
src=$1
command -v clang-format >/dev/null 2>&1 || { echo "# SKIP: clang-format not installed (apt-get install clang-format)"; exit 77; }
bad=()
for f in "$src"/core/*/*.[ch] "$src"/plugins/*.c "$src"/include/simcon/*.h; do
  clang-format --style=file --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("${f#"$src"/}")
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "not formatted (run: clang-format -i ${bad[*]}):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "ok: $(ls "$src"/core/*/*.[ch] "$src"/plugins/*.c "$src"/include/simcon/*.h | wc -l) files formatted"
