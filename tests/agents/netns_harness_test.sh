#!/usr/bin/env bash
# netns_harness_test.sh: the namespace harness (lib/netns.sh) that the
# agents tests stand on does what they assume, with TCP echo probes
# (nsprobe.py) in place of tqd and agents:
#   - three hosts reach each other; they have no default route, and the
#     root namespace gains no interface;
#   - each host's processes see their own hostname;
#   - link_cut makes a host's connects fail at once (ENETUNREACH) and
#     leaves the others alone; link_heal brings it back;
#   - partition makes a host silent both ways (connects time out, in and
#     out), partition_heal undoes it;
#   - the delay proxy adds at least 2 x 50 ms to a round trip;
#   - netns_down leaves no namespace and no process behind.
# Needs root; exits 77 (skipped) where namespaces cannot be made.
set -euo pipefail
AGENTS_TEST=netns_harness
source "$(dirname "$0")/lib/netns.sh"

netns_require
links_before=$(ip -o link show | awk -F': ' '{print $2}' | sort)
netns_up 3

for i in 1 2 3; do
  [ -z "$(ip -n "$(host_ns "$i")" route show default)" ] || fail "host $i has a default route"
  spawn "echo$i" "$i" python3 "$AGENTS_DIR/nsprobe.py" serve "$(host_addr "$i")" 7000 120
  wait_for 10 "host $i's echo server" listening "$i" "$(host_addr "$i"):7000"
done
links_up=$(ip -o link show | awk -F': ' '{print $2}' | sort)
[ "$links_up" = "$links_before" ] || fail "the root namespace's links changed: $links_up"
for i in 2 3; do
  name=$(in_host "$i" hostname)
  [ "$name" = "$(host_name "$i")" ] || fail "host $i's hostname is $name"
done

# expect FROM TO WANT: a connect from host FROM to host TO's echo server
# gives WANT ("ok", "timeout", "error 101"...).
expect() {
  local got
  got=$(reach "$1" "$(host_addr "$2")" 7000 1)
  log "host $1 -> host $2: $got"
  [ "$got" = "$3" ] || fail "host $1 -> host $2: '$got', expected '$3'"
}
for pair in "2 1" "3 1" "1 2" "1 3" "2 3"; do
  expect $pair ok
done
log "direct: $(in_host 2 python3 "$AGENTS_DIR/nsprobe.py" rtt "$(host_addr 1)" 7000 20)"

log "cut host 2's link"
link_cut 2
expect 2 1 "error 101"
expect 3 1 ok
link_heal 2
expect 2 1 ok

log "partition host 3 (nftables drop)"
partition 3
expect 3 1 timeout
expect 1 3 timeout
expect 2 1 ok
partition_heal 3
expect 3 1 ok
expect 1 3 ok

log "delay proxy on host 1, 50 ms each way to host 1's echo server"
delay_start proxy 1 7001 "$(host_addr 1):7000" 50
expect_rtt=$(in_host 2 python3 "$AGENTS_DIR/nsprobe.py" rtt "$(host_addr 1)" 7001 5)
log "through the proxy: $expect_rtt"
ms=$(sed -n 's/^rtt median \([0-9.]*\) ms.*/\1/p' <<<"$expect_rtt")
[ -n "$ms" ] && [ "$(bc <<<"$ms >= 95")" = 1 ] ||
  fail "a round trip through a 50 ms proxy took '$expect_rtt', not at least 100 ms"

pids=$(for n in echo1 echo2 echo3 proxy; do pid_of "$n"; done)
prefix=$NETNS_PREFIX
netns_down
left=$(ip netns list | grep -F "$prefix" || true)
[ -z "$left" ] || fail "namespaces left behind: $left"
for pid in $pids; do
  ! kill -0 "$pid" 2>/dev/null || fail "process $pid left behind"
done
links_after=$(ip -o link show | awk -F': ' '{print $2}' | sort)
[ "$links_after" = "$links_before" ] || fail "the root namespace's links changed: $links_after"
log "the harness works: reach, cut, heal, partition, delay, and nothing left"
