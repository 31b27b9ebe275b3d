#!/usr/bin/env bash
# spec_plugins.sh SIMCON FIXTURE_DIR ZOO_DIR
# Plugins named by path in a spec (issue 18, defects 5, 6 and 15):
#  1. a relative plugin path resolves against the spec's folder, not the
#     current directory (checked from another directory);
#  2. `check --no-load` runs no plugin code: a plugin whose constructor
#     calls exit(0) passes it, while plain `check` loads it and fails with
#     status 1 and one line naming the plugin and the call;
#  3. a world-writable plugin file, or folder, gives a one-line warning.
# Each step prints what differed; exit 1 if any did.
set -u
simcon=$1 fixtures=$2 zoo=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/exp/plugins" "$tmp/elsewhere"
cp "$fixtures/good_fixture.so" "$fixtures/bad_ctor.so" "$tmp/exp/plugins/"
chmod 755 "$tmp/exp" "$tmp/exp/plugins"
chmod 644 "$tmp/exp/plugins/"*.so
spec() { # spec FILE PLUGIN
  cat >"$1" <<YAML
name: plugin-paths
data:
  root: $zoo
  features: "{dataset}/{model}.npy"
models:
  - {name: m1, objective: supervised}
  - {name: m2, objective: ssl}
datasets:
  - {name: d1, domain: natural}
metrics:
  - {name: fx, plugin: $2}
YAML
}
spec "$tmp/exp/good.yaml" plugins/good_fixture.so
spec "$tmp/exp/ctor.yaml" plugins/bad_ctor.so
fail=0
run() { # run WANT_RC WANT_OUT WANT_ERR ARGS... ('' = empty stdout, '-' = empty stderr)
  local want_rc=$1 want_out=$2 want_err=$3
  shift 3
  (cd "$tmp/elsewhere" && "$simcon" "$@" >"$tmp/out" 2>"$tmp/err")
  local rc=$?
  if [ "$rc" != "$want_rc" ]; then
    echo "FAIL $*: exit $rc, want $want_rc; stderr: $(cat "$tmp/err")"; fail=1
  fi
  if [ -z "$want_out" ]; then
    if [ -s "$tmp/out" ]; then echo "FAIL $*: stdout $(cat "$tmp/out")"; fail=1; fi
  elif ! grep -qF -- "$want_out" "$tmp/out"; then
    echo "FAIL $*: stdout lacks '$want_out': $(cat "$tmp/out")"; fail=1
  fi
  if [ "$want_err" = - ]; then
    if [ -s "$tmp/err" ]; then echo "FAIL $*: stderr $(cat "$tmp/err")"; fail=1; fi
  else
    if ! grep -qF -- "$want_err" "$tmp/err" || [ "$(grep -c '' "$tmp/err")" != 1 ]; then
      echo "FAIL $*: want one stderr line with '$want_err', got: $(cat "$tmp/err")"
      fail=1
    fi
  fi
}
# 1. relative to the spec's folder, from another working directory
run 0 "ok: 2 models x 1 datasets x 1 metrics" - check "$tmp/exp/good.yaml"
# 2. --no-load runs no plugin code; plain check does and fails cleanly
run 0 "(plugins found, not loaded: parameters not checked)" - \
  check --no-load "$tmp/exp/ctor.yaml"
run 1 "" "simcon: exit() called in plugin '$tmp/exp/plugins/bad_ctor.so' during load (dlopen)" \
  check "$tmp/exp/ctor.yaml"
# 3. world-writable plugin file, then folder (not sticky)
chmod o+w "$tmp/exp/plugins/good_fixture.so"
run 0 "ok:" "simcon: warning: plugin file $tmp/exp/plugins/good_fixture.so is world-writable" \
  check "$tmp/exp/good.yaml"
chmod o-w "$tmp/exp/plugins/good_fixture.so"
chmod 777 "$tmp/exp/plugins"
run 0 "ok:" "simcon: warning: plugin folder $tmp/exp/plugins is world-writable" \
  check "$tmp/exp/good.yaml"
[ $fail = 0 ] && echo "ok: plugin paths, --no-load, world-writable warnings"
exit $fail
