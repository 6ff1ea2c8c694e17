# tests/agents/lib/tq.sh: tqd, agents and the tq CLI on the namespace
# hosts of lib/netns.sh (sourced here). Set TQ_BIN (the build's bin/)
# before sourcing.
#
#   agents_require_built    skip (77) until tq-agent and tqd --agents exist
#   make_keys NAME...       $KEYS/head.{key,pub} and NAME.{key,pub} each;
#                           the agents' .pub files in the allow-list $ALLOW
#                           (give -NAME for a key kept out of it)
#   tqd_start I [ARG...]    tqd in host I: agent endpoint tcp://ADDR:$AGENT_PORT,
#                           clients on ipc:// in the run folder, no local
#                           workers, a short agent deadline; waits for a ping
#   agent_start NAME I [ARG...]   tq-agent in host I with key NAME
#                           (--connect $HEAD unless ARG gives its own)
#   tqc ARG...              the tq CLI against that tqd (from the root
#                           namespace: an ipc:// socket is a file)
#   worker_count            how many workers tqd lists (all remote here)
#   worker_hosts            the hosts of its workers, sorted, one a line
#   submit_host_task [SECS] an exec task that sleeps SECS (default 0) and
#                           prints its hostname; prints the task id
#   task_state ID / task_json ID  from tq status --json
#   hosts_serving N [SECS]  submit N such tasks at once, wait, print the
#                           distinct hostnames that ran them
#   log_lines_since N PATTERN   tqd's log lines after line N matching
#                           PATTERN (grep -E -i)
#
# The tq-agent and tqd --agents flags used are those of issue 17's plan
# (wt/issues/issue-17-plan.md): tqd --agents --curve-key --agent-keys
# --agent-beat --agent-deadline, tq-agent --connect --server-key --key
# --slots --drain. `tq workers --json` is assumed to give each worker's
# host as "host".

[ -z "${AGENTS_TQ_SH:-}" ] || return 0  # sourced once
AGENTS_TQ_SH=1

source "$(dirname "${BASH_SOURCE[0]}")/netns.sh"

: "${TQ_BIN:?set TQ_BIN to the bin directory of a build}"
AGENT_PORT=7100
AGENT_BEAT=${AGENT_BEAT:-200ms}
AGENT_DEADLINE_S=${AGENT_DEADLINE_S:-2}
KEYS=
ALLOW=
HEAD=
TQD_LOG=

agents_require_built() {
  [ -x "$TQ_BIN/tqd" ] && [ -x "$TQ_BIN/tq" ] || skip "no tqd or tq in $TQ_BIN: build first"
  [ -x "$TQ_BIN/tq-agent" ] ||
    skip "tq-agent is not built yet ($TQ_BIN/tq-agent): issue 17's agent is not in this tree"
  "$TQ_BIN/tqd" --help 2>&1 | grep -q -- '--agents' ||
    skip "this tqd has no --agents option yet: issue 17's agent endpoint is not in this tree"
  command -v jq >/dev/null || skip "no jq (scripts/test installs it)"
}

make_keys() {
  KEYS=$NETNS_WORK/keys
  ALLOW=$KEYS/allow
  mkdir -p "$ALLOW"
  local name out
  for name in head "$@"; do
    out=$("$TQ_BIN/tq" keygen "$KEYS/${name#-}" 2>&1) || fail "tq keygen: $out"
    [[ $name == head || $name == -* ]] || cp "$KEYS/$name.pub" "$ALLOW/"
  done
}

tqc() { "$TQ_BIN/tq" --endpoint "ipc://$NETNS_WORK/tqd.sock" "$@"; }

tqd_start() {
  local i=$1
  shift
  HEAD=tcp://$(host_addr "$i"):$AGENT_PORT
  TQD_LOG=$NETNS_WORK/log/tqd.log
  spawn tqd "$i" "$TQ_BIN/tqd" --workers 0 --endpoint "ipc://$NETNS_WORK/tqd.sock" \
    --state-dir "$NETNS_WORK/state" --log-level debug \
    --agents "$HEAD" --curve-key "$KEYS/head.key" --agent-keys "$ALLOW" \
    --agent-beat "$AGENT_BEAT" --agent-deadline "${AGENT_DEADLINE_S}s" "$@"
  tqc --connect-timeout 20 ping >/dev/null || fail "tqd does not answer"
  wait_for 10 "tqd to listen for agents on $HEAD" listening "$i" "${HEAD#tcp://}"
}

agent_start() {
  local name=$1 i=$2
  shift 2
  local connect=(--connect "$HEAD")
  [[ " $* " == *" --connect "* ]] && connect=()
  spawn "$name" "$i" "$TQ_BIN/tq-agent" "${connect[@]}" --server-key "$KEYS/head.pub" \
    --key "$KEYS/$name.key" --slots 1 "$@"
}

worker_count() { tqc workers --json | jq length; }
worker_count_is() { [ "$(worker_count)" = "$1" ]; }
worker_hosts() { tqc workers --json | jq -r '.[].host' | sort; }
# idle_workers_are N: tqd lists N workers, all idle.
idle_workers_are() {
  [ "$(tqc workers --json | jq '[.[] | select(.state == "idle")] | length')" = "$1" ] &&
    worker_count_is "$1"
}

submit_host_task() {
  tqc submit -- sh -c "sleep ${1:-0}; hostname"
}

task_json() { tqc status --json "$1"; }
task_state() { task_json "$1" | jq -r .state; }
task_state_is() { [ "$(task_state "$1")" = "$2" ]; }

# wait_output ID [TIMEOUT_S=30]: the task's output (tq wait), or fail.
wait_output() {
  tqc wait --timeout "${2:-30}" "$1" || fail "task $1 did not succeed: $(task_json "$1")"
}

hosts_serving() {
  local n=$1 secs=${2:-1} ids=() k id
  for ((k = 0; k < n; k++)); do ids+=("$(submit_host_task "$secs")"); done
  for id in "${ids[@]}"; do wait_output "$id"; done | sort -u
}

# serves_on HOST...: within a few rounds of as many tasks as there are
# workers, each of the HOSTs runs one (tq promises no placement, only that
# idle workers take queued tasks, so a round may land twice on one host).
serves_on() {
  local seen='' missing
  for _ in 1 2 3 4 5; do
    # Hostnames have no spaces: word splitting is what is wanted here.
    # shellcheck disable=SC2046,SC2086
    seen=$(printf '%s\n' $seen $(hosts_serving "$(worker_count)" 1) | sort -u)
    missing=$(comm -13 <(echo "$seen") <(printf '%s\n' "$@" | sort -u))
    [ -n "$missing" ] || return 0
  done
  fail "after 5 rounds, tasks ran on: $(echo $seen); expected each of: $*"
}

log_line_count() { wc -l <"$TQD_LOG"; }
log_lines_since() { tail -n +"$(($1 + 1))" "$TQD_LOG" | grep -E -i "$2" || true; }
