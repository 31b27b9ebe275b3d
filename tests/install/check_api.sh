#!/usr/bin/env bash
# check_api.sh BUILD_DIR SOURCE_DIR
# The library API from an installed tree: installs the build into a
# temporary prefix, builds examples/api_demo.c with nothing but
# `pkg-config --cflags --libs simcon` (the .pc file must find the prefix
# itself), runs it without SIMCON_PLUGIN_PATH and checks
#  - the metrics come from the installed plugin folder next to the library;
#  - compare, both all-pairs matrices and the exact Mantel test against an
#    independent numpy/scipy computation of the published definitions
#    (unbiased linear CKA as in README "Metrics"; RSA: 1 - Pearson RDMs
#    compared by Spearman; Mantel: Pearson r, p over all 4! relabellings);
#  - a bad call returns its message;
#  - check and run of the bundled example: the ok line equals the
#    installed `simcon check`'s, every table equals the installed `simcon
#    run`'s byte for byte (same machine, same BLAS), progress was reported,
#    and a cancelled run returns SC_ECANCELED (9) and leaves no folder.
set -euo pipefail
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(find "$prefix" -name simcon.pc | head -n1)
[ -n "$pc" ] || { echo "simcon.pc not installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
cflags=$(pkg-config --cflags simcon)
libs=$(pkg-config --libs simcon)
libdir=$(pkg-config --variable=libdir simcon)
[ -f "$libdir/libsimcon.so.1" ] || { echo "libsimcon.so.1 not in $libdir"; exit 1; }
[ -f "$prefix/include/simcon/simcon.h" ] || { echo "simcon.h not installed"; exit 1; }
soname=$(objdump -p "$libdir/libsimcon.so.1" | awk '/SONAME/ {print $2}')
[ "$soname" = libsimcon.so.1 ] || { echo "soname is '$soname', want libsimcon.so.1"; exit 1; }
cc -std=c11 -Wall -Wextra -Werror -pedantic $cflags -o "$tmp/api_demo" \
   "$src/examples/api_demo.c" $libs -Wl,-rpath,"$libdir"
env -u SIMCON_PLUGIN_PATH "$tmp/api_demo" "$src/experiments/zoo.yaml" \
    "$tmp/out" >"$tmp/demo.txt"
cat "$tmp/demo.txt"
want_check=$(env -u SIMCON_PLUGIN_PATH "$prefix/bin/simcon" check "$src/experiments/zoo.yaml" 2>/dev/null | tail -n1)
/usr/bin/python3 - "$tmp/demo.txt" "$prefix" "$want_check" <<'PY'
import itertools, sys
import numpy as np
from scipy.stats import spearmanr

lines = open(sys.argv[1]).read().splitlines()
prefix, want_check = sys.argv[2], sys.argv[3]
def field(tag):
    return [l[len(tag) + 1:] for l in lines if l.startswith(tag + " ")]

N = 40
def value(i, j, salt):
    h = i * 7919 + j * 104729 + salt * 1299709 + 1
    return ((h * h) % 65521) / 65521.0
def rep(cols, salt):
    return np.array([[value(i, j, salt) for j in range(cols)] for i in range(N)])
X = rep(8, 0)
Y = rep(5, 1).astype(np.float32).astype(np.float64)
Z = rep(6, 2)
W = rep(10, 3)[:, ::2]
reps = [X, Y, Z, W]

def cka(a, b):  # unbiased linear CKA, README "Metrics"
    def ucentre(k):
        k = k.copy(); n = k.shape[0]
        np.fill_diagonal(k, 0)
        m = k.sum(0) / (n - 2)
        m = m - m.sum() / (2 * (n - 1))
        k = k - m[:, None] - m[None, :]
        np.fill_diagonal(k, 0)
        return k
    K, L = ucentre(a @ a.T), ucentre(b @ b.T)
    return (K * L).sum() / np.sqrt((K * K).sum() * (L * L).sum())

def rsa(a, b):  # 1 - Pearson RDMs, compared by Spearman
    iu = np.triu_indices(N, 1)
    return spearmanr((1 - np.corrcoef(a))[iu], (1 - np.corrcoef(b))[iu])[0]

def close(got, want, what):
    if abs(got - want) > 1e-12 * max(1.0, abs(want)):
        sys.exit(f"{what}: library {got!r}, numpy {want!r}")

assert field("plugin")[0].startswith(prefix + "/lib"), field("plugin")
close(float(field("compare")[0]), cka(X, Y), "compare")
S = {}
for name, f in (("cka", cka), ("rsa", rsa)):
    rows = [list(map(float, l.split()[1:])) for l in field("matrix") if l.startswith(name)]
    S[name] = np.array(rows)
    for i in range(4):
        for j in range(4):
            close(S[name][i, j], f(reps[i], reps[j]), f"matrix {name}[{i}][{j}]")
r, p = map(float, field("mantel")[0].split())
iu = np.triu_indices(4, 1)
A, B = S["cka"], S["rsa"]
r0 = np.corrcoef(A[iu], B[iu])[0, 1]
close(r, r0, "mantel r")
hits = 0
for perm in itertools.permutations(range(4)):
    Bp = B[np.ix_(perm, perm)]
    hits += np.corrcoef(A[iu], Bp[iu])[0, 1] >= r0 - 1e-12
close(p, hits / 24, "mantel exact p")
assert "rows must be the same stimuli" in field("error")[0], field("error")
assert field("check")[0] == want_check, (field("check"), want_check)
assert int(field("run ok")[0]) > 0, "no progress reported"
assert field("cancel")[0].startswith("9 canceled by the caller"), field("cancel")
print("ok: library numbers agree with numpy/scipy")
PY
[ ! -e "$tmp/out.canceled" ] || { echo "cancelled run left $tmp/out.canceled"; exit 1; }
env -u SIMCON_PLUGIN_PATH "$prefix/bin/simcon" run "$src/experiments/zoo.yaml" \
    -o "$tmp/cli" --threads 1 --quiet
n=0
while IFS= read -r -d '' f; do
  rel=${f#"$tmp/cli/"}
  n=$((n + 1))
  cmp -s "$f" "$tmp/out/$rel" || { echo "simcon_run differs from simcon run: $rel"; exit 1; }
done < <(find "$tmp/cli" -path '*/.cache' -prune -o \( -name '*.csv' -o -name '*.md' -o -name '*.tex' \) -print0)
[ "$n" -gt 20 ] || { echo "only $n tables compared"; exit 1; }
echo "ok: simcon_run and the installed simcon run agree on $n tables byte for byte"
