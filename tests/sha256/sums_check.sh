#!/usr/bin/env bash
# sums_check.sh TEST_SHA256 WORK_DIR
# Our SHA-256 against an independent implementation, coreutils sha256sum:
# `test_sha256 --write` writes 1,005 random buffers (every length 0..1000
# and four of 64 KiB to 3 MB) as files, with a sums list per compression
# path (portable.sums, sha-ni.sums) of the digests it computed, each
# buffer fed to update() in random pieces; `sha256sum --check` must accept
# every line. A copy with one digit changed must be rejected, so the
# comparison is known to be live. On a CPU whose /proc/cpuinfo lists
# sha_ni the SHA-NI list must exist; on one without, this says so and
# checks the portable list only.
set -euo pipefail
bin=$1
dir=$2/sums
rm -rf "$dir"
mkdir -p "$dir"
"$bin" --write "$dir"
cd "$dir"

check() { # check LIST: every line accepted, 1,005 of them
    local n
    n=$(wc -l < "$1")
    if [ "$n" -ne 1005 ]; then
        echo "FAIL: $1 has $n lines, want 1005"
        exit 1
    fi
    sha256sum --check --strict --quiet "$1"
    echo "ok: $1: $n digests agree with sha256sum"
}

check portable.sums
if grep -qw sha_ni /proc/cpuinfo 2>/dev/null; then
    if [ ! -f sha-ni.sums ]; then
        echo "FAIL: the CPU has sha_ni but no SHA-NI digests were written"
        exit 1
    fi
    check sha-ni.sums
else
    echo "NOTE: no sha_ni in /proc/cpuinfo: SHA-NI not tested on this machine"
fi

# Negative control: the first digit of line 500 changed.
awk 'NR == 500 { c = substr($1, 1, 1) == "0" ? "1" : "0";
                 $0 = c substr($0, 2) } { print }' portable.sums > bad.sums
if sha256sum --check --strict --quiet bad.sums > /dev/null 2>&1; then
    echo "FAIL: sha256sum accepted a wrong digest (the check is not live)"
    exit 1
fi
echo "ok: a wrong digest is rejected"
cd /
rm -rf "$dir"
