#!/bin/bash
# stand_in_agent.sh ARG...: stands in for tq-agent where only the way it is
# started and stopped is tested (slurm_harness_test.sh runs
# scripts/slurm/tq-agents.sbatch with TQ_AGENT naming this). It writes to
# $STAND_IN_DIR/HOSTNAME.log: its arguments, one per line ("arg X"), where
# it runs (host, pid, Slurm node, job and step, CPUs), then "ready". It
# starts a child, its "worker", which writes "worker term" if it gets a
# SIGTERM. On each SIGTERM the stand-in writes "term N"; after the first
# it "drains" for one second, writes "drained", kills its worker (SIGKILL)
# and exits 0, as an agent that drains does. It ends by itself after 300 s.
set -u
log=${STAND_IN_DIR:?}/$(hostname).log
{
  printf 'arg %s\n' "$@"
  echo "host $(hostname)"
  echo "pid $$"
  echo "node ${SLURMD_NODENAME:-} job ${SLURM_JOB_ID:-} step ${SLURM_STEP_ID:-} cpus ${SLURM_CPUS_ON_NODE:-}"
} >>"$log"
(
  trap 'echo "worker term" >>"$log"; exit 0' TERM
  echo "worker ready" >>"$log"
  while :; do sleep 0.1; done
) &
worker=$!
for _ in $(seq 100); do
  grep -qx "worker ready" "$log" && break
  sleep 0.05
done
terms=0
on_term() {
  terms=$((terms + 1))
  echo "term $terms" >>"$log"
}
trap on_term TERM
echo ready >>"$log"
end=$((SECONDS + 300))
while [ "$terms" = 0 ] && [ $SECONDS -lt $end ]; do
  sleep 0.1 &
  wait $! || true
done
drain_end=$((SECONDS + 1))
while [ $SECONDS -le $drain_end ]; do
  sleep 0.1 &
  wait $! || true
done
echo drained >>"$log"
kill -KILL "$worker" 2>/dev/null
exit 0
