# tests/agents/lib/slurm.sh: a Slurm cluster started by the test itself,
# inside the namespace hosts of lib/netns.sh (source that, and netns_up,
# first).
#
#   slurm_require           skip (77) without Slurm's and munge's programs
#   slurm_up CTL NODE...    munged and slurmctld in host CTL, one slurmd per
#                           NODE host (named n<I>, CPUs = this machine's),
#                           all in the foreground, stopped by pid on exit;
#                           returns once every node is idle. `slurm_up 2 2`
#                           is a single-node Slurm in host 2.
#   slurm CMD...            a client command (sbatch, squeue...) in host CTL
#   slurm_job_state JOBID   PENDING, RUNNING, COMPLETED, CANCELLED...
#   slurm_wait_gone JOBID S wait up to S s for the job to leave the queue
#   slurm_down              cancel every job, stop the daemons (the exit hook)
#
# Adapted from the verified recipes shared/testing/slurm-ci.sh (single
# node) and slurm-netns.sh (one slurmd per namespace). The daemons are
# entered with nsenter --net (lib/netns.sh's spawn): `ip netns exec`
# remounts /sys, which hides /sys/fs/cgroup, and slurmd 22.05 then refuses
# to start. Jobs run in their slurmd's namespace, so a job's steps are on
# that host's network and see its hostname. munged's socket is a file
# that every namespace reaches. Output of jobs: $SLURM_DIR/out.

[ -z "${AGENTS_SLURM_SH:-}" ] || return 0  # sourced once
AGENTS_SLURM_SH=1

source "$(dirname "${BASH_SOURCE[0]}")/netns.sh"

SLURM_DIR=  # this cluster's run folder, under $NETNS_WORK
SLURM_CTL=
SLURM_NODES=()

slurm_require() {
  local tool
  for tool in slurmctld slurmd sbatch srun scancel squeue sinfo munged mungekey; do
    command -v "$tool" >/dev/null ||
      skip "no $tool: install slurmctld slurmd slurm-client munge (scripts/test does)"
  done
}

slurm() {
  SLURM_CONF=$SLURM_DIR/slurm.conf nsenter --net="/run/netns/$(host_ns "$SLURM_CTL")" "$@"
}

slurm_nodes_idle() {
  [ "$(slurm sinfo -h -t idle -o %D 2>/dev/null)" = "${#SLURM_NODES[@]}" ]
}

slurm_up() {
  SLURM_CTL=$1
  shift
  SLURM_NODES=("$@")
  local i cpus
  cpus=$(nproc)
  SLURM_DIR=$(mktemp -d "$NETNS_WORK/slurm.XXXXXX")
  mkdir -p "$SLURM_DIR"/{munge,state,log,out}
  for i in "${SLURM_NODES[@]}"; do mkdir -p "$SLURM_DIR/spool/n$i"; done
  # munged insists that every folder above its socket is searchable by all.
  chmod -R 755 "$SLURM_DIR"
  mungekey -c -k "$SLURM_DIR/munge/munge.key"
  {
    sed -e "s|@DIR@|$SLURM_DIR|g" -e "s|@CTL_ADDR@|$(host_addr "$SLURM_CTL")|g" \
      "$AGENTS_DIR/lib/slurm.conf.in"
    local names=()
    for i in "${SLURM_NODES[@]}"; do
      echo "NodeName=n$i NodeAddr=$(host_addr "$i") CPUs=$cpus State=UNKNOWN"
      names+=("n$i")
    done
    echo "PartitionName=debug Nodes=$(IFS=,; echo "${names[*]}") Default=YES MaxTime=INFINITE State=UP"
  } >"$SLURM_DIR/slurm.conf"
  on_exit slurm_down
  on_failure slurm_show_logs

  spawn munged "$SLURM_CTL" munged -F --socket="$SLURM_DIR/munge/munge.socket.2" \
    --key-file="$SLURM_DIR/munge/munge.key" --log-file="$SLURM_DIR/log/munged.log" \
    --pid-file="$SLURM_DIR/munge/munged.pid" --seed-file="$SLURM_DIR/munge/munged.seed"
  wait_for 10 "munged's socket" test -S "$SLURM_DIR/munge/munge.socket.2"
  spawn slurmctld "$SLURM_CTL" slurmctld -D -i -f "$SLURM_DIR/slurm.conf"
  for i in "${SLURM_NODES[@]}"; do
    spawn "slurmd-n$i" "$i" slurmd -D -N "n$i" -f "$SLURM_DIR/slurm.conf"
  done
  wait_for 60 "${#SLURM_NODES[@]} idle Slurm node(s)" slurm_nodes_idle
  log "slurm up: $(slurm sinfo -h -o '%P %a %D %T %N')"
}

slurm_job_state() {
  slurm scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -1
}

slurm_job_gone() { [ -z "$(slurm squeue -h -j "$1" 2>/dev/null)" ]; }

slurm_wait_gone() { wait_for "$2" "job $1 to leave the queue" slurm_job_gone "$1"; }

slurm_show_logs() {
  [ -n "$SLURM_DIR" ] && [ -d "$SLURM_DIR" ] || return 0
  slurm squeue 2>&1 || true
  local f
  for f in "$SLURM_DIR"/log/*.log "$SLURM_DIR"/out/*; do
    [ -s "$f" ] || continue
    echo "--- ${f#"$SLURM_DIR/"} (last 20 lines)"
    tail -n 20 "$f"
  done
}

slurm_down() {
  [ -n "$SLURM_DIR" ] && [ -f "$SLURM_DIR/slurm.conf" ] || return 0
  # Cancel every job first, so no job process outlives its slurmd.
  local jobs i
  jobs=$(slurm squeue -h -o %A 2>/dev/null || true)
  if [ -n "$jobs" ]; then
    slurm scancel $jobs 2>/dev/null || true
    local deadline=$((SECONDS + 30))
    while [ -n "$(slurm squeue -h 2>/dev/null)" ] && [ $SECONDS -lt $deadline ]; do
      sleep 0.2
    done
  fi
  for i in "${SLURM_NODES[@]}"; do stop "slurmd-n$i" 15; done
  stop slurmctld 15
  stop munged 5
  SLURM_NODES=()
  rm -f "$SLURM_DIR/slurm.conf"
}
