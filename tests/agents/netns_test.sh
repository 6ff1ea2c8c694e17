#!/usr/bin/env bash
# netns_test.sh BIN_DIR: tqd and two tq-agents on three hosts made of
# network namespaces (lib/netns.sh): tqd in host 1 with no local workers,
# agent a (1 slot) in host 2, agent b (1 slot) in host 3. In order:
#   - both agents register, `tq workers` names their hosts, and tasks run
#     on both (an exec task's `hostname` says where it ran: each host has
#     a hostname of its own);
#   - cutting b's link (ip link down) makes b's running task end `lost`
#     (an error naming the agent unreachable) within the agent deadline
#     plus a margin, while a's task and the tasks queued meanwhile finish
#     on a; healing the link brings b back, it serves again, and its lost
#     task stays lost after one attempt (no second result);
#   - the same with a silent partition (an nftables drop table in host 3);
#   - through the delay proxy (50 ms each way) agent a registers, runs a
#     task longer than twice the deadline (its heartbeats keep up) and a
#     map of 20 tasks;
#   - an agent whose key is not in the allow-list is refused and tqd logs
#     it with its address; a plaintext ZMTP peer is refused (libzmq closes
#     it) and tqd logs it; tqd still serves.
# Every wait is bounded; everything started is stopped by pid on exit.
# Exits 77 (skipped) without root or namespaces, or until tq-agent and
# tqd --agents are built.
set -euo pipefail
AGENTS_TEST=netns
TQ_BIN=$(realpath "${1:?usage: netns_test.sh BIN_DIR}")
source "$(dirname "$0")/lib/tq.sh"

netns_require
agents_require_built
command -v nft >/dev/null || fail "no nft (nftables; scripts/test installs it)"
netns_up 3
make_keys a b -intruder
tqd_start 1
agent_start a 2
agent_start b 3
A=$(host_name 2)
B=$(host_name 3)
wait_for 20 "two idle workers, one per agent" idle_workers_are 2
hosts=$(worker_hosts | tr '\n' ' ')
[ "$hosts" = "$A $B " ] || fail "tq workers --json gives the hosts: $hosts"
serves_on "$A" "$B"
log "both agents registered and serve"

# fault KIND CUT HEAL: one long task on each agent; CUT host 3; b's
# task ends lost in time, a's and the ones queued after finish on a; HEAL;
# b serves again.
fault() {
  local kind=$1 cut_fn=$2 heal_fn=$3 k id file t0 elapsed
  local -A on=()
  for k in 1 2; do
    file=$NETNS_WORK/$kind-$k.host
    id=$(tqc submit -- sh -c 'hostname >"$0"; sleep 8; hostname' "$file")
    wait_for 10 "task $id to start" test -s "$file"
    on[$(cat "$file")]=$id
  done
  [ -n "${on[$A]:-}" ] && [ -n "${on[$B]:-}" ] || fail "the two long tasks did not run one per agent"
  log "$kind: task ${on[$A]} runs on a, ${on[$B]} on b; now $cut_fn host 3"
  t0=$(date +%s.%N)
  $cut_fn 3
  wait_for $((AGENT_DEADLINE_S + 3)) "b's task ${on[$B]} to end lost" task_state_is "${on[$B]}" lost
  elapsed=$(bc <<<"$(date +%s.%N) - $t0")
  task_json "${on[$B]}" | jq -r .error.message | grep -qi unreachable ||
    fail "b's task ended lost with: $(task_json "${on[$B]}")"
  log "$kind: task ${on[$B]} lost ${elapsed} s after the fault: $(task_json "${on[$B]}" | jq -r .error.message)"
  local more=()
  for k in 1 2 3; do more+=("$(submit_host_task)"); done
  [ "$(wait_output "${on[$A]}")" = "$A" ] || fail "a's long task did not finish on a"
  for id in "${more[@]}"; do
    [ "$(wait_output "$id")" = "$A" ] || fail "task $id, queued during the $kind, did not run on a"
  done
  wait_for 10 "b's worker to leave tq workers" worker_count_is 1
  log "$kind: a's task and 3 more finished on a; b is out of tq workers"
  $heal_fn 3
  wait_for 30 "b to come back after the $kind" idle_workers_are 2
  serves_on "$A" "$B"
  task_state_is "${on[$B]}" lost || fail "b's lost task is now $(task_json "${on[$B]}")"
  [ "$(task_json "${on[$B]}" | jq .attempts)" = 1 ] ||
    fail "b's lost task ran again: $(task_json "${on[$B]}")"
  log "$kind healed: b serves again; its lost task stays lost, 1 attempt"
}
fault cut link_cut link_heal
fault partition partition partition_heal

log "delay proxy: agent a through 50 ms each way"
stop a
wait_for 10 "a to leave tq workers" worker_count_is 1
delay_start proxy 1 7101 "$(host_addr 1):$AGENT_PORT" 50
agent_start a 2 --connect "tcp://$(host_addr 1):7101"
wait_for 20 "a to register through the proxy" idle_workers_are 2
stop b
wait_for 10 "b to leave tq workers" worker_count_is 1
id=$(submit_host_task $((2 * AGENT_DEADLINE_S + 1)))
[ "$(wait_output "$id")" = "$A" ] || fail "the long task through the proxy did not finish on a"
t0=$(date +%s.%N)
out=$(tqc map -- echo item {} ::: $(seq 20)) || fail "the map through the proxy failed: $out"
[ "$out" = "$(seq 20 | sed 's/^/item /')" ] || fail "the map through the proxy gave: $out"
log "delayed: a $((2 * AGENT_DEADLINE_S + 1)) s task and a map of 20 in $(bc <<<"$(date +%s.%N) - $t0") s"

log "keys: an agent whose key is not allowed, then a plaintext peer, from host 3"
refusal_of_host3='10\.200\.0\.3.*(refus|denied|reject)|(refus|denied|reject).*10\.200\.0\.3'
refused_since() { [ -n "$(log_lines_since "$1" "$refusal_of_host3")" ]; }
n=$(log_line_count)
agent_start intruder 3
wait_for 10 "tqd to log the intruder's refusal" refused_since "$n"
log "tqd: $(log_lines_since "$n" "$refusal_of_host3" | head -1)"
worker_count_is 1 || fail "the intruder got workers: $(tqc workers --json)"
stop intruder
n=$(log_line_count)
out=$(in_host 3 python3 "$AGENTS_DIR/zmtp_plain.py" "$(host_addr 1)" "$AGENT_PORT" 3) ||
  fail "a plaintext peer was not refused: $out"
log "plaintext: $out"
# libzmq names no peer for a failed handshake: tqd names the newest
# connection when it could still read its address, which a plaintext
# peer's, closed at once, often is not.
plaintext_refusal='refused .*not a CURVE client'
plaintext_refused_since() { [ -n "$(log_lines_since "$1" "$plaintext_refusal")" ]; }
wait_for 10 "tqd to log the plaintext peer's refusal" plaintext_refused_since "$n"
log "tqd: $(log_lines_since "$n" "$plaintext_refusal" | head -1)"
[ "$(wait_output "$(submit_host_task)")" = "$A" ] || fail "a does not serve after the refusals"
tqc ping >/dev/null || fail "tqd does not answer after the refusals"
log "agents over namespaces: all checks passed"
