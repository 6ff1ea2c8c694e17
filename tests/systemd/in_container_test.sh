#!/usr/bin/env bash
# in_container_test.sh STAGE: tq's units under a real systemd. Run by
# scripts/test-systemd as root inside a booted container (systemd is PID 1),
# with STAGE a `cmake --install` of tq (--prefix /usr/local, DESTDIR=STAGE)
# bound in read-only. Installs it, makes user and group tq
# (systemd-sysusers) and two users, alice in group tq and mallory outside
# it, and checks in order:
#   - `systemctl enable --now tqd` returns once tqd said READY=1 with all its
#     workers up, and `systemctl status` shows its STATUS= line;
#   - the shipped /etc/tq/tqd.toml turns exec tasks off;
#   - with exec on and an allow-list, alice runs function and exec tasks
#     under the unit's full sandbox, a command that forks included, in a
#     process group of its own, as user tq;
#   - mallory is refused: permission denied, tq exit 122;
#   - a task is put down to alice, who submitted it (uid and pid seen
#     through the unit's sandbox), and max_running_per_user holds her
#     second task back while a worker is idle;
#   - `systemctl reload tqd` resizes the pool from the edited file;
#   - `systemctl stop tqd` lets a running task finish and ends with result
#     success, no SIGKILL from systemd;
#   - tqd.socket: systemd's socket (tq:tq 0660) starts tqd.service on the
#     first connection, and again after tqd.service stops;
#   - a wedged tqd (SIGSTOP) is restarted by the watchdog;
#   - the user unit gives alice a queue of her own, exec tasks as her;
#   - tq-agent@x.service runs tq-agent as user tq with what
#     /etc/tq/agent-x.conf says, the defaults, and its key by
#     LoadCredential= (0400, tq's), and stops it with SIGTERM.
# Resource limits (MemoryMax=, TasksMax=) are not checked: this container's
# cgroups do not enforce them (README.md, "Running as a service").
set -euo pipefail
stage=$1

step() {
  echo "== $* ($((SECONDS - started)) s)"
}
fail() {
  echo "FAIL: $*" >&2
  echo "--- journal of tqd:" >&2
  journalctl -u tqd -u tqd.socket --no-pager -o short-monotonic 2>&1 | tail -40 >&2
  exit 1
}
as() {
  local user=$1
  shift
  runuser -u "$user" -- "$@"
}
# wait_until WHAT SECONDS CMD...: polls CMD until it succeeds.
wait_until() {
  local what=$1 limit=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "gave up after $limit s waiting for $what"
    sleep 0.1
  done
}
# expect_refused USER: USER's tq ping exits 122, told permission denied.
expect_refused() {
  local out rc=0
  out=$(as "$1" tq ping 2>&1) || rc=$?
  [ $rc = 122 ] || fail "$1's tq ping exited $rc: $out"
  grep -q 'permission denied' <<<"$out" || fail "$1 was told: $out"
}
status_text() { systemctl show -p StatusText --value tqd; }
status_shows() { status_text | grep -q "$1"; }
worker_count() { as alice tq workers | tail -n +2 | wc -l; }
has_busy_worker() { as alice tq workers | grep -q ' busy '; }
started=$SECONDS
trap 'fail "line $LINENO: $BASH_COMMAND"' ERR

step "install into the container"
# Only what the stage holds, not the stage directory's own mode onto /.
cp -a "$stage/usr/local/." /usr/local/
cp -a "$stage/etc/tq" /etc/
ldconfig
missing=$(ldd /usr/local/bin/tqd /usr/local/bin/tq /usr/local/libexec/tq/tq-worker |
  grep 'not found' || true)
[ -z "$missing" ] || fail "libraries missing from the container (TQ_SYSTEMD_CONTAINER_PACKAGES): $missing"
# As README.md's "Running as a service" says, word for word.
systemd-sysusers
systemd-tmpfiles --create tq.conf
systemctl daemon-reload
# alice has a home, as a user running a queue of her own does (its store
# goes to ~/.local/state/tq).
useradd --create-home --groups tq alice
useradd --no-create-home mallory
[ "$(stat -c '%a %U:%G' /run/tq)" = "750 tq:tq" ] ||
  fail "/run/tq is $(stat -c '%a %U:%G' /run/tq), not 750 tq:tq"
systemctl cat tqd >/dev/null

step "systemctl enable --now tqd returns after READY=1"
sed -i 's/^exec = "off"$/workers = 2\n&/' /etc/tq/tqd.toml
systemctl enable --now tqd
# No waiting: the unit is active only once tqd sent READY=1, which comes
# with the status of a whole pool and after the socket is bound.
[ "$(systemctl is-active tqd)" = active ] || fail "tqd is $(systemctl is-active tqd)"
[ -S /run/tq/tqd.sock ] || fail "no socket at /run/tq/tqd.sock once tqd is active"
[ "$(status_text)" = "2 workers (0 busy, 2 idle), 0 tasks queued" ] ||
  fail "the status after READY=1 is '$(status_text)'"
systemctl status tqd --no-pager | grep -F 'Status: "2 workers (0 busy, 2 idle), 0 tasks queued"' ||
  fail "systemctl status shows no STATUS= line"
[ "$(stat -c '%a %U:%G' /run/tq/tqd.sock)" = "660 tq:tq" ] ||
  fail "the socket is $(stat -c '%a %U:%G' /run/tq/tqd.sock)"

step "the shipped settings turn exec tasks off"
[ "$(as alice tq call echo '"hi"')" = '["hi"]' ] || fail "a member cannot call a function"
out=$(as alice tq submit --wait -- /usr/bin/true 2>&1) || true
grep -q 'exec is disabled on this tqd' <<<"$out" || fail "exec refused with: $out"

step "exec tasks, forking, in their own process group, under the sandbox"
sed -i 's|^exec = "off"$|exec = "on"\nexec_allow = ["/usr/bin/sh"]|' /etc/tq/tqd.toml
systemctl restart tqd
out=$(as alice tq submit --wait -- sh -c \
  'sleep 0.1 & wait; echo "$(id -un) $$ $(cut -d" " -f5 /proc/$$/stat)"' 2>&1) ||
  fail "an exec task failed: $out"
read -r user pid pgid <<<"$out"
[ "$user" = tq ] || fail "the exec task ran as '$user', not tq: $out"
[ "$pid" = "$pgid" ] || fail "the exec task is not its process group's leader: $out"
out=$(as alice tq submit --wait -- /usr/bin/id 2>&1) || true
grep -q "is not in this tqd's exec allow-list" <<<"$out" || fail "exec_allow refused with: $out"

step "a user outside group tq is refused"
expect_refused mallory

step "tasks are put down to the member who submitted them"
sed -i 's/^#max_running_per_user = 2$/max_running_per_user = 1/' /etc/tq/tqd.toml
systemctl reload tqd
wait_until "tqd to apply the reload" 20 sh -c \
  "journalctl -u tqd --no-pager | grep -q 'reloaded:'"
first=$(as alice tq submit sleep 30000)
wait_until "alice's first task to run" 20 sh -c "runuser -u alice -- tq status $first | grep -q 'state     running'"
# Whole outputs, not pipes into grep -q: with pipefail, tq's SIGPIPE would
# fail the check.
out=$(as alice tq status "$first")
grep -q "user      alice (pid " <<<"$out" || fail "tq status does not name alice: $out"
out=$(as alice tq workers)
grep -q ' sleep  *alice ' <<<"$out" || fail "tq workers does not name alice: $out"
second=$(as alice tq submit echo 1)
[ "$(as alice tq status "$second" | sed -n 's/^  state *//p')" = queued ] ||
  fail "alice's second task is not held back: $(as alice tq status "$second")"
as alice tq cancel "$first" >/dev/null
wait_until "alice's second task to run once the first ended" 20 sh -c \
  "runuser -u alice -- tq status $second | grep -q 'state     done'"
sed -i 's/^max_running_per_user = 1$/#max_running_per_user = 2/' /etc/tq/tqd.toml

step "systemctl reload tqd resizes the pool"
sed -i 's/^workers = 2$/workers = 3/' /etc/tq/tqd.toml
systemctl reload tqd
wait_until "3 workers in tq workers" 20 test "$(worker_count)" = 3
wait_until "the status to show 3 workers" 20 status_shows '^3 workers'
[ "$(systemctl is-active tqd)" = active ] || fail "tqd is $(systemctl is-active tqd) after reload"

step "systemctl stop tqd drains a running task"
# The task's own mark says it finished: its caller's result may be lost
# when tqd exits right after sending it (a libtq race, not checked here).
as alice tq submit --cwd / -- sh -c 'sleep 1.5 && touch /run/tq/drained' >/dev/null
wait_until "the task to run" 20 has_busy_worker
systemctl stop tqd
[ -e /run/tq/drained ] || fail "the running task did not finish before tqd stopped"
[ "$(systemctl show -p Result --value tqd)" = success ] ||
  fail "tqd stopped with result $(systemctl show -p Result --value tqd)"
! journalctl -u tqd --no-pager | grep -q 'Killing process' || fail "systemd had to kill processes"
[ ! -e /run/tq/tqd.sock ] || fail "tqd left its socket file"

step "tqd.socket starts tqd on the first connection"
systemctl start tqd.socket
[ "$(stat -c '%a %U:%G' /run/tq/tqd.sock)" = "660 tq:tq" ] ||
  fail "tqd.socket's socket is $(stat -c '%a %U:%G' /run/tq/tqd.sock)"
[ "$(systemctl is-active tqd)" = inactive ] || fail "tqd runs before any connection"
[ "$(as alice tq call echo 1)" = "[1]" ] || fail "the first call through tqd.socket failed"
[ "$(systemctl is-active tqd)" = active ] || fail "tqd.socket did not start tqd"
journalctl -u tqd --no-pager | grep -q 'socket activation: serving the socket systemd passed' ||
  fail "tqd did not serve systemd's socket"
systemctl stop tqd
[ -S /run/tq/tqd.sock ] || fail "stopping tqd removed tqd.socket's file"
[ "$(as alice tq call echo 2)" = "[2]" ] || fail "tqd.socket did not start tqd again"
expect_refused mallory
systemctl stop tqd.socket tqd
systemctl disable --now tqd

step "the watchdog restarts a wedged tqd"
mkdir -p /run/systemd/system/tqd.service.d
printf '[Service]\nWatchdogSec=1s\nTimeoutAbortSec=1s\n' >/run/systemd/system/tqd.service.d/watchdog.conf
systemctl daemon-reload
systemctl start tqd
wedged=$(systemctl show -p MainPID --value tqd)
workers=$(ps -o pid= --ppid "$wedged")
kill -STOP "$wedged"
wait_until "a new tqd" 30 sh -c "p=\$(systemctl show -p MainPID --value tqd);
  [ \"\$p\" != 0 ] && [ \"\$p\" != $wedged ] && [ \"\$(systemctl is-active tqd)\" = active ]"
journalctl -u tqd --no-pager | grep -q 'Watchdog timeout' || fail "no watchdog timeout in the journal"
[ "$(systemctl show -p NRestarts --value tqd)" -ge 1 ] || fail "tqd was not restarted"
for w in $workers; do
  ! kill -0 "$w" 2>/dev/null || fail "worker $w of the wedged tqd is still alive"
done
as alice tq ping >/dev/null || fail "the restarted tqd does not answer"
systemctl stop tqd
rm -r /run/systemd/system/tqd.service.d
systemctl daemon-reload

step "the user unit: a queue of alice's own"
uid=$(id -u alice)
systemctl start "user@$uid.service"
user_env=(env XDG_RUNTIME_DIR=/run/user/$uid)
as alice "${user_env[@]}" systemctl --user start tqd
as alice "${user_env[@]}" systemctl --user status tqd --no-pager | grep -q 'Status: "' ||
  fail "systemctl --user status shows no STATUS= line"
out=$(as alice "${user_env[@]}" tq submit --wait -- id -un 2>&1) || fail "alice's exec task failed: $out"
[ "$out" = alice ] || fail "alice's own queue ran her command as '$out'"
[ -S "/run/user/$uid/tq/tqd.sock" ] || fail "no socket at /run/user/$uid/tq/tqd.sock"
as alice "${user_env[@]}" systemctl --user stop tqd

step "tq-agent@.service hands tq-agent its settings and its key"
# A stand-in for tq-agent (the real one, issue 17's, is put back after):
# it writes who runs it, its arguments and its key file, and exits 0 on
# SIGTERM. What a real agent then does is tests/agents' business.
agent=/usr/local/libexec/tq/tq-agent
[ ! -e "$agent" ] || mv "$agent" "$agent.real"
cat >"$agent" <<'AGENT'
#!/bin/bash
out=/run/tq-agent-stand-in.log
for ((i = 1; i <= $#; i++)); do [ "${!i}" = --key ] && { j=$((i + 1)); key=${!j}; }; done
{ id -un; printf '%s\n' "$@"; stat -c '%a %U' "$key"; cat "$key"; } >"$out" 2>&1
trap 'echo TERM >>"$out"; exit 0' TERM
while :; do sleep 0.1; done
AGENT
chmod 755 "$agent"
install -m 0644 /dev/null /run/tq-agent-stand-in.log
chown tq /run/tq-agent-stand-in.log
printf 'TQ_HEAD=tcp://head.example:7100\nTQ_AGENT_ARGS=--slots 3 --plugin /x.so\n' \
  >/etc/tq/agent-x.conf
(umask 077 && echo agent-x-secret >/etc/tq/agent-x.key)
systemctl start tq-agent@x
wait_until "the agent's stand-in to start" 10 grep -q agent-x-secret /run/tq-agent-stand-in.log
want="tq
--connect
tcp://head.example:7100
--server-key
/etc/tq/head.pub
--key
/run/credentials/tq-agent@x.service/agent.key
--drain
finish
--slots
3
--plugin
/x.so
400 tq
agent-x-secret"
[ "$(cat /run/tq-agent-stand-in.log)" = "$want" ] ||
  fail "tq-agent@x ran: $(cat /run/tq-agent-stand-in.log)"
systemctl stop tq-agent@x
grep -qx TERM /run/tq-agent-stand-in.log || fail "systemctl stop sent the agent no SIGTERM"
[ "$(systemctl show -p Result --value tq-agent@x)" = success ] ||
  fail "tq-agent@x stopped with $(systemctl show -p Result --value tq-agent@x)"
rm -f "$agent"
[ ! -e "$agent.real" ] || mv "$agent.real" "$agent"

step "all checks passed"
