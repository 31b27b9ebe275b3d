#!/usr/bin/env bash
# Rebuild the simcon model zoo from scratch, offline except for the Debian and
# npm registries: stimuli -> torch training + features -> pretrained (tfjs,
# wasm) features -> float16 -> probes -> manifest + experiments/zoo.yaml -> checks.
#
#   bash experiments/zoo/build.sh            # everything (~25-35 min on 2 cores)
#   ZOO_JOBS=1 bash experiments/zoo/build.sh # train the torch models in one process
#
# Not run by CI. Uses /usr/bin/python3 (Debian's, with numpy/torch/sklearn).
set -euo pipefail

ZOO="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY=/usr/bin/python3
JOBS="${ZOO_JOBS:-2}"
DEBS="python3-torch python3-sklearn python3-numpy python3-pil python3-fonttools unicode-data fonts-noto-color-emoji dataset-fashion-mnist nodejs"

mkdir -p "$ZOO/cache/logs"
TIMINGS="$ZOO/cache/timings.tsv"
: > "$TIMINGS"
step() {  # step NAME COMMAND... : run, log wall time
  local name="$1"; shift
  local t0=$SECONDS
  echo "== $name"
  "$@"
  printf '%s\t%s\n' "$name" "$((SECONDS - t0))" >> "$TIMINGS"
  echo "== $name: $((SECONDS - t0)) s"
}

deps() {
  local missing=""
  for p in $DEBS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ]; then apt-get install -y $missing
    else echo "missing Debian packages:$missing (apt-get install them)" >&2; exit 1; fi
  fi
  command -v npm >/dev/null || { echo "npm not found (Node 20 with npm is needed)" >&2; exit 1; }
  (cd "$ZOO/node" && npm ci --no-audit --no-fund --ignore-scripts)
}

train() {
  # One process per seed; each process trains its models one after another with
  # a fixed thread count, so the results do not depend on ZOO_JOBS.
  local s0="cnn_ssl_s0 cnn_sup_s0 cnn_ae_s0 mlp_sup_s0 mlp_ssl_s0 mlp_ae_s0"
  local s1="cnn_ssl_s1 cnn_sup_s1 cnn_ae_s1 mlp_sup_s1 mlp_ssl_s1 mlp_ae_s1"
  if [ "$JOBS" -ge 2 ]; then
    $PY "$ZOO/train_torch.py" "$ZOO" $s0 > "$ZOO/cache/logs/train_s0.log" 2>&1 &
    local p0=$!
    $PY "$ZOO/train_torch.py" "$ZOO" $s1 > "$ZOO/cache/logs/train_s1.log" 2>&1 &
    local p1=$!
    wait $p0 && wait $p1 || { tail -n 20 "$ZOO"/cache/logs/train_s*.log; return 1; }
  else
    $PY "$ZOO/train_torch.py" "$ZOO" $s0 $s1 > "$ZOO/cache/logs/train_s0.log" 2>&1
  fi
  tail -n 3 "$ZOO"/cache/logs/train_s*.log
}

step deps deps
step stimuli $PY "$ZOO/build_stimuli.py" "$ZOO"
step torch train
step pretrained node "$ZOO/node/extract.js" "$ZOO"
step float16 $PY "$ZOO/finalize_features.py" "$ZOO"
step probes $PY "$ZOO/probes.py" "$ZOO"
step manifest $PY "$ZOO/make_manifest.py" "$ZOO" "$ZOO/../zoo.yaml"
step checks bash -c "$PY '$ZOO/check_knn_probe.py' '$ZOO' && $PY '$ZOO/verify_manifest.py' '$ZOO'"
# the manifest records the timings file as read before the checks; refresh it
$PY "$ZOO/make_manifest.py" "$ZOO" "$ZOO/../zoo.yaml" >/dev/null
echo "zoo built in $SECONDS s; sizes:"
du -sh --exclude=node_modules --exclude=cache "$ZOO"
