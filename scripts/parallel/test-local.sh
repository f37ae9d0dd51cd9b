#!/usr/bin/env bash
# GNU parallel as the no-scheduler way to run a sweep's shards (here on this machine; across
# machines with --sshlogin, see scripts/slurm/README.md).
#
#   bash scripts/parallel/test-local.sh
#
# Installs Debian's `parallel` if missing (root), runs scripts/slurm/test_sweep.toml as 4
# shards with `parallel --jobs 2 --joblog`, killing every shard after 2 s (--timeout) on the
# first pass, then finishing them with --resume-failed; merges; and checks that the merged
# tables are byte-identical to a plain local `decouple sweep` of the same file.
# Environment: DECOUPLE=path uses that binary; KEEP=1 keeps the temporary folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
log() { echo "[parallel-test $(date +%H:%M:%S)] $*"; }

if ! command -v parallel >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || { echo "need root to install parallel (apt-get)" >&2; exit 1; }
  log "installing parallel"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends parallel >/dev/null
fi
decouple=${DECOUPLE:-}
if [ -z "$decouple" ]; then
  cargo build --release --quiet
  decouple=$repo/target/release/decouple
fi

work=$(mktemp -d /tmp/decouple-parallel.XXXXXX)
trap 'rc=$?; if [ "${KEEP:-0}" = 1 ] || [ $rc -ne 0 ]; then echo "kept $work"; else rm -rf "$work"; fi; exit $rc' EXIT
sweep=$repo/scripts/slurm/test_sweep.toml
name=slurm_test
out=$work/out
shards=4

log "pass 1: 4 shards, 2 at a time, each killed after 2 s"
parallel --will-cite --jobs 2 --joblog "$work/jobs.log" --timeout 2 \
  "$decouple" sweep "$sweep" --shard {}/$shards --out "$out/shard-{}" --quiet ::: $(seq 1 $shards) || true
cat "$work/jobs.log"
log "records after pass 1: $( (find "$out" -name record.json || true) | wc -l) of 8"
log "pass 2: --resume-failed reruns the killed shards (each resumes from its records)"
parallel --will-cite --jobs 2 --joblog "$work/jobs.log" --resume-failed \
  "$decouple" sweep "$sweep" --shard {}/$shards --out "$out/shard-{}" --quiet ::: $(seq 1 $shards)
cat "$work/jobs.log"
"$decouple" merge $(for k in $(seq 1 $shards); do echo "$out/shard-$k/$name"; done) --out "$out/merged"
"$decouple" sweep "$sweep" --out "$work/local" --quiet
for f in sweep.csv sweep_summary.csv sweep.json; do
  cmp "$work/local/$name/$f" "$out/merged/$name/$f"
  echo "identical: $f"
done
log "PASS: GNU parallel shards (killed, resumed, merged) byte-identical to the local sweep"
