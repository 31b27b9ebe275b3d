#!/usr/bin/env bash
# Self-test of mutate.py (CTest mutation.mutate_selftest, fast): a mutant
# applies exactly once inside its function and nowhere else; a search text
# that is missing, found twice in the function, or found only in another
# function makes the mutant "stale" (exit 3), never applied; a malformed
# catalog is refused (exit 2). Runs on a small C file made here, not on
# the product sources, so refactoring elsewhere cannot break it.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src"
cat >"$tmp/src/f.c" <<'C'
static int helper(int a)
{
    return a + 1;
}

int sc_thing(int a,
             int b)
{
    int x = a + 1;
    int y = b * 2;
    return x + y + y;
}
C
cp "$tmp/src/f.c" "$tmp/orig.c"
tab=$'\t'
{
  echo "id${tab}area${tab}file${tab}function${tab}search${tab}replace${tab}expect${tab}description"
  echo "ok${tab}t${tab}f.c${tab}sc_thing${tab}a + 1${tab}a - 1${tab}kill${tab}applies inside sc_thing only"
  echo "missing${tab}t${tab}f.c${tab}sc_thing${tab}a * 3${tab}a * 4${tab}kill${tab}text not there"
  echo "twice${tab}t${tab}f.c${tab}sc_thing${tab}+ y${tab}- y${tab}kill${tab}text twice in the function"
  echo "elsewhere${tab}t${tab}f.c${tab}sc_thing${tab}return a + 1;${tab}return a;${tab}kill${tab}text only in helper()"
  echo "nofunc${tab}t${tab}f.c${tab}sc_gone${tab}a${tab}b${tab}kill${tab}function gone"
  echo "newline${tab}t${tab}f.c${tab}sc_thing${tab}a + 1;\n    int y${tab}a + 2;\n    int y${tab}kill${tab}escapes"
} >"$tmp/cat.tsv"
m=(python3 "$here/mutate.py" "$tmp/cat.tsv")
fail=0
t() { # t WHAT WANT_RC CMD...
  local what=$1 want=$2; shift 2
  "$@" >/dev/null 2>"$tmp/err"; local rc=$?
  if [ "$rc" = "$want" ]; then echo "ok - $what"
  else echo "not ok - $what: exit $rc, want $want ($(cat "$tmp/err"))"; fail=1; fi
}
t "list" 0 "${m[@]}" list
[ "$("${m[@]}" list | wc -l)" = 6 ] && echo "ok - 6 mutants listed" ||
  { echo "not ok - mutant count"; fail=1; }
t "ok: check" 0 "${m[@]}" check ok "$tmp/src"
for id in missing twice elsewhere nofunc; do
  t "$id: stale" 3 "${m[@]}" check "$id" "$tmp/src"
  t "$id: not applied" 3 "${m[@]}" apply "$id" "$tmp/src"
done
cmp -s "$tmp/src/f.c" "$tmp/orig.c" && echo "ok - stale mutants leave the file alone" ||
  { echo "not ok - file changed by a stale mutant"; fail=1; }
t "ok: apply" 0 "${m[@]}" apply ok "$tmp/src"
want=$(sed 's/int x = a + 1;/int x = a - 1;/' "$tmp/orig.c")
[ "$(cat "$tmp/src/f.c")" = "$want" ] && echo "ok - only sc_thing's 'a + 1' changed" ||
  { echo "not ok - wrong edit: $(diff "$tmp/orig.c" "$tmp/src/f.c")"; fail=1; }
cp "$tmp/orig.c" "$tmp/src/f.c"
t "newline escapes: apply" 0 "${m[@]}" apply newline "$tmp/src"
grep -q 'int x = a + 2;' "$tmp/src/f.c" && echo "ok - \\n escape matched across lines" ||
  { echo "not ok - \\n escape"; fail=1; }
printf 'id\tarea\n' >"$tmp/bad.tsv"
t "malformed catalog refused" 2 python3 "$here/mutate.py" "$tmp/bad.tsv" list
exit $fail
