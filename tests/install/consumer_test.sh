#!/usr/bin/env bash
# consumer_test.sh WAY PREFIX EXAMPLES CMAKE GENERATOR CXX
#
# Builds examples/client and examples/plugin out of tree against the tq
# installed in PREFIX (install_tree_test.sh), the way a user would:
#   find_package  each folder as a CMake project, CMAKE_PREFIX_PATH=PREFIX;
#                 and the client once more against libtq.a
#                 (find_package(tq COMPONENTS static), tq::client_static)
#   pkg-config    one compiler line each, PKG_CONFIG_PATH=PREFIX/.../pkgconfig
# then starts the installed tqd (PREFIX/bin/tqd, which must find
# PREFIX/libexec/tq/tq-worker by itself) with the installed example config,
# all its settings on, and the plugin just built, on an ipc socket in a
# temp dir; runs the clients just built and the installed tq against it,
# checks what they computed through the plugin, and stops tqd by its pid.
set -euo pipefail
way=$1 prefix=$2 examples=$3 cmake=$4 generator=$5 cxx=$6

work=$(mktemp -d "${TMPDIR:-/tmp}/tq-consumer.XXXXXX")
tqd_pid=
cleanup() {
  if [ -n "$tqd_pid" ] && kill -0 "$tqd_pid" 2>/dev/null; then
    kill -KILL "$tqd_pid" 2>/dev/null || true
    wait "$tqd_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [ -f "$work/tqd.log" ] && { echo "---- tqd's log" >&2; cat "$work/tqd.log" >&2; }
  exit 1
}
step() { echo "== $*"; }
# loaded_libtq PROGRAM: the libtq.so.0 it loads, as a canonical path.
loaded_libtq() {
  realpath "$(ldd "$1" | sed -n 's/^[[:space:]]*libtq\.so\.0 => \(.*\) (0x.*$/\1/p')"
}
children_of() {  # children_of PID: its child processes' pids, from /proc
  local stat pid comm state ppid rest
  for stat in /proc/[0-9]*/stat; do
    read -r pid comm state ppid rest <"$stat" 2>/dev/null || continue
    [ "$ppid" = "$1" ] && echo "$pid"
  done
  return 0
}

# Nothing of the build tree may leak in: only PREFIX, and the system.
unset LD_LIBRARY_PATH CMAKE_PREFIX_PATH PKG_CONFIG_PATH TQ_ENDPOINT
libdir=$(dirname "$(cd "$prefix" && find . -name libtq.so.0 | sed 's|^\./||')")

clients=()
case $way in
  find_package)
    build_project() {  # build_project SOURCE_DIR BUILD_DIR
      "$cmake" -S "$1" -B "$2" -G "$generator" -DCMAKE_CXX_COMPILER="$cxx" \
        -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >"$2.log" 2>&1 &&
        "$cmake" --build "$2" >>"$2.log" 2>&1 || { cat "$2.log" >&2; fail "building $1"; }
    }
    step "find_package(tq): examples/client, examples/plugin"
    build_project "$examples/client" "$work/client"
    build_project "$examples/plugin" "$work/plugin"
    plugin=$work/plugin/libtq_example_tasks.so
    clients+=("$work/client/tq-example-client")

    step "find_package(tq COMPONENTS static): the client against libtq.a"
    mkdir -p "$work/static-src"
    cat >"$work/static-src/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.25)
project(static_client LANGUAGES CXX)
find_package(tq 0.1 REQUIRED COMPONENTS static)
add_executable(static-client "$examples/client/example_client.cc")
target_link_libraries(static-client PRIVATE tq::client_static)
EOF
    build_project "$work/static-src" "$work/static"
    [[ $(ldd "$work/static/static-client") != *libtq* ]] || fail "the static client loads libtq.so"
    clients+=("$work/static/static-client")
    ;;
  pkg-config)
    export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
    step "pkg-config: examples/client and examples/plugin, one compiler line each"
    # shellcheck disable=SC2046  # pkg-config's output is meant to split
    "$cxx" -std=c++20 -O2 -o "$work/tq-example-client" "$examples/client/example_client.cc" \
      $(pkg-config --cflags --libs tq) || fail "compiling the client with pkg-config tq"
    # shellcheck disable=SC2046
    "$cxx" -std=c++20 -O2 -shared -fPIC -o "$work/libtq_example_tasks.so" \
      "$examples/plugin/example_tasks.cc" $(pkg-config --cflags --libs tq-task) ||
      fail "compiling the plugin with pkg-config tq-task"
    plugin=$work/libtq_example_tasks.so
    clients+=("$work/tq-example-client")
    # libtq is not in the linker's search path here: say where it is.
    export LD_LIBRARY_PATH=$prefix/$libdir
    ;;
  *) fail "unknown way '$way': find_package or pkg-config" ;;
esac
for client in "${clients[@]}"; do
  if [[ $(ldd "$client") == *libtq.so* ]]; then
    [ "$(loaded_libtq "$client")" = "$(realpath "$prefix/$libdir/libtq.so.0")" ] ||
      fail "$client does not load the installed libtq: $(ldd "$client" | grep libtq)"
  fi
done

# The example config with every setting uncommented (its defaults), but for
# the ones that name paths of a particular machine (the agent endpoint's
# keys among them, without which it cannot listen).
sed -E '/^#(endpoint|plugins|worker|agents|curve_key|agent_keys) = /d; s/^#([a-z_]+ = )/\1/' \
  "$prefix/share/doc/tq/examples/tqd.toml" >"$work/tqd.toml"
grep -q '^max_queued = ' "$work/tqd.toml" || fail "the example config has no max_queued"

step "the installed tqd, with the example config and the plugin just built"
endpoint=ipc://$work/tqd.sock
"$prefix/bin/tqd" --config "$work/tqd.toml" --endpoint "$endpoint" --state-dir "$work/state" \
  --workers 2 --plugin "$plugin" --log-level warn 2>"$work/tqd.log" &
tqd_pid=$!
"$prefix/bin/tq" --endpoint "$endpoint" --connect-timeout 20 ping >/dev/null ||
  fail "the installed tqd does not answer"

# Its workers are the installed tq-worker, found without --worker.
worker=$(realpath "$prefix/libexec/tq/tq-worker")
deadline=$((SECONDS + 20))
while :; do
  children=$(children_of "$tqd_pid")
  [ -n "$children" ] && break
  [ "$SECONDS" -lt "$deadline" ] || fail "tqd started no worker in 20 s"
  sleep 0.1
done
for child in $children; do
  exe=$(readlink "/proc/$child/exe" || true)
  [ "$exe" = "$worker" ] || fail "tqd's worker $child runs '$exe', not the installed $worker"
done

step "the clients, computing through the plugin"
for client in "${clients[@]}"; do
  out=$("$client" "$endpoint") || fail "$client exited with status $?: $out"
  for expected in "square(7) = 49" "add(1.5, 2.25) = 3.75" "sum of squares 1..1000 = 333833500" \
    "divide(1, 0) failed: std::invalid_argument: division by zero"; do
    grep -qxF "$expected" <<<"$out" || fail "$client did not print '$expected'; it printed: $out"
  done
done
[ "$("$prefix/bin/tq" --endpoint "$endpoint" call word_count '"a b a"')" = '{"a":2,"b":1}' ] ||
  fail "the installed tq's word_count through the plugin"

step "stopping tqd (pid $tqd_pid) with SIGTERM"
kill -TERM "$tqd_pid"
status=0
wait "$tqd_pid" || status=$?
tqd_pid=
[ "$status" -eq 0 ] || fail "tqd exited with status $status"
echo "examples built with $way ran on the installed tqd"
