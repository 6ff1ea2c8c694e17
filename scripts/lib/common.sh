# Shared by scripts/*: installing Debian packages idempotently and building.
# Source it; it sets ROOT to the repository's top directory.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# What building tq needs on Debian 12 (gdb: tqd uses it for the stacks of
# timed-out tasks; help2man makes the man pages; ncurses: tq top), and what
# running its tests adds (man-db: the install test renders the man pages;
# tmux: the terminal tq top is tested in; tests/agents: hosts as network
# namespaces with iproute2, faults with nftables, probes and the delay
# proxy in python3, jq and bc in the scripts, and a Slurm of their own:
# slurmctld, slurmd, slurm-client, munge).
TQ_BUILD_PACKAGES=(g++ cmake ninja-build pkg-config ccache
  libzmq3-dev cppzmq-dev libmsgpack-cxx-dev libspdlog-dev libcli11-dev
  nlohmann-json3-dev libtomlplusplus-dev libutfcpp-dev libsqlite3-dev gdb help2man
  libncurses-dev)
TQ_TEST_PACKAGES=(libgtest-dev libgmock-dev man-db tmux
  iproute2 nftables python3 jq bc slurmctld slurmd slurm-client munge)
# scripts/test-systemd: a container with systemd as PID 1 (systemd-nspawn,
# its root filesystem made by debootstrap), and what the built programs
# load there (from ldd of tqd, tq and tq-worker; apt brings their own
# dependencies), ps, and pam_systemd for a user's systemd (the user unit).
TQ_SYSTEMD_TEST_PACKAGES=(systemd-container debootstrap)
TQ_SYSTEMD_CONTAINER_PACKAGES=(libzmq5 libspdlog1.10 libfmt9 libtomlplusplus3 libsqlite3-0
  procps libpam-systemd)
# The thumbnail example's plugin and test (examples/thumbnails), and what
# its benchmark (bench/thumbnails/run) compares it with.
TQ_THUMBNAIL_PACKAGES=(libjpeg62-turbo-dev libpng-dev)
TQ_THUMBNAIL_BENCH_PACKAGES=(libvips-dev imagemagick python3-pil)

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

# ensure_packages PKG...: installs whichever are missing; does nothing (not
# even apt-get update) when all are present.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
      missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; return 1; }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# configure BUILD_DIR [cmake args...]
configure() {
  local dir=$1
  shift
  cmake -S "$ROOT" -B "$dir" -G Ninja "$@" >/dev/null
}

# Two cores on the build machines: one job per core.
jobs() { nproc 2>/dev/null || echo 2; }
