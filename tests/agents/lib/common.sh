# tests/agents/lib/common.sh: what every agents test script shares. Source
# it (bash, set -euo pipefail); the other files in lib/ source it
# themselves.
#
#   log MSG              a line on stderr, with seconds since the start
#   fail MSG             print FAIL: MSG and the hook's diagnostics, exit 1
#   skip MSG             print SKIP: MSG, exit 77 (ctest's SKIP_RETURN_CODE)
#   wait_for SECONDS WHAT CMD...
#                        run CMD every 0.1 s until it succeeds; fail after
#                        SECONDS, naming WHAT
#   on_exit CMD...       run CMD (one string, eval'ed) when the script exits,
#                        for any reason; the last registered runs first
#   on_failure CMD       run CMD (eval'ed) before fail exits: logs to show
#   require_root         skip unless uid 0
#
# One EXIT trap runs the on_exit commands; INT and TERM become exits (130,
# 143) so that they run then too. A SIGKILLed script runs nothing: the
# namespace harness (netns.sh) sweeps what such a run left behind.

[ -z "${AGENTS_COMMON_SH:-}" ] || return 0  # sourced once
AGENTS_COMMON_SH=1

AGENTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
AGENTS_T0=$(date +%s.%N)

log() {
  printf '[%s %6.1fs] %s\n' "${AGENTS_TEST:-agents}" \
    "$(bc <<<"$(date +%s.%N) - $AGENTS_T0")" "$*" >&2
}

AGENTS_FAILURE_HOOKS=()
on_failure() { AGENTS_FAILURE_HOOKS+=("$1"); }

fail() {
  echo "FAIL: $*" >&2
  local hook
  for hook in "${AGENTS_FAILURE_HOOKS[@]}"; do
    eval "$hook" >&2 || true
  done
  exit 1
}

skip() {
  echo "SKIP: $*" >&2
  exit 77
}

require_root() {
  [ "$(id -u)" = 0 ] || skip "needs root (network namespaces, nftables, Slurm's daemons)"
}

wait_for() {
  local limit=$1 what=$2
  shift 2
  local deadline
  deadline=$(bc <<<"$(date +%s.%N) + $limit")
  until "$@" >/dev/null 2>&1; do
    [ "$(bc <<<"$(date +%s.%N) < $deadline")" = 1 ] ||
      fail "gave up after $limit s waiting for $what"
    sleep 0.1
  done
}

AGENTS_EXIT_HOOKS=()
on_exit() { AGENTS_EXIT_HOOKS=("$1" "${AGENTS_EXIT_HOOKS[@]}"); }

agents_run_exit_hooks() {
  local rc=$? hook
  trap - EXIT
  set +e
  for hook in "${AGENTS_EXIT_HOOKS[@]}"; do
    eval "$hook"
  done
  exit "$rc"
}
trap agents_run_exit_hooks EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# stop_pid PID [GRACE_S=5]: SIGTERM, then SIGKILL after GRACE_S; returns
# once PID is gone (or was not there). Waits for it if it is our child.
stop_pid() {
  local pid=$1 grace=${2:-5} i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    # A child of ours stays a zombie (kill -0 succeeds) until waited for.
    [[ $(ps -o stat= -p "$pid" 2>/dev/null) == Z* ]] && break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
