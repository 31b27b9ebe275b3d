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
#     node of $(nproc) CPUs, so elements queue, and 3 consistency tasks)
#     through `simcon slurm --submit`; every table equals a local
#     `simcon run`; the manifest lists each element with its array ids
#     (compare.py).
#  2. A study with a slow test metric (slow_fixture: 600 ms per prepare):
#     one similarity element is cancelled while it runs (scancel JOB_ELEM),
#     the later jobs cannot start, the element is resubmitted alone
#     (sbatch --array=<id>) with a new consistency array, of which one
#     element is held (scontrol hold) and cancelled once the others have
#     finished, then resubmitted alone with a new assemble job; the result
#     equals a local run and no finished element ran again.
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
[ -n "$sim" ] && [ -n "$con" ] && [ -n "$asm" ] || { echo "FAIL: no job ids from simcon slurm --submit: $ids"; exit 1; }
pending=$(squeue -h -r -t PENDING -j "$sim" -o %i | wc -l)
echo "example: similarity array $sim (12 elements, $(nproc) CPUs, $pending pending right after submission), consistency array $con (3), assemble $asm"
[ "$(nproc)" -lt 12 ] || { echo "FAIL: the node has >= 12 CPUs; elements would not queue"; exit 1; }
wait_gone "$sim" "the similarity array" || { show_logs "$work/zoo"; exit 1; }
wait_gone "$con" "the consistency array" || { show_logs "$work/zoo"; exit 1; }
wait_gone "$asm" "the assemble job" || { show_logs "$work/zoo"; exit 1; }
[ -f "$work/zoo/manifest.json" ] || { echo "FAIL: no result folder"; show_logs "$work/zoo"; exit 1; }
$py "$here/compare.py" "$work/zoo-local" "$work/zoo" 12 3

# 2. Cancel one element mid-task, resubmit it alone.
z2=$work/z2
$py "$src/tests/e2e/make_zoo.py" "$z2" >/dev/null
sed 's|^  - {name: cknna_k5.*|&\n  - {name: slow, plugin: slow_fixture, params: {ms: 600}}|' \
  "$src/tests/e2e/zoo.yaml" >"$z2/zoo.yaml"
grep -q slow_fixture "$z2/zoo.yaml" || { echo "FAIL: could not add the slow metric"; exit 1; }
"$simcon" run "$z2/zoo.yaml" -o "$work/z2-local" --quiet
ids=$("$simcon" slurm "$z2/zoo.yaml" -o "$work/s2" --chunks 3 --submit --quiet)
sim=$(job_of similarity <<<"$ids") con=$(job_of consistency <<<"$ids") asm=$(job_of assemble <<<"$ids")
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
scancel "$con" "$asm" 2>/dev/null || true
cd "$work/s2.tasks/slurm"
re=$(sbatch --parsable --array="$kill_elem" similarity.sbatch); re=${re%%;*}
con2=$(sbatch --parsable --dependency=afterok:"$re" consistency.sbatch); con2=${con2%%;*}
# Hold element 1 while it waits for its dependency; cancel it once the
# others have finished: a failed element of the consistency array.
scontrol hold "${con2}_1" >/dev/null
cd - >/dev/null
echo "resubmitted element $kill_elem as $re, consistency array $con2 (element 1 held)"
wait_gone "$re" "the resubmitted element" || { show_logs "$work/s2"; exit 1; }
for _ in $(seq $(( WAIT * 5 ))); do
  [ "$(squeue -h -r -j "$con2" -o %i | wc -l)" = 1 ] && break
  sleep 0.2
done
left=$(squeue -h -r -j "$con2" -o %i)
[ "$left" = "${con2}_1" ] || { echo "FAIL: expected only ${con2}_1 left, got '$left'"; show_logs "$work/s2"; exit 1; }
scancel "${con2}_1"
n=$(ls "$work/s2.tasks/records/" | grep -c '^consistency-' || true)
[ "$n" = 2 ] || { echo "FAIL: expected 2 finished consistency elements, got $n"; exit 1; }
cd "$work/s2.tasks/slurm"
con3=$(sbatch --parsable --array=1 consistency.sbatch); con3=${con3%%;*}
asm2=$(sbatch --parsable --dependency=afterok:"$con3" assemble.sbatch); asm2=${asm2%%;*}
cd - >/dev/null
echo "cancelled ${con2}_1, resubmitted it as $con3, assemble $asm2"
wait_gone "$con3" "the resubmitted consistency element" || { show_logs "$work/s2"; exit 1; }
wait_gone "$asm2" "the new assemble job" || { show_logs "$work/s2"; exit 1; }
[ -f "$work/s2/manifest.json" ] || { echo "FAIL: no result after resubmission"; show_logs "$work/s2"; exit 1; }
$py "$here/compare.py" "$work/z2-local" "$work/s2" 12 3 "$re:similarity/$kill_elem" "$con3:consistency/1"
echo "ok in $(( $(date +%s) - t0 )) s"
