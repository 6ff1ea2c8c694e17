#!/usr/bin/env bash
# check_install.sh BUILD_DIR CXX: installs libtq from BUILD_DIR into a
# scratch prefix, then checks that a program can use it with nothing of
# tq's source tree: <tq/client.h> compiles with only the installed include
# directory, the installed headers are the public ones alone, and a CMake
# project (find_package(tq), tq::client) and a pkg-config build both compile,
# link and run a client that catches libtq's exceptions by type.
set -euo pipefail
build=${1:?usage: check_install.sh BUILD_DIR CXX}
cxx=${2:?usage: check_install.sh BUILD_DIR CXX}
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
prefix=$scratch/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name 'libtq.so' | head -n 1)")

echo "installed headers:"
(cd "$prefix/include" && find . -type f | sort)
# The task SDK's header needs tq/proto/msgpack_type_name.h; libtq's must
# need no tq/proto header at all.
echo '#include <tq/client.h>' > "$scratch/client_deps.cc"
if "$cxx" -std=c++20 -DMSGPACK_NO_BOOST -M -I"$prefix/include" "$scratch/client_deps.cc" |
  grep -q 'include/tq/proto/'; then
  echo "tq/client.h needs tq/proto headers: libtq's API must not" >&2
  exit 1
fi

# Only the installed include directory on the path (msgpack.hpp, which
# tq/client.h needs, comes from the system).
echo '#include <tq/client.h>' > "$scratch/only_client_h.cc"
"$cxx" -std=c++20 -DMSGPACK_NO_BOOST -fsyntax-only -I"$prefix/include" "$scratch/only_client_h.cc"
for h in "$prefix"/include/tq/*.h; do
  echo "#include <tq/$(basename "$h")>" > "$scratch/one.cc"
  "$cxx" -std=c++20 -DMSGPACK_NO_BOOST -fsyntax-only -I"$prefix/include" "$scratch/one.cc"
done

endpoint=ipc://$scratch/no-tqd.sock

# CMake: find_package(tq) and the tq::client target.
cmake -S "$here/consumer" -B "$scratch/cmake-build" -G Ninja \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$scratch/cmake-build" >/dev/null
"$scratch/cmake-build/consumer" "$endpoint"

# pkg-config.
export PKG_CONFIG_PATH=$libdir/pkgconfig
flags=$(pkg-config --cflags --libs tq)
echo "pkg-config --cflags --libs tq: $flags"
"$cxx" -std=c++20 -o "$scratch/consumer-pc" "$here/consumer/consumer.cc" $flags \
  -Wl,-rpath,"$libdir"
"$scratch/consumer-pc" "$endpoint"
