#!/usr/bin/env bash
# pip_install.sh SOURCE_DIR LIBRARY SIMCON
# The package installs offline with Debian's packages only: a virtual
# environment that sees the system's numpy and pandas, then
# `pip install --no-build-isolation --no-index` of a copy of python/ (so
# the source tree gets no build/ or egg-info). The installed package must
# import from the environment, not the source tree, and give the CLI's
# number for a compare.
set -euo pipefail
src=$1 lib=$2 simcon=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -r "$src/python" "$tmp/pkg"
/usr/bin/python3 -m venv --system-site-packages "$tmp/env"
"$tmp/env/bin/pip" install -q --no-build-isolation --no-index "$tmp/pkg"
rm -rf "$tmp/pkg"
cd "$tmp"
a=$src/experiments/zoo/features/digits/cnn_sup_s0.npy
b=$src/experiments/zoo/features/digits/human_faceres.npy
want=$("$simcon" compare -m rsa "$a" "$b")
env -u PYTHONPATH SIMCON_LIBRARY="$lib" "$tmp/env/bin/python" -c "
import numpy as np, simcon, sys
assert simcon.__file__.startswith('$tmp/env/'), simcon.__file__
got = simcon.compare(np.load('$a'), np.load('$b'), metric='rsa')
assert got == float('$want'), ('installed package', got, 'CLI', '$want')"
echo "ok: pip-installed simcon (offline, Debian packages) gives the CLI's $want"
