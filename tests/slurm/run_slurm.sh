#!/usr/bin/env bash
# slurm.cluster: `simcon slurm --submit` on a real single-node Slurm cluster.
#
# Usage: run_slurm.sh SIMCON SOURCE_DIR WORK FIXTURE_DIR
#
# Starts munged, slurmctld and slurmd itself (tests/slurm/cluster.sh: state,
# spool and logs under WORK, loopback only, free ports) and stops them by
# pid on exit. Needs root; as another user it prints why and exits 77
# (CTest SKIP_RETURN_CODE). Missing Slurm packages are a failure: run
# .ci/install-deps.sh.
#  1. The bundled example (experiments/zoo.yaml, 12 similarity tasks on a
#     node of $(nproc) CPUs, so elements queue, and 3 tasks each of
#     consistency, contrasts and behaviour) through `simcon slurm --submit`;
#     every table equals a local `simcon run`; the manifest lists each
#     element with its array ids (compare.py).
#  1b. The e2e zoo with one metric (RSA) and runtime.model_blocks: 2 (6
#     prepare and 9 pairs elements before the 3 similarity elements):
#     tables equal a local run with the same blocks, each task once in its
#     element (compare.py blocks=2).
#  2. A study with a slow test metric (slow_fixture: 600 ms per prepare):
#     one similarity element is cancelled while it runs (scancel JOB_ELEM),
#     the later jobs cannot start, the element is resubmitted alone
#     (sbatch --array=<id>) with new statistics arrays and assemble; the
#     result equals a local run and no finished element ran again.
#  3. A consistency-only study with 2,000,000 permutations (12 models, so
#     the exact test does not cap them), one unit per chunk of a few
#     seconds: consistency element 1 is cancelled once squeue shows it
#     RUNNING, the assemble job cannot start, the element is resubmitted
#     alone with a new assemble job; the result equals a local run, the
#     other two elements ran once (their units are cache hits of assemble).
# Waits are bounded (WAIT seconds per job).
set -euo pipefail
simcon=$1 src=$2 work=$3 fixtures=$4
WAIT=${SC_SLURM_WAIT:-300}

if [ "$(id -u)" != 0 ]; then
  echo "SKIP: slurm.cluster starts munged, slurmctld and slurmd and needs root"
  exit 77
fi
for b in munged slurmctld slurmd sbatch squeue scancel sinfo scontrol; do
  command -v "$b" >/dev/null ||
    { echo "FAIL: $b not found; install slurmctld slurmd slurm-client munge (.ci/install-deps.sh)"; exit 1; }
done
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
rm -rf "$work"
mkdir -p "$work"
# Free ports, so that two test runs on one machine do not meet.
read -r SC_SLURM_PORT SC_SLURMD_PORT < <($py -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
export SC_SLURM_PORT SC_SLURMD_PORT
source "$here/cluster.sh"
trap cluster_stop EXIT
t0=$(date +%s)
cluster_start "$work/cluster" || { echo "FAIL: the test cluster did not start"; exit 1; }
echo "cluster up in $(( $(date +%s) - t0 )) s: $(sinfo -h -N -o '%N %c CPUs %T')"
export SIMCON_PLUGIN_PATH="$fixtures${SIMCON_PLUGIN_PATH:+:$SIMCON_PLUGIN_PATH}"

wait_gone() { # job id, what
  local _
  for _ in $(seq $(( WAIT * 5 ))); do
    [ -z "$(squeue -h -r -j "$1" -o %i 2>/dev/null)" ] && return 0
    sleep 0.2
  done
  echo "FAIL: $2 (job $1) still queued after ${WAIT}s: $(squeue -r -j "$1" 2>&1 | tail -3)"
  return 1
}
job_of() { awk -v s="$1" '$1 == s {print $2}'; }
show_logs() { tail -n 5 "$1".tasks/slurm/logs/*.log 2>/dev/null || true; }

# 1. The bundled example.
spec=$src/experiments/zoo.yaml
"$simcon" run "$spec" -o "$work/zoo-local" --quiet
ids=$("$simcon" slurm "$spec" -o "$work/zoo" --chunks 3 --submit --quiet)
sim=$(job_of similarity <<<"$ids") con=$(job_of consistency <<<"$ids") asm=$(job_of assemble <<<"$ids")
ctr=$(job_of contrasts <<<"$ids") beh=$(job_of behaviour <<<"$ids")
[ -n "$sim" ] && [ -n "$con" ] && [ -n "$ctr" ] && [ -n "$beh" ] && [ -n "$asm" ] ||
  { echo "FAIL: no job ids from simcon slurm --submit: $ids"; exit 1; }
pending=$(squeue -h -r -t PENDING -j "$sim" -o %i | wc -l)
echo "example: similarity array $sim (12 elements, $(nproc) CPUs, $pending pending right after submission), consistency $con, contrasts $ctr, behaviour $beh (3 each), assemble $asm"
[ "$(nproc)" -lt 12 ] || { echo "FAIL: the node has >= 12 CPUs; elements would not queue"; exit 1; }
for j in "$sim:similarity" "$con:consistency" "$ctr:contrasts" "$beh:behaviour" "$asm:assemble"; do
  wait_gone "${j%%:*}" "the ${j#*:} job" || { show_logs "$work/zoo"; exit 1; }
done
[ -f "$work/zoo/manifest.json" ] || { echo "FAIL: no result folder"; show_logs "$work/zoo"; exit 1; }
$py "$here/compare.py" "$work/zoo-local" "$work/zoo" 12 consistency=3,contrasts=3,behaviour=3

# 1b. The e2e zoo in model blocks: prepare and pairs arrays before the
# similarity array (afterok), the same tables as a local run with the
# same blocks, every task once in its element.
zb=$work/zb
$py "$src/tests/e2e/make_zoo.py" "$zb" >/dev/null
# One metric (RSA, which has an embedding) keeps it short: 6 prepare and
# 9 pairs elements before 3 similarity elements.
{ grep -v -e '^  - {name: cka_linear' -e '^  - {name: cknna_k5' "$src/tests/e2e/zoo.yaml"
  echo "runtime: {model_blocks: 2}"; } >"$zb/zoo.yaml"
grep -q '^  - {name: rsa_spearman' "$zb/zoo.yaml" && ! grep -q cka_linear "$zb/zoo.yaml" ||
  { echo "FAIL: could not make the one-metric spec"; exit 1; }
tb=$(date +%s)
"$simcon" run "$zb/zoo.yaml" -o "$work/zb-local" --quiet
ids=$("$simcon" slurm "$zb/zoo.yaml" -o "$work/sb" --submit --quiet)
for s in prepare pairs similarity consistency contrasts behaviour assemble; do
  j=$(job_of $s <<<"$ids")
  [ -n "$j" ] || { echo "FAIL: no $s job from simcon slurm --submit: $ids"; exit 1; }
  wait_gone "$j" "the blocked run's $s job" || { show_logs "$work/sb"; exit 1; }
done
[ -f "$work/sb/manifest.json" ] || { echo "FAIL: no blocked result"; show_logs "$work/sb"; exit 1; }
$py "$here/compare.py" "$work/zb-local" "$work/sb" 3 blocks=2,consistency=1,contrasts=1,behaviour=1
echo "model blocks: 6 prepare, 9 pairs, 3 similarity elements in $(( $(date +%s) - tb )) s"
# 2. Cancel one element mid-task, resubmit it alone.
z2=$work/z2
$py "$src/tests/e2e/make_zoo.py" "$z2" >/dev/null
sed 's|^  - {name: cknna_k5.*|&\n  - {name: slow, plugin: slow_fixture, params: {ms: 600}}|' \
  "$src/tests/e2e/zoo.yaml" >"$z2/zoo.yaml"
grep -q slow_fixture "$z2/zoo.yaml" || { echo "FAIL: could not add the slow metric"; exit 1; }
"$simcon" run "$z2/zoo.yaml" -o "$work/z2-local" --quiet
ids=$("$simcon" slurm "$z2/zoo.yaml" -o "$work/s2" --chunks 3 --submit --quiet)
sim=$(job_of similarity <<<"$ids") con=$(job_of consistency <<<"$ids") asm=$(job_of assemble <<<"$ids")
ctr=$(job_of contrasts <<<"$ids") beh=$(job_of behaviour <<<"$ids")
kill_elem=7 # nat_b / slow: 8 prepares of 600 ms
state=
for _ in $(seq $(( WAIT * 10 ))); do
  state=$(squeue -h -r -j "${sim}_$kill_elem" -o %T 2>/dev/null || true)
  [ "$state" = RUNNING ] && break
  sleep 0.1
done
[ "$state" = RUNNING ] || { echo "FAIL: element $kill_elem never ran (state '$state')"; exit 1; }
sleep 1
scancel "${sim}_$kill_elem"
echo "cancelled ${sim}_$kill_elem while running"
wait_gone "$sim" "the similarity array" || { show_logs "$work/s2"; exit 1; }
if ls "$work/s2.tasks/records/" | grep -q "^similarity-$kill_elem\."; then
  echo "FAIL: element $kill_elem finished before it was cancelled; not a mid-task kill"
  exit 1
fi
n=$(ls "$work/s2.tasks/records/" | wc -l)
[ "$n" = 11 ] || { echo "FAIL: expected 11 finished elements, got $n"; exit 1; }
# The later jobs wait for a dependency that can no longer be met.
reason=$(squeue -h -j "$con" -o %r 2>/dev/null | sort -u | tr '\n' ' ' || true)
echo "consistency $con: ${reason:-gone}"
[ ! -e "$work/s2" ] || { echo "FAIL: assemble ran although an element failed"; exit 1; }
scancel "$con" "$ctr" "$beh" "$asm" 2>/dev/null || true
cd "$work/s2.tasks/slurm"
re=$(sbatch --parsable --array="$kill_elem" similarity.sbatch); re=${re%%;*}
after=
for stage in consistency contrasts behaviour; do
  j=$(sbatch --parsable --dependency=afterok:"$re" $stage.sbatch); after=$after:${j%%;*}
done
asm2=$(sbatch --parsable --dependency=afterok"$after" assemble.sbatch); asm2=${asm2%%;*}
cd - >/dev/null
echo "resubmitted element $kill_elem as $re, then the statistics arrays (${after#:}) and assemble $asm2"
for j in $re ${after//:/ } $asm2; do
  wait_gone "$j" "job $j after the resubmission" || { show_logs "$work/s2"; exit 1; }
done
[ -f "$work/s2/manifest.json" ] || { echo "FAIL: no result after resubmission"; show_logs "$work/s2"; exit 1; }
$py "$here/compare.py" "$work/z2-local" "$work/s2" 12 consistency=3,contrasts=3,behaviour=3 "$re:similarity/$kill_elem"

# 3. Cancel a consistency element while it runs, resubmit it alone.
z3=$work/z3
$py "$src/tests/e2e/make_zoo.py" "$z3" >/dev/null
for d in "$z3"/features/*/; do
  for m in ssl_cnn_a ssl_vit_a sup_cnn_a sup_vit_a; do cp "$d/$m.npy" "$d/x$m.npy"; done
done
# The e2e zoo with those 4 copies (12 models: 12! permutations, so the
# test does not become exact), one metric, consistency only, 2,000,000
# permutations: about 3 CPU-seconds per unit on an idle machine.
$py - "$src/tests/e2e/zoo.yaml" "$z3/zoo.yaml" <<'PY'
import sys
out = []
for line in open(sys.argv[1]):
    if line.startswith(("behaviour:", "  accuracy:", "  behaviour:",
                        "  contrasts:", "  - {name: rsa_", "  - {name: cknna")):
        continue
    out.append(line.replace("permutations: 199,", "permutations: 2000000,"))
    if line.startswith("  - {name: sup_vit_b,"):
        for m, o, a in (("ssl_cnn_a", "ssl", "cnn"), ("ssl_vit_a", "ssl", "vit"),
                        ("sup_cnn_a", "supervised", "cnn"),
                        ("sup_vit_a", "supervised", "vit")):
            out.append("  - {name: x%s, objective: %s, architecture: %s}\n"
                       % (m, o, a))
open(sys.argv[2], "w").write("".join(out))
PY
grep -q "permutations: 2000000," "$z3/zoo.yaml" || { echo "FAIL: could not raise the permutations"; exit 1; }
t3=$(date +%s)
"$simcon" run "$z3/zoo.yaml" -o "$work/z3-local" --quiet
echo "consistency study: local run in $(( $(date +%s) - t3 )) s"
ids=$("$simcon" slurm "$z3/zoo.yaml" -o "$work/s3" --chunks 3 --submit --quiet)
sim=$(job_of similarity <<<"$ids") con=$(job_of consistency <<<"$ids") asm=$(job_of assemble <<<"$ids")
[ -n "$con" ] && [ -z "$(job_of contrasts <<<"$ids")$(job_of behaviour <<<"$ids")" ] ||
  { echo "FAIL: expected a consistency array only: $ids"; exit 1; }
kill_elem=1
state=
for _ in $(seq $(( WAIT * 10 ))); do
  state=$(squeue -h -r -j "${con}_$kill_elem" -o %T 2>/dev/null || true)
  [ "$state" = RUNNING ] && break
  sleep 0.1
done
[ "$state" = RUNNING ] || { echo "FAIL: consistency element $kill_elem never ran (state '$state')"; exit 1; }
sleep 0.5
scancel "${con}_$kill_elem"
echo "cancelled ${con}_$kill_elem while running"
wait_gone "$con" "the consistency array" || { show_logs "$work/s3"; exit 1; }
if ls "$work/s3.tasks/records/" | grep -q "^consistency-$kill_elem\."; then
  echo "FAIL: consistency element $kill_elem finished before it was cancelled; not a mid-task kill"
  exit 1
fi
n=$(ls "$work/s3.tasks/records/" | grep -c '^consistency-' || true)
[ "$n" = 2 ] || { echo "FAIL: expected 2 finished consistency elements, got $n"; exit 1; }
[ ! -e "$work/s3" ] || { echo "FAIL: assemble ran although an element failed"; exit 1; }
scancel "$asm" 2>/dev/null || true
cd "$work/s3.tasks/slurm"
con3=$(sbatch --parsable --array=$kill_elem consistency.sbatch); con3=${con3%%;*}
asm3=$(sbatch --parsable --dependency=afterok:"$con3" assemble.sbatch); asm3=${asm3%%;*}
cd - >/dev/null
echo "resubmitted ${con}_$kill_elem as $con3, assemble $asm3"
wait_gone "$con3" "the resubmitted consistency element" || { show_logs "$work/s3"; exit 1; }
wait_gone "$asm3" "the new assemble job" || { show_logs "$work/s3"; exit 1; }
[ -f "$work/s3/manifest.json" ] || { echo "FAIL: no result after resubmission"; show_logs "$work/s3"; exit 1; }
$py "$here/compare.py" "$work/z3-local" "$work/s3" 3 consistency=3 "$con3:consistency/$kill_elem"
echo "ok in $(( $(date +%s) - t0 )) s"
