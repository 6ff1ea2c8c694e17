# A throw-away Debian bookworm container with a real systemd as PID 1
# (systemd-nspawn --boot), for testing tq's units. Source it after
# common.sh. Needs root, systemd-container and debootstrap. Works on a host
# whose PID 1 is not systemd: nspawn then runs with --register=no
# --keep-unit in a cgroup of its own per machine, which nspawn_down removes.
#
#   nspawn_up [NSPAWN-ARGS...]  builds the root filesystem once (cached), boots
#                               a fresh machine, waits for systemd to be up;
#                               sets NSPAWN_MACHINE. Extra arguments go to
#                               systemd-nspawn, e.g. --bind-ro=DIR:/opt/x
#   nspawn_exec CMD [ARGS...]   runs CMD in the machine as root (nsenter into
#                               its namespaces), in a clean environment
#   nspawn_down                 halts it; removes its state and cgroups
#
# Each boot is --volatile=overlay: what a test changes goes to a tmpfs and is
# gone at nspawn_down, so the cached root filesystem stays clean. The network
# is --private-network (loopback only): bake every package in.
#
# Environment:
#   TQ_NSPAWN_CACHE    where the root filesystem is kept (default
#                      /var/cache/tq-nspawn); it is built only if missing,
#                      and named by its package list, so a changed list
#                      builds a new one
#   TQ_NSPAWN_PACKAGES packages baked in besides systemd (comma-separated)
#   TQ_NSPAWN_BOOT_TIMEOUT  seconds to wait for boot (default 60)

NSPAWN_CACHE=${TQ_NSPAWN_CACHE:-/var/cache/tq-nspawn}
NSPAWN_SUITE=bookworm
NSPAWN_PKGS="systemd,systemd-sysv,dbus,libnss-systemd${TQ_NSPAWN_PACKAGES:+,$TQ_NSPAWN_PACKAGES}"
NSPAWN_RUNDIR=$NSPAWN_CACHE/run
NSPAWN_MACHINE=
_NSPAWN_PATH='PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

_nspawn_die() {
  echo "nspawn: $*" >&2
  return 1
}

# The Debian mirror from the host's apt configuration.
_nspawn_mirror() {
  local u
  u=$(grep -hs -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
    awk '{print $2}' | grep -v -- '-security' | head -1 || true)
  [ -n "$u" ] || u=$(grep -hs -E '^deb +(\[[^]]*\] +)?(http|https|file)://' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    grep -v -- '-security' | sed -E 's/^deb +(\[[^]]*\] +)?//' | awk '{print $1}' | head -1 || true)
  [ -n "$u" ] || _nspawn_die "no Debian mirror in /etc/apt/sources.list*" || return 1
  echo "$u"
}

nspawn_rootfs_dir() {
  echo "$NSPAWN_CACHE/rootfs-$NSPAWN_SUITE-$(echo "$NSPAWN_PKGS" | md5sum | cut -c1-8)"
}

# Prints the root filesystem's path, building it first if it is missing
# (about 50 s; under a lock, so parallel runs build it once).
_nspawn_build_rootfs() {
  local dir mirror
  dir=$(nspawn_rootfs_dir)
  mkdir -p "$NSPAWN_CACHE"
  (
    flock 9
    if [ ! -x "$dir/lib/systemd/systemd" ]; then
      local tmp="$dir.tmp.$$" t0=$SECONDS
      rm -rf "$tmp"
      mirror=$(_nspawn_mirror) || exit 1
      log "building the container's root filesystem $dir ($NSPAWN_PKGS)"
      if ! debootstrap --variant=minbase --include="$NSPAWN_PKGS" "$NSPAWN_SUITE" "$tmp" \
        "$mirror" >"$NSPAWN_CACHE/debootstrap.log" 2>&1; then
        tail -20 "$NSPAWN_CACHE/debootstrap.log" >&2
        rm -rf "$tmp"
        _nspawn_die "debootstrap failed"
        exit 1
      fi
      : >"$tmp/etc/machine-id" # nspawn gives each boot one
      rm -f "$tmp"/var/cache/apt/archives/*.deb
      mv "$tmp" "$dir"
      log "root filesystem built in $((SECONDS - t0)) s"
      # Root filesystems of older package lists, unless a machine runs on one.
      local old
      for old in "$NSPAWN_CACHE"/rootfs-*; do
        [ "$old" != "$dir" ] && [ -d "$old" ] || continue
        grep -qsxF "$old" "$NSPAWN_RUNDIR"/*/rootfs || rm -rf "$old"
      done
    fi
  ) 9>"$NSPAWN_CACHE/.build.lock" || return 1
  echo "$dir"
}

# The cgroup hierarchies nspawn needs a subtree of its own in.
_nspawn_cgroup_roots() {
  if [ -d /sys/fs/cgroup/unified ] && [ -d /sys/fs/cgroup/systemd ]; then
    echo /sys/fs/cgroup/unified /sys/fs/cgroup/systemd # hybrid
  elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    echo /sys/fs/cgroup # pure v2
  elif [ -d /sys/fs/cgroup/systemd ]; then
    echo /sys/fs/cgroup/systemd # legacy v1
  fi
}

_nspawn_host_has_systemd() { [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; }

# The container's systemd (its pid on the host), a child of nspawn.
_nspawn_leader_of() {
  local c
  for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    if grep -qE '^NSpid:\s+[0-9]+\s+1$' "/proc/$c/status" 2>/dev/null &&
      [ "$(cat "/proc/$c/comm" 2>/dev/null)" = systemd ]; then
      echo "$c"
      return 0
    fi
  done
  return 1
}

_nspawn_in() {
  local leader=$1
  shift
  nsenter -t "$leader" -a --root --wd -- env -i "$_NSPAWN_PATH" HOME=/root LANG=C.UTF-8 \
    TERM=dumb SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

nspawn_up() {
  [ "$(id -u)" = 0 ] || _nspawn_die "must run as root" || return 1
  local rootfs name st np leader="" state="" reg=(--register=no --keep-unit) roots host=""
  rootfs=$(_nspawn_build_rootfs) || return 1
  name="tq-$(date +%s)-$$-$RANDOM"
  st=$NSPAWN_RUNDIR/$name
  mkdir -p "$st"
  roots=$(_nspawn_cgroup_roots)
  if _nspawn_host_has_systemd; then
    reg=()
    host=1
  fi
  echo "$rootfs" >"$st/rootfs"
  echo "$roots" >"$st/cgroup-roots"
  echo "$host" >"$st/host-systemd"
  # The shell moves itself into a cgroup of this machine's, then execs
  # nspawn, so machines can run side by side and nspawn_down removes
  # exactly its own. --system-call-filter=bpf: nspawn's filter blocks bpf(),
  # which silently disables IPAddressDeny= inside.
  setsid sh -c '
    name=$1 roots=$2 host=$3; shift 3
    if [ -z "$host" ]; then
      for r in $roots; do mkdir -p "$r/nspawn-$name" && echo $$ >"$r/nspawn-$name/cgroup.procs"; done
    fi
    exec "$@"' sh "$name" "$roots" "$host" \
    systemd-nspawn --boot --directory="$rootfs" --machine="$name" --volatile=overlay \
    --console=pipe --system-call-filter=bpf --private-network "${reg[@]}" "$@" \
    >"$st/console.log" 2>&1 </dev/null &
  np=$!
  echo "$np" >"$st/nspawn.pid"
  NSPAWN_MACHINE=$name
  local deadline=$((SECONDS + ${TQ_NSPAWN_BOOT_TIMEOUT:-60}))
  while [ $SECONDS -lt $deadline ]; do
    if ! kill -0 "$np" 2>/dev/null; then
      cat "$st/console.log" >&2
      nspawn_down
      _nspawn_die "nspawn exited during boot"
      return 1
    fi
    [ -n "$leader" ] || leader=$(_nspawn_leader_of "$np" || true)
    if [ -n "$leader" ]; then
      state=$(_nspawn_in "$leader" systemctl is-system-running 2>/dev/null || true)
      case $state in running | degraded) break ;; esac
    fi
    sleep 0.2
  done
  case $state in
    running | degraded) ;;
    *)
      cat "$st/console.log" >&2
      nspawn_down
      _nspawn_die "boot timed out (state: ${state:-none})"
      return 1
      ;;
  esac
  echo "$leader" >"$st/leader.pid"
  if [ "$state" = degraded ]; then
    _nspawn_in "$leader" systemctl --failed --no-legend >&2 || true
  fi
}

nspawn_exec() {
  local st=$NSPAWN_RUNDIR/$NSPAWN_MACHINE leader
  leader=$(cat "$st/leader.pid" 2>/dev/null) || _nspawn_die "no machine is up" || return 1
  _nspawn_in "$leader" "$@"
}

nspawn_down() {
  [ -n "$NSPAWN_MACHINE" ] || return 0
  local st=$NSPAWN_RUNDIR/$NSPAWN_MACHINE np leader r
  np=$(cat "$st/nspawn.pid" 2>/dev/null || true)
  leader=$(cat "$st/leader.pid" 2>/dev/null || true)
  if [ -n "$np" ] && kill -0 "$np" 2>/dev/null; then
    kill -TERM "$np" # nspawn asks the container's systemd to halt
    for _ in $(seq 1 100); do
      kill -0 "$np" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$np" 2>/dev/null; then
      kill -TERM "$np" 2>/dev/null || true # a second TERM: at once
      sleep 1
      kill -KILL "$np" 2>/dev/null || true
      # The container's PID 1: killing it ends its whole PID namespace.
      [ -z "$leader" ] || kill -KILL "$leader" 2>/dev/null || true
    fi
  fi
  if [ -z "$(cat "$st/host-systemd" 2>/dev/null)" ]; then
    for r in $(cat "$st/cgroup-roots" 2>/dev/null); do
      [ ! -d "$r/nspawn-$NSPAWN_MACHINE" ] ||
        find "$r/nspawn-$NSPAWN_MACHINE" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    done
  fi
  rm -rf "$st"
  NSPAWN_MACHINE=
}
