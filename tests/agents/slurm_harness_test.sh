#!/usr/bin/env bash
# slurm_harness_test.sh [SBATCH_SCRIPT]: the Slurm harness (lib/slurm.sh)
# and scripts/slurm/tq-agents.sbatch, with stand_in_agent.sh in place of
# tq-agent:
#   - a single-node Slurm (in one namespace host) runs a batch job; scancel
#     of a running job gives SIGTERM to its step and to the step's
#     children (what tq-agents.sbatch's comment says), and time to end by
#     itself before KillWait;
#   - on a two-node Slurm (one slurmd per host), tq-agents.sbatch starts
#     one agent per node, on that node, with exactly the arguments it
#     should (the head, the keys, the drain mode, the node's CPUs as
#     slots, then the script's own arguments);
#   - `scancel --batch --signal=USR1` gives each agent, and nothing else,
#     SIGTERM, waits for their drain, and the job ends COMPLETED;
#   - a plain scancel reaches the agents (and their children); the job
#     waits for the drain and ends CANCELLED;
#   - a job without TQ_HEAD fails at once and says why.
# Needs root; exits 77 (skipped) without namespaces or Slurm.
set -euo pipefail
AGENTS_TEST=slurm_harness
source "$(dirname "$0")/lib/slurm.sh"
sbatch_script=$(realpath "${1:-$AGENTS_DIR/../../scripts/slurm/tq-agents.sbatch}")

netns_require
slurm_require
netns_up 3
stand_in=$AGENTS_DIR/stand_in_agent.sh

# state_is JOB STATE
state_is() { [ "$(slurm_job_state "$1")" = "$2" ]; }
# logged DIR HOST LINE: the stand-in on HOST, writing in DIR, wrote LINE.
logged() { grep -qx "$3" "$1/$(host_name "$2").log" 2>/dev/null; }
terms() { grep -c '^term' "$1/$(host_name "$2").log" || true; }

log "single-node Slurm in host 2"
slurm_up 2 2
out=$SLURM_DIR/out
job=$(slurm sbatch --parsable --chdir="$out" --output=trivial-%j.out \
  --wrap 'echo "hello from $(hostname) on $SLURMD_NODENAME"')
slurm_wait_gone "$job" 30
state_is "$job" COMPLETED || fail "the trivial job ended $(slurm_job_state "$job")"
grep -qx "hello from $(host_name 2) on n2" "$out/trivial-$job.out" ||
  fail "the trivial job printed: $(cat "$out/trivial-$job.out")"
log "trivial job $job: $(cat "$out/trivial-$job.out")"

dir=$NETNS_WORK/step
mkdir -p "$dir"
job=$(STAND_IN_DIR=$dir slurm sbatch --parsable --chdir="$out" --output=step-%j.out \
  --wrap "srun $stand_in one-step")
wait_for 30 "the job's step to start" logged "$dir" 2 ready
wait_for 10 "job $job to be RUNNING" state_is "$job" RUNNING
slurm scancel "$job"
wait_for 10 "the step to get SIGTERM" logged "$dir" 2 "term 1"
slurm_wait_gone "$job" 30
logged "$dir" 2 drained || fail "the step was killed before it drained: $(cat "$dir"/*.log)"
logged "$dir" 2 "worker term" || fail "the step's child got no SIGTERM: $(cat "$dir"/*.log)"
state_is "$job" CANCELLED || fail "the cancelled job ended $(slurm_job_state "$job")"
log "scancel of job $job: its step got $(terms "$dir" 2) SIGTERM(s), its child too; it drained; CANCELLED"
slurm_down

log "two-node Slurm: slurmctld in host 1, slurmd in hosts 2 and 3"
slurm_up 1 2 3
out=$SLURM_DIR/out
keys=$NETNS_WORK/keys
mkdir -p "$keys"
echo head-public >"$keys/head.pub"
echo agent-secret >"$keys/agents.key"
chmod 600 "$keys/agents.key"
cpus=$(nproc)

# start_agents DIR DRAIN: sbatch tq-agents.sbatch on both nodes with the
# stand-in writing to DIR; checks each got its arguments; prints the job.
start_agents() {
  local dir=$1 drain=$2 job i f args want
  mkdir -p "$dir"
  job=$(STAND_IN_DIR=$dir TQ_HEAD=tcp://$(host_addr 1):7100 TQ_SERVER_KEY=$keys/head.pub \
    TQ_AGENT_KEY=$keys/agents.key TQ_DRAIN=$drain TQ_AGENT=$stand_in \
    slurm sbatch --parsable --chdir="$out" --nodes=2 "$sbatch_script" --plugin /lib/x.so)
  for i in 2 3; do
    wait_for 30 "the agent on host $i" logged "$dir" "$i" ready
  done
  wait_for 10 "job $job to be RUNNING" state_is "$job" RUNNING
  want="--connect tcp://$(host_addr 1):7100 --server-key $keys/head.pub --key $keys/agents.key"
  want+=" --drain $drain --slots $cpus --plugin /lib/x.so "
  for i in 2 3; do
    f=$dir/$(host_name "$i").log
    args=$(sed -n 's/^arg //p' "$f" | tr '\n' ' ')
    [ "$args" = "$want" ] || fail "the agent on host $i got: $args; expected: $want"
    grep -q "^node n$i job $job " "$f" || fail "the agent on host $i runs as: $(grep ^node "$f")"
    [ "$(grep -c ^pid "$f")" = 1 ] || fail "host $i ran $(grep -c ^pid "$f") agents"
    log "host $i: $(grep ^node "$f"), args: $args"
  done
  echo "$job"
}
show_output() {
  log "job $1's output:"
  sed 's/^/    /' "$out/tq-agents-$1.out" >&2
}

# stop_agents DIR JOB SCANCEL_ARG...: scancel; both agents get SIGTERM,
# drain, and the job leaves the queue; its output is shown.
stop_agents() {
  local dir=$1 job=$2 i
  shift 2
  slurm scancel "$@" "$job"
  for i in 2 3; do
    wait_for 10 "the agent on host $i to get SIGTERM" logged "$dir" "$i" "term 1"
  done
  slurm_wait_gone "$job" 30
  show_output "$job"
  for i in 2 3; do
    logged "$dir" "$i" drained || fail "the agent on host $i was killed before it drained"
  done
}

dir=$NETNS_WORK/usr1
job=$(start_agents "$dir" requeue)
stop_agents "$dir" "$job" --batch --signal=USR1
for i in 2 3; do
  ! logged "$dir" "$i" "worker term" || fail "the drain signalled the worker on host $i"
  [ "$(terms "$dir" "$i")" = 1 ] || fail "the agent on host $i got $(terms "$dir" "$i") SIGTERMs"
done
state_is "$job" COMPLETED || fail "the drained job ended $(slurm_job_state "$job")"
grep -q 'USR1: the agents drain (requeue)' "$out/tq-agents-$job.out" ||
  fail "the batch shell did not drain"
left=$(ls /tmp/tq-agent."$job".* 2>/dev/null || true)
[ -z "$left" ] || fail "pid files left: $left"
log "scancel --batch --signal=USR1: one SIGTERM to each agent, none to their workers; COMPLETED"

dir=$NETNS_WORK/term
job=$(start_agents "$dir" finish)
stop_agents "$dir" "$job"
for i in 2 3; do
  logged "$dir" "$i" "worker term" || fail "Slurm did not signal the worker on host $i"
  log "host $i: $(terms "$dir" "$i") SIGTERM(s) to the agent, and one to its worker"
done
state_is "$job" CANCELLED || fail "the cancelled job ended $(slurm_job_state "$job")"
grep -q 'SIGTERM: Slurm stops the job; the agents drain (finish)' "$out/tq-agents-$job.out" ||
  fail "the batch shell did not wait for the drain"
rm -f /tmp/tq-agent."$job".*.pid
log "scancel: SIGTERM to the agents and their workers; the job waited for the drain; CANCELLED"

job=$(unset TQ_HEAD; TQ_SERVER_KEY=$keys/head.pub TQ_AGENT_KEY=$keys/agents.key \
  TQ_AGENT=$stand_in slurm sbatch --parsable --chdir="$out" --nodes=1 "$sbatch_script")
slurm_wait_gone "$job" 30
state_is "$job" FAILED || fail "a job without TQ_HEAD ended $(slurm_job_state "$job")"
grep -q "TQ_HEAD must be tqd's agent endpoint" "$out/tq-agents-$job.out" ||
  fail "a job without TQ_HEAD said: $(cat "$out/tq-agents-$job.out")"
log "without TQ_HEAD: $(cat "$out/tq-agents-$job.out")"
log "the Slurm harness and tq-agents.sbatch work"
