#!/usr/bin/env bash
# check_install.sh BUILD_DIR SOURCE_DIR
# Installs the build into a temporary prefix, builds tests/install/outoftree.c
# with nothing but `pkg-config --cflags simcon` and the installed header, and
# runs the INSTALLED simcon on it. Expected value by hand: x20/y20 from
# tests/cli/data have column means whose cosine the numpy line below computes.
set -euo pipefail
build=$1 src=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
pc=$(find "$prefix" -name simcon.pc | head -n1)
[ -n "$pc" ] || { echo "simcon.pc not installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
# The .pc file finds its prefix from its own location (${pcfiledir}).
cflags=$(pkg-config --cflags simcon)
case "$cflags" in *"-I$prefix/"*) ;; *) echo "pkg-config --cflags simcon gives '$cflags', not under $prefix"; exit 1 ;; esac
[ -f "$prefix/include/simcon/plugin.h" ] || { echo "plugin.h not installed"; exit 1; }
# The shared plugin helpers are installed beside plugin.h and compile with
# nothing but the installed headers.
[ -f "$prefix/include/simcon/plugin_util.h" ] || { echo "plugin_util.h not installed"; exit 1; }
printf '#include "simcon/plugin_util.h"\nint main(void) { return SC_PU_ZERO_ULPS > 0 ? 0 : 1; }\n' |
  cc -std=c99 -Wall -Wextra -Werror -pedantic $cflags -fsyntax-only -x c - ||
  { echo "installed plugin_util.h does not compile"; exit 1; }
plugdir=$(mktemp -d)
trap 'rm -rf "$prefix" "$plugdir"' EXIT
cc -std=c99 -Wall -Wextra -Werror -pedantic -shared -fPIC $cflags \
   -Wl,-z,defs -o "$plugdir/outoftree.so" \
   "$src/tests/install/outoftree.c" -lm
# --normalize none: the reference below uses the raw features.
got=$("$prefix/bin/simcon" compare --plugin-dir "$plugdir" -m outoftree \
      --normalize none --quiet \
      "$src/tests/cli/data/x20.npy" "$src/tests/cli/data/y20.npy")
want=$(/usr/bin/python3 -c "
import numpy as np
x = np.load('$src/tests/cli/data/x20.npy').mean(0)
y = np.load('$src/tests/cli/data/y20.npy').astype(float).mean(0)[:x.size]
print(abs(x @ y) / np.sqrt((x @ x) * (y @ y)))")
awk -v g="$got" -v w="$want" 'BEGIN { d = g - w; if (d < 0) d = -d;
  if (d > 1e-9 * (w < 0 ? -w : w)) { print "got " g ", want " w; exit 1 } }'
# The installed plugins are found without any path setting.
listing=$("$prefix/bin/simcon" plugins)
grep -q "^  file: *$prefix/bin/../.*/simcon/plugins/cka.so" <<<"$listing" || {
  echo "installed simcon does not find its installed cka plugin"; exit 1; }
echo "ok: out-of-tree plugin built against the installed header gives $got (numpy $want)"
