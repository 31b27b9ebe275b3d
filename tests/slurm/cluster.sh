# Sourced by tests/slurm/run_slurm.sh: a single-node Slurm cluster under a
# temporary folder, as root, on the loopback interface only.
#   cluster_start DIR   generate a munge key, start munged, slurmctld and
#                       slurmd with state/spool/log under DIR; exports
#                       SLURM_CONF and MUNGE socket so sbatch/squeue use it
#   cluster_stop        stop the daemons started here, by pid
# Needs root (the daemons switch users and munge wants its key owned by the
# user it runs as). Debian 12 packages: slurmctld slurmd slurm-client munge.

SC_CLUSTER_PIDS=()

cluster_stop() {
  local p
  for p in "${SC_CLUSTER_PIDS[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${SC_CLUSTER_PIDS[@]}"; do
    for _ in $(seq 50); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$p" 2>/dev/null || true
  done
  SC_CLUSTER_PIDS=()
}

# Wait up to $2 seconds for file $1 to exist and hold a pid.
wait_pidfile() {
  for _ in $(seq $(( $2 * 10 ))); do
    if [ -s "$1" ]; then cat "$1"; return 0; fi
    sleep 0.1
  done
  return 1
}

cluster_start() {
  local dir=$1
  mkdir -p "$dir"/{munge,state,spool,log,run}
  chmod 700 "$dir/munge"
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge/munge.key"
  local sock=$dir/munge/munge.socket
  munged --key-file="$dir/munge/munge.key" --socket="$sock" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
    --seed-file="$dir/munge/munge.seed" --force --num-threads=2
  local mpid
  mpid=$(wait_pidfile "$dir/munge/munged.pid" 10) || { echo "munged did not start: $(tail -3 "$dir/munge/munged.log")"; return 1; }
  SC_CLUSTER_PIDS+=("$mpid")
  local cpus mem host
  cpus=$(nproc)
  mem=$(awk '/MemTotal/ {print int($2 / 1024 / 2)}' /proc/meminfo)
  host=localhost
  cat > "$dir/slurm.conf" <<CONF
ClusterName=simcontest
SlurmctldHost=$host
SlurmctldAddr=127.0.0.1
SlurmctldPort=${SC_SLURM_PORT:-16817}
SlurmdPort=${SC_SLURMD_PORT:-16818}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
SchedulerType=sched/backfill
SchedulerParameters=bf_interval=1,sched_interval=1
MpiDefault=none
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MinJobAge=600
KillWait=2
InactiveLimit=0
MaxArraySize=10001
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=$dir/slurm.conf
  slurmctld -f "$dir/slurm.conf" || { echo "slurmctld failed: $(tail -5 "$dir/log/slurmctld.log")"; return 1; }
  local cpid
  cpid=$(wait_pidfile "$dir/run/slurmctld.pid" 30) || { echo "slurmctld did not start: $(tail -5 "$dir/log/slurmctld.log")"; return 1; }
  SC_CLUSTER_PIDS+=("$cpid")
  slurmd -f "$dir/slurm.conf" -N "$host" || { echo "slurmd failed: $(tail -5 "$dir/log/slurmd.log")"; return 1; }
  local dpid
  dpid=$(wait_pidfile "$dir/run/slurmd.pid" 30) || { echo "slurmd did not start: $(tail -5 "$dir/log/slurmd.log")"; return 1; }
  SC_CLUSTER_PIDS+=("$dpid")
  # The node is up when sinfo shows it idle.
  for _ in $(seq 600); do
    if sinfo -h -N -o '%T' 2>/dev/null | grep -q '^idle'; then return 0; fi
    sleep 0.1
  done
  echo "node did not become idle: $(sinfo -N 2>&1 | tail -2); $(tail -3 "$dir/log/slurmctld.log")"
  return 1
}
