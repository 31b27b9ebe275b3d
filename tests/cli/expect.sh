#!/usr/bin/env bash
# expect.sh WANT_EXIT WANT_STDERR WANT_STDOUT -- COMMAND...
# Runs COMMAND and checks its exit status, that stderr contains WANT_STDERR
# ('-' = stderr must be empty) and is ONE line when non-empty, and stdout:
# '-' = anything, 'num:V:RTOL' = exactly one line holding exactly one
# decimal number (nothing before or after it) within RTOL relative of V,
# 'has:TEXT' = contains TEXT, 'first:V:RTOL' = exactly one line whose first
# whitespace-separated field is a decimal number within RTOL relative of V
# (simcon mantel prints "r p"). Prints what differed; exits 1 on mismatch.
# (awk alone would coerce "0.7588 junk" to 0.7588: the text is matched
# against a strict number pattern first; tests/cli/CMakeLists.txt checks
# that such output fails.)
set -u
want_exit=$1 want_err=$2 want_out=$3
shift 3
[ "$1" = "--" ] && shift
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$@" >"$out" 2>"$err"
got=$?
fail=0
if [ "$got" != "$want_exit" ]; then
  echo "exit status $got, want $want_exit"; fail=1
fi
if [ "$want_err" = - ]; then
  if [ -s "$err" ]; then echo "unexpected stderr: $(cat "$err")"; fail=1; fi
else
  if ! grep -qF -- "$want_err" "$err"; then
    echo "stderr lacks: $want_err"; echo "stderr was: $(cat "$err")"; fail=1
  fi
  lines=$(grep -c '' "$err")
  if [ "$lines" != 1 ]; then echo "stderr has $lines lines, want 1"; fail=1; fi
fi
number='[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?'
one_line() { [ "$(grep -c '' "$out")" = 1 ] && [ -z "$(tail -c1 "$out")" ]; }
close() { # close GOT WANT RTOL
  awk -v g="$1" -v w="$2" -v t="$3" \
    'BEGIN { d = g - w; if (d < 0) d = -d; a = w < 0 ? -w : w;
             exit !(d <= t * a) }'
}
case "$want_out" in
  -) ;;
  num:*)
    spec=${want_out#num:}; v=${spec%%:*}; rtol=${spec#*:}
    if ! one_line || ! grep -qE -- "^$number\$" "$out"; then
      echo "stdout is not one line holding one number: '$(cat "$out")'"
      fail=1
    elif ! close "$(cat "$out")" "$v" "$rtol"; then
      echo "stdout $(cat "$out"), want $v (rtol $rtol)"; fail=1
    fi ;;
  first:*)
    spec=${want_out#first:}; v=${spec%%:*}; rtol=${spec#*:}
    if ! one_line || ! grep -qE -- "^$number([[:space:]]|\$)" "$out"; then
      echo "stdout is not one line starting with a number: '$(cat "$out")'"
      fail=1
    elif ! close "$(awk '{ print $1 }' "$out")" "$v" "$rtol"; then
      echo "stdout $(cat "$out"), want first field $v (rtol $rtol)"; fail=1
    fi ;;
  has:*)
    if ! grep -qF -- "${want_out#has:}" "$out"; then
      echo "stdout lacks: ${want_out#has:}"; fail=1
    fi ;;
esac
[ $fail = 0 ] && echo "ok: $*"
exit $fail
