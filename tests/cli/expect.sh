#!/usr/bin/env bash
# expect.sh WANT_EXIT WANT_STDERR WANT_STDOUT -- COMMAND...
# Runs COMMAND and checks its exit status, that stderr contains WANT_STDERR
# ('-' = stderr must be empty) and is ONE line when non-empty, and stdout:
# '-' = anything, 'num:V:RTOL' = one number within RTOL relative of V,
# 'has:TEXT' = contains TEXT, 'first:V:RTOL' = the first of the
# whitespace-separated fields is within RTOL relative of V (simcon mantel
# prints "r p"). Prints what differed; exits 1 on mismatch.
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
case "$want_out" in
  -) ;;
  num:*)
    spec=${want_out#num:}; v=${spec%%:*}; rtol=${spec#*:}
    if ! awk -v g="$(cat "$out")" -v w="$v" -v t="$rtol" \
        'BEGIN { d = g - w; if (d < 0) d = -d; a = w < 0 ? -w : w;
                 exit !(g != "" && d <= t * a) }'; then
      echo "stdout $(cat "$out"), want $v (rtol $rtol)"; fail=1
    fi ;;
  first:*)
    spec=${want_out#first:}; v=${spec%%:*}; rtol=${spec#*:}
    if ! awk -v w="$v" -v t="$rtol" \
        'NR == 1 { g = $1; d = g - w; if (d < 0) d = -d; a = w < 0 ? -w : w;
                   ok = (g != "" && d <= t * a) } END { exit !ok }' "$out"; then
      echo "stdout $(cat "$out"), want first field $v (rtol $rtol)"; fail=1
    fi ;;
  has:*)
    if ! grep -qF -- "${want_out#has:}" "$out"; then
      echo "stdout lacks: ${want_out#has:}"; fail=1
    fi ;;
esac
[ $fail = 0 ] && echo "ok: $*"
exit $fail
