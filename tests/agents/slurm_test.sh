#!/usr/bin/env bash
# slurm_test.sh BIN_DIR [SBATCH_SCRIPT]: tq-agents started by Slurm. tqd
# in host 1 (no local workers); a Slurm started here (lib/slurm.sh) with
# slurmctld in host 1 and a slurmd in hosts 2 and 3; then:
#   - `sbatch --nodes=2 scripts/slurm/tq-agents.sbatch` starts an agent on
#     each node with the node's CPUs as slots, and tasks complete on both;
#   - `scancel --batch --signal=USR1` with TQ_DRAIN=finish: the running
#     tasks finish (done), the agents leave, the job ends COMPLETED;
#   - the same with TQ_DRAIN=requeue: the running tasks go back to the
#     queue, and the agents of a new job run them to the end;
#   - a plain scancel of idle agents: they leave tq workers, the job ends
#     CANCELLED within KillWait.
# Every wait is bounded; everything started is stopped by pid on exit.
# Exits 77 (skipped) without root, namespaces or Slurm, or until tq-agent
# and tqd --agents are built.
set -euo pipefail
AGENTS_TEST=slurm
TQ_BIN=$(realpath "${1:?usage: slurm_test.sh BIN_DIR [SBATCH_SCRIPT]}")
source "$(dirname "$0")/lib/slurm.sh"
source "$(dirname "$0")/lib/tq.sh"
sbatch_script=$(realpath "${2:-$AGENTS_DIR/../../scripts/slurm/tq-agents.sbatch}")

netns_require
slurm_require
agents_require_built
netns_up 3
make_keys agents
tqd_start 1
slurm_up 1 2 3
cpus=$(nproc)
H2=$(host_name 2)
H3=$(host_name 3)

# agents_job DRAIN: sbatch the agents on both nodes; returns once their
# 2 x cpus workers are listed; prints the job id.
agents_job() {
  local job
  job=$(TQ_HEAD=$HEAD TQ_SERVER_KEY=$KEYS/head.pub TQ_AGENT_KEY=$KEYS/agents.key \
    TQ_AGENT=$TQ_BIN/tq-agent TQ_DRAIN=$1 \
    slurm sbatch --parsable --chdir="$SLURM_DIR/out" --nodes=2 "$sbatch_script")
  wait_for 30 "job $job's agents: $((2 * cpus)) workers" worker_count_is $((2 * cpus))
  echo "$job"
}
state_is() { [ "$(slurm_job_state "$1")" = "$2" ]; }
# running_tasks N SECS: submit N tasks that sleep SECS and print their
# host; returns once all run; prints their ids.
running_tasks() {
  local list=() k id
  for ((k = 0; k < $1; k++)); do list+=("$(submit_host_task "$2")"); done
  for id in "${list[@]}"; do
    wait_for 10 "task $id to run" task_state_is "$id" running
  done
  echo "${list[@]}"
}

job=$(agents_job finish)
hosts=$(worker_hosts | uniq -c | awk '{print $1 "x" $2}' | tr '\n' ' ')
[ "$hosts" = "${cpus}x$H2 ${cpus}x$H3 " ] || fail "job $job's workers: $hosts"
serves_on "$H2" "$H3"
log "job $job: an agent per node, $cpus slots each; tasks ran on both"

ids=$(running_tasks 2 3)
slurm scancel --batch --signal=USR1 "$job"
for id in $ids; do
  out=$(wait_output "$id" 30)
  [ "$out" = "$H2" ] || [ "$out" = "$H3" ] || fail "task $id printed: $out"
done
slurm_wait_gone "$job" 30
state_is "$job" COMPLETED || fail "the drained job ended $(slurm_job_state "$job")"
wait_for 10 "the drained agents to leave tq workers" worker_count_is 0
log "drain finish: tasks $ids finished, job $job COMPLETED"

job=$(agents_job requeue)
ids=$(running_tasks 2 6)
slurm scancel --batch --signal=USR1 "$job"
for id in $ids; do
  wait_for 10 "task $id to go back to the queue" task_state_is "$id" queued
done
slurm_wait_gone "$job" 30
state_is "$job" COMPLETED || fail "the drained job ended $(slurm_job_state "$job")"
log "drain requeue: tasks $ids back in the queue, job $job COMPLETED"
job=$(agents_job finish)
for id in $ids; do wait_output "$id" 30 >/dev/null; done
log "job $job ran the requeued tasks to the end"

slurm scancel "$job"
wait_for 10 "the cancelled agents to leave tq workers" worker_count_is 0
slurm_wait_gone "$job" 20
state_is "$job" CANCELLED || fail "the cancelled job ended $(slurm_job_state "$job")"
tqc ping >/dev/null || fail "tqd does not answer"
log "agents under Slurm: all checks passed"
