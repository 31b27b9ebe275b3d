#!/bin/sh
# Makefile.experiments rebuilds only what changed (label "spec").
# Usage: makefile_test.sh SOURCE_DIR SIMCON PLUGIN_DIR
# A scratch project gets a copy of Makefile.experiments, one tiny spec with
# two .npy files (written by NumPy), and a wrapper "simcon" that runs the
# REAL `simcon check` (so --list-inputs and readiness are real) but fakes
# `simcon run` by writing manifest.json and logging the run: the test is
# about make's decisions, not the runner. Expected: first make runs the
# experiment; a second does nothing; touching a feature file, a plugin, the
# spec each rerun it; `make results/t` names one experiment; a spec whose
# inputs are missing is not run by default.
set -eu
src=$1 simcon=$2 plugins=$3
tmp=$(mktemp -d /tmp/sc_mk_test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
mkdir -p experiments data/d1 b/plugins
cp "$src/Makefile.experiments" .
cp "$plugins"/cka.so b/plugins/
/usr/bin/python3 -c "
import numpy as np
for m in 'ab':
    np.save('data/d1/%s.npy' % m, np.arange(12.0).reshape(4, 3) + 1)"
cat > experiments/t.yaml <<'YAML'
name: t
data: {root: ../data, features: "{dataset}/{model}.npy"}
models: [{name: a}, {name: b}]
datasets: [{name: d1}]
metrics: [{name: cka, plugin: cka}]
YAML
sed 's/root: ..\/data/root: ..\/nowhere/; s/name: t$/name: u/' \
    experiments/t.yaml > experiments/u.yaml
cat > b/simcon <<SH
#!/bin/sh
if [ "\$1" = run ]; then
    mkdir -p "\$4" && echo "\$2" >> "$tmp/runs.log" && echo '{}' > "\$4/manifest.json"
    exit 0
fi
exec "$simcon" "\$@"
SH
chmod +x b/simcon
M="make -s -f Makefile.experiments BUILD_DIR=b"
fail=0
expect_runs() { # expect_runs WHAT WANT
    got=$(cat runs.log 2>/dev/null | tr '\n' ' ')
    if [ "$got" = "$2" ]; then echo "ok - $1: runs '$got'"
    else echo "not ok - $1: runs '$got', want '$2'"; fail=1; fi
    : > runs.log
}
: > runs.log
$M >/dev/null;                        expect_runs "first make" "experiments/t.yaml "
$M >/dev/null;                        expect_runs "nothing changed" ""
sleep 1; touch data/d1/b.npy; $M >/dev/null
expect_runs "feature file touched" "experiments/t.yaml "
sleep 1; touch b/plugins/cka.so; $M >/dev/null
expect_runs "plugin touched" "experiments/t.yaml "
sleep 1; touch experiments/t.yaml; $M results/t >/dev/null
expect_runs "spec touched, make results/t" "experiments/t.yaml "
$M results/u >/dev/null;              expect_runs "explicit results/u runs" "experiments/u.yaml "
test -d results/u && rm -rf results/u
$M >/dev/null;                        expect_runs "u not ready: not run" ""
help=$($M help); echo "$help" | grep -q "u  *inputs missing" && echo "ok - help marks u" || { echo "not ok - help"; fail=1; }
exit $fail
