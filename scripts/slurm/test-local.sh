#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine, and a sweep through it.
#
#   bash scripts/slurm/test-local.sh        (as root, on a Debian-like machine)
#
# 1. installs Debian's slurm-wlm and munge (apt-get) if they are missing;
# 2. starts munged, slurmctld and slurmd in a temporary folder (a minimal slurm.conf with
#    localhost as the only node, no cgroup plugins, no accounting), remembering their pids;
# 3. submits scripts/slurm/test_sweep.toml as an array of 4 tasks (one shard each) with
#    scripts/slurm/sweep.sbatch, plus a merge job (merge.sbatch) that waits for it (afterok);
# 4. cancels one task while it runs; checks that a merge by hand then lists the missing
#    runs and fails; resubmits the task alone and points the merge job's dependency at
#    the resubmitted task (`scontrol update ... Dependency=`), as scripts/slurm/README.md says;
# 5. checks that the merged sweep.csv, sweep_summary.csv and sweep.json are byte-identical
#    to a plain local `decouple sweep` of the same file;
# 6. stops the daemons it started, by their pids (also on failure): cancels leftover jobs,
#    then munged, slurmctld, slurmd and any job step daemon (slurmstepd) of this cluster.
#
# Environment: KEEP=1 keeps the temporary folder; DECOUPLE=path uses that binary instead of
# building target/release/decouple.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)

log() { echo "[slurm-test $(date +%H:%M:%S)] $*"; }
recorded() { (find "$1" -name record.json 2>/dev/null || true) | wc -l; }

# --- 1. install ---------------------------------------------------------------------------
need=()
command -v slurmctld >/dev/null 2>&1 || need+=(slurm-wlm)
command -v munged >/dev/null 2>&1 || need+=(munge)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "need root to install ${need[*]} (apt-get)" >&2
    exit 1
  fi
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The packages' own services must not start: this script starts its own daemons.
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

decouple=${DECOUPLE:-}
if [ -z "$decouple" ]; then
  log "building decouple"
  cargo build --release --quiet
  decouple=$repo/target/release/decouple
fi
export DECOUPLE=$decouple

# --- 2. the cluster -----------------------------------------------------------------------
work=$(mktemp -d /tmp/decouple-slurm.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  local rc=$?
  # Jobs still queued or running (a failed test): cancel them while slurmctld is up.
  scancel --full --user=root >/dev/null 2>&1 || true
  for _ in $(seq 50); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.1; done
  # Job step daemons (slurmstepd) detach from slurmd: find those of this cluster by their
  # SLURM_CONF and stop them by pid, with the daemons this script started.
  for pid in $(pgrep -x slurmstepd || true); do
    if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "SLURM_CONF=$work/slurm.conf"; then
      pids+=("$pid")
    fi
  done
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ "${KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then
    log "logs and outputs kept in $work"
  else
    rm -rf "$work"
  fi
  exit $rc
}
trap cleanup EXIT

mkdir -p "$work"/{munge,state,spool,out}
chmod 700 "$work/munge"
mungekey --create --keyfile="$work/munge/munge.key" 2>/dev/null ||
  dd if=/dev/urandom of="$work/munge/munge.key" bs=1 count=1024 status=none
chmod 600 "$work/munge/munge.key"
munged --foreground --force --key-file="$work/munge/munge.key" --socket="$work/munge/munge.socket" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" \
  --seed-file="$work/munge/munged.seed" >>"$work/munge/munged.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "$work/munge/munge.socket" ] && break; sleep 0.1; done
[ -S "$work/munge/munge.socket" ] || { echo "munged did not start" >&2; cat "$work/munge/munged.log" >&2; exit 1; }

cpus=$(nproc)
export SLURM_CONF=$work/slurm.conf
cat >"$SLURM_CONF" <<CONF
ClusterName=decouple-test
SlurmctldHost=localhost
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge/munge.socket
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
SlurmdTimeout=30
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

slurmctld -D -f "$SLURM_CONF" >>"$work/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" -N localhost >>"$work/slurmd.out" 2>&1 &
pids+=($!)
log "munged, slurmctld, slurmd started (pids ${pids[*]})"
for _ in $(seq 100); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
  case "$state" in idle*|mix*|alloc*) break ;; esac
  sleep 0.2
done
sinfo
case "$(sinfo -h -N -o '%T' | head -1)" in idle*|mix*|alloc*) ;; *) echo "node not up" >&2; cat "$work/slurmd.log" >&2; exit 1 ;; esac

# --- 3. the array and its merge -----------------------------------------------------------
sweep=$repo/scripts/slurm/test_sweep.toml
name=slurm_test
out=$work/out
shards=4
cd "$work"
array=$(sbatch --parsable --array=1-$shards "$repo/scripts/slurm/sweep.sbatch" "$sweep" "$out" $shards)
merge=$(sbatch --parsable --dependency=afterok:"$array" "$repo/scripts/slurm/merge.sbatch" $name "$out" $shards)
log "submitted array job $array (tasks 1-$shards) and merge job $merge (afterok:$array)"

# --- 4. cancel a task mid-run, resubmit it ------------------------------------------------
victim=2
for _ in $(seq 300); do
  st=$(squeue -h -j "${array}_$victim" -o '%T' 2>/dev/null || true)
  [ "$st" = RUNNING ] && break
  sleep 0.1
done
# Let it finish at least one run (a record) but not all: then cancel it.
for _ in $(seq 300); do
  n=$(recorded "$out/shard-$victim")
  [ "$n" -ge 1 ] && break
  sleep 0.1
done
log "task $victim: $(recorded "$out/shard-$victim") of 2 runs recorded; scancel ${array}_$victim"
scancel "${array}_$victim"
for _ in $(seq 100); do
  [ -z "$(squeue -h -j "${array}_$victim" 2>/dev/null)" ] && break
  sleep 0.1
done
log "merge by hand now (shard $victim unfinished): must fail and list the missing runs"
dirs=()
for k in $(seq 1 $shards); do dirs+=("$out/shard-$k/$name"); done
if "$decouple" merge "${dirs[@]}" --out "$work/early" 2>"$work/early-merge.err"; then
  echo "the early merge should have failed" >&2
  exit 1
fi
grep -v '^ *[0-9]*: \|^ *at ' "$work/early-merge.err" | head -5
grep -q "runs are missing" "$work/early-merge.err"
log "merge job $merge: $(squeue -h -j "$merge" -o '%T %r')"
resub=$(sbatch --parsable --array=$victim "$repo/scripts/slurm/sweep.sbatch" "$sweep" "$out" $shards)
scontrol update JobId="$merge" Dependency=afterany:"$array",afterok:"$resub"
log "resubmitted task $victim as job $resub; merge job $merge now waits on afterany:$array,afterok:$resub"

for _ in $(seq 1200); do
  [ -z "$(squeue -h 2>/dev/null)" ] && break
  sleep 0.5
done
[ -z "$(squeue -h)" ] || { echo "jobs did not finish" >&2; squeue >&2; exit 1; }

state() { scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -1 | cut -d= -f2; }
log "final states: array $array task $victim: $(state "${array}_$victim"), resubmitted $resub: $(state "$resub"), merge $merge: $(state "$merge")"
for k in $(seq 1 $shards); do
  echo "--- task $k: $(cat "decouple-sweep-${array}_$k.out" | tr '\n' ' ')"
done
echo "--- resubmitted task ($resub): $(cat decouple-sweep-"${resub}"_$victim.out | tr '\n' ' ')"
echo "--- merge ($merge): $(cat "decouple-merge-$merge.out" | tr '\n' ' ')"

# --- 5. byte-identical to a plain local sweep ---------------------------------------------
log "plain local sweep of the same file"
"$decouple" sweep "$sweep" --out "$work/local" --quiet
fail=0
for f in sweep.csv sweep_summary.csv sweep.json; do
  if cmp "$work/local/$name/$f" "$out/merged/$name/$f"; then
    echo "identical: $f ($(wc -c <"$out/merged/$name/$f") bytes)"
  else
    echo "DIFFERENT: $f" >&2
    fail=1
  fi
done
[ "$(state "$merge")" = COMPLETED ] || { echo "the merge job did not complete" >&2; fail=1; }
if [ $fail -ne 0 ]; then exit 1; fi
log "PASS: slurm array of $shards, task $victim cancelled mid-run and resubmitted, merged tables byte-identical to the local sweep"
