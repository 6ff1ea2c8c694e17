# tests/agents/lib/netns.sh: hosts as network namespaces, for the agents
# tests. Source it from a bash script (set -euo pipefail).
#
#   netns_require        skip (77) unless this process may create a namespace
#   netns_up N           make hosts 1..N on one bridge; cleaned up on exit
#   host_ns I            the namespace of host I;  host_addr I: 10.200.0.I
#   host_name I          the hostname processes of host I see (uname -n)
#   in_host I CMD...     run CMD in host I, in the foreground
#   spawn NAME I CMD...  start CMD in host I in the background, output in
#                        $NETNS_WORK/log/NAME.log; pid_of NAME is its pid
#   stop NAME [GRACE]    SIGTERM, SIGKILL after GRACE s (default 5); waits
#   link_cut I / link_heal I          host I's eth0 down / up
#   partition I / partition_heal I    an nftables table in host I that drops
#                                     every packet in and out but lo's / gone
#   delay_start NAME I LISTEN_PORT TARGET_ADDR:PORT MS
#                        the delay proxy in host I on host_addr I:LISTEN_PORT,
#                        adding MS each way on its way to TARGET
#   reach I ADDR PORT [TIMEOUT_S=1]   one TCP connect + echo from host I to
#                        an nsprobe server: prints ok / timeout / error ERRNO
#   netns_down           what the exit hook runs: stop every process, delete
#                        the namespaces
#
# The layout is the verified recipe's (shared/testing/netns-up.sh): a
# switch namespace holding bridge br0, and per host a namespace whose eth0
# (10.200.0.I/24) is a veth whose peer is a port of br0. The veths are made
# inside the switch namespace and their host ends moved straight into the
# hosts: nothing is added to the root namespace, and the hosts have no
# default route, so nothing they send leaves them. Every name starts with
# a prefix unique to this run, tqa-<our pid>-<random>-, so runs at the same
# time never meet, and a run that died without its exit hook (SIGKILL) is
# swept by the next one: its owner pid is gone.
#
# Each process spawned in a host also gets a UTS namespace of its own
# whose hostname is host_name I, so that a host's processes (an agent, its
# workers, their exec tasks) report which host they are on, as on real
# machines. Processes are entered with nsenter --net, not `ip netns exec`,
# which remounts /sys and so hides /sys/fs/cgroup (slurmd needs it).

[ -z "${AGENTS_NETNS_SH:-}" ] || return 0  # sourced once
AGENTS_NETNS_SH=1

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

NETNS_PREFIX=tqa-$$-$RANDOM-
NETNS_LIFETIME=${NETNS_LIFETIME:-600}  # s: every spawned process ends by then
NETNS_WORK=
declare -A NETNS_WRAPPERS=()  # NAME -> pid of the timeout wrapper (our child)

netns_require() {
  require_root
  local tool
  for tool in ip nsenter unshare hostname python3 bc; do
    command -v "$tool" >/dev/null || skip "no $tool (install iproute2, util-linux, python3, bc)"
  done
  local probe=${NETNS_PREFIX}probe out
  out=$(ip netns add "$probe" 2>&1) ||
    skip "cannot create a network namespace here (ip netns add: $out)"
  ip netns del "$probe"
}

host_ns() { echo "${NETNS_PREFIX}h$1"; }
host_addr() { echo "10.200.0.$1"; }
host_name() { echo "${NETNS_PREFIX}h$1"; }

# Namespaces of earlier runs whose script is gone: their processes are
# ended by pid and the namespaces deleted.
netns_sweep() {
  local ns owner
  while read -r ns _; do
    [[ $ns =~ ^tqa-([0-9]+)-[0-9]+-(sw|h[0-9]+)$ ]] || continue
    owner=${BASH_REMATCH[1]}
    [ "$owner" != $$ ] || continue
    kill -0 "$owner" 2>/dev/null && continue
    log "sweeping $ns, left by run $owner"
    netns_delete "$ns"
  done < <(ip netns list)
}

# netns_delete NS: TERM what runs in it, KILL after 3 s, delete it.
netns_delete() {
  local ns=$1 pids i
  pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
  if [ -n "${pids// /}" ]; then
    kill -TERM $pids 2>/dev/null || true
    for ((i = 0; i < 30; i++)); do
      [ -z "$(ip netns pids "$ns" 2>/dev/null)" ] && break
      sleep 0.1
    done
    pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
    [ -z "${pids// /}" ] || kill -KILL $pids 2>/dev/null || true
  fi
  ip netns del "$ns" 2>/dev/null || true
}

netns_up() {
  local n=$1 i ns
  netns_sweep
  NETNS_WORK=$(mktemp -d /tmp/tq-agents.XXXXXX)
  chmod 755 "$NETNS_WORK"
  mkdir -p "$NETNS_WORK/log"
  on_exit netns_down
  on_failure netns_show_logs
  ip netns add "${NETNS_PREFIX}sw"
  ip -n "${NETNS_PREFIX}sw" link add br0 type bridge
  ip -n "${NETNS_PREFIX}sw" link set br0 up
  for ((i = 1; i <= n; i++)); do
    ns=$(host_ns "$i")
    ip netns add "$ns"
    ip -n "${NETNS_PREFIX}sw" link add "p$i" type veth peer name eth0 netns "$ns"
    ip -n "${NETNS_PREFIX}sw" link set "p$i" master br0 up
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$(host_addr "$i")/24" dev eth0
    ip -n "$ns" link set eth0 up
  done
  for ((i = 1; i <= n; i++)); do
    wait_for 5 "host $i's eth0 to come up" host_link_up "$i"
  done
  log "hosts up: $(for ((i = 1; i <= n; i++)); do printf '%s=%s ' "$(host_ns "$i")" "$(host_addr "$i")"; done)"
}

host_link_up() { ip -n "$(host_ns "$1")" link show eth0 | grep -q 'state UP'; }

in_host() {
  local i=$1
  shift
  nsenter --net="/run/netns/$(host_ns "$i")" unshare --uts \
    sh -c 'hostname "$0" && exec "$@"' "$(host_name "$i")" "$@"
}

spawn() {
  local name=$1 i=$2
  shift 2
  [ -z "${NETNS_WRAPPERS[$name]:-}" ] || fail "spawn: $name is running already"
  local pidfile=$NETNS_WORK/$name.pid
  rm -f "$pidfile"
  # --foreground: a SIGTERM to the wrapper goes to CMD alone, not to CMD's
  # process group (an agent's workers are for the agent to stop). The
  # shell writes its pid, which CMD then has: nsenter, unshare and exec
  # replace the process, they do not fork.
  timeout --foreground --kill-after=5 "$NETNS_LIFETIME" \
    nsenter --net="/run/netns/$(host_ns "$i")" unshare --uts \
    sh -c 'hostname "$0" && echo $$ >"$1" && shift && exec "$@"' \
    "$(host_name "$i")" "$pidfile" "$@" </dev/null >>"$NETNS_WORK/log/$name.log" 2>&1 &
  NETNS_WRAPPERS[$name]=$!
  wait_for 5 "$name to start" test -s "$pidfile"
}

pid_of() { cat "$NETNS_WORK/$1.pid"; }

stop() {
  local name=$1 grace=${2:-5}
  local wrapper=${NETNS_WRAPPERS[$name]:-}
  [ -n "$wrapper" ] || return 0
  stop_pid "$(pid_of "$name")" "$grace"
  stop_pid "$wrapper" 2
  unset "NETNS_WRAPPERS[$name]"
}

link_cut() { ip -n "$(host_ns "$1")" link set dev eth0 down; }

link_heal() {
  ip -n "$(host_ns "$1")" link set dev eth0 up
  wait_for 5 "host $1's eth0 to come back up" host_link_up "$1"
}

# Loopback stays open: a host's own processes (an agent and a local
# delay proxy, say) still reach each other, as on a real partitioned host.
partition() {
  nsenter --net="/run/netns/$(host_ns "$1")" nft -f - <<'EOF'
table inet tq_partition {
  chain input { type filter hook input priority 0; policy drop; iif lo accept; }
  chain output { type filter hook output priority 0; policy drop; oif lo accept; }
}
EOF
}

partition_heal() { nsenter --net="/run/netns/$(host_ns "$1")" nft delete table inet tq_partition; }

listening() { # I ADDR:PORT
  nsenter --net="/run/netns/$(host_ns "$1")" ss -Hltn "src $2" | grep -q .
}

delay_start() {
  local name=$1 i=$2 port=$3 target=$4 ms=$5
  spawn "$name" "$i" python3 "$AGENTS_DIR/delayproxy.py" "$(host_addr "$i"):$port" "$target" \
    "$ms" "$NETNS_LIFETIME"
  wait_for 10 "the delay proxy $name to listen" listening "$i" "$(host_addr "$i"):$port"
}

reach() {
  local i=$1 addr=$2 port=$3 timeout=${4:-1}
  nsenter --net="/run/netns/$(host_ns "$i")" \
    python3 "$AGENTS_DIR/nsprobe.py" connect "$addr" "$port" "$timeout" || true
}

netns_show_logs() {
  [ -n "$NETNS_WORK" ] && [ -d "$NETNS_WORK/log" ] || return 0
  local f
  for f in "$NETNS_WORK"/log/*.log; do
    [ -s "$f" ] || continue
    echo "--- ${f##*/} (last 30 lines)"
    tail -n 30 "$f"
  done
}

netns_down() {
  local name ns
  for name in "${!NETNS_WRAPPERS[@]}"; do
    stop "$name" 3
  done
  while read -r ns _; do
    [[ $ns == "$NETNS_PREFIX"* ]] && netns_delete "$ns"
  done < <(ip netns list)
  if [ -n "$NETNS_WORK" ]; then
    if [ -n "${TQ_AGENTS_KEEP:-}" ]; then
      log "kept $NETNS_WORK (TQ_AGENTS_KEEP)"
    else
      rm -rf "$NETNS_WORK"
    fi
  fi
}
