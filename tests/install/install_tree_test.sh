#!/usr/bin/env bash
# install_tree_test.sh CMAKE BUILD PREFIX VERSION MAN_PAGES
#
# `cmake --install BUILD --prefix PREFIX` into an empty PREFIX installs what
# users and operators need, and it works from there: the programs (tqd and
# tq in bin/, tq-worker in libexec/tq/ only), libtq shared with its SONAME
# and static, the task SDK's archive, headers that compile on their own,
# the CMake package and the .pc files, the man pages (rendering without
# warnings), the bash completion and the example config with every setting
# of tqd. Prints the
# installed file list. consumer_test.sh then builds against PREFIX.
set -euo pipefail
cmake=$1 build=$2 prefix=$3 version=$4 man_pages=$5

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
expect_file() { [ -f "$prefix/$1" ] || fail "not installed: $1"; }
# loaded_libtq PROGRAM: the libtq.so.0 it loads, as a canonical path.
loaded_libtq() {
  realpath "$(ldd "$1" | sed -n 's/^[[:space:]]*libtq\.so\.0 => \(.*\) (0x.*$/\1/p')"
}

rm -rf "$prefix"
"$cmake" --install "$build" --prefix "$prefix" >"$prefix.log" 2>&1 || {
  cat "$prefix.log" >&2
  echo "FAIL: cmake --install" >&2
  exit 1
}
echo "installed in $prefix:"
(cd "$prefix" && find . -mindepth 1 | sort)

# The library directory is lib/, or lib/<multiarch>/ for --prefix /usr.
libtq=$(cd "$prefix" && find . -name libtq.so.0 | sed 's|^\./||')
[ -n "$libtq" ] || { echo "FAIL: no libtq.so.0 under $prefix" >&2; exit 1; }
libdir=$(dirname "$libtq")

for f in bin/tqd bin/tq libexec/tq/tq-worker libexec/tq/tq-agent; do
  [ -x "$prefix/$f" ] || fail "not installed as a program: $f"
done
[ ! -e "$prefix/bin/tq-worker" ] || fail "tq-worker is in bin/; it belongs in libexec/tq/"
for f in libtq.so libtq.so.0 "libtq.so.$version" libtq.a libtq-task.a \
  cmake/tq/tq-config.cmake cmake/tq/tq-config-version.cmake cmake/tq/tq-targets.cmake \
  cmake/tq/tq-static-targets.cmake pkgconfig/tq.pc pkgconfig/tq-task.pc; do
  expect_file "$libdir/$f"
done
for f in include/tq/client.h include/tq/worker/task.h \
  share/bash-completion/completions/tq share/doc/tq/examples/tqd.toml; do
  expect_file "$f"
done

soname=$(readelf -d "$prefix/$libdir/libtq.so.$version" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = libtq.so.0 ] || fail "libtq's SONAME is '$soname', not libtq.so.0"
# The archives stand alone: the protocol code (and the worker's base and
# runtime) inside.
# (Output is captured before grep -q reads it: under pipefail, a writer cut
# off by grep's early exit would fail the pipeline.)
defines() {
  local symbols
  symbols=$(nm -C --defined-only "$prefix/$libdir/$1" 2>/dev/null)
  grep -q " T $2" <<<"$symbols"
}
defines libtq.a 'tq::proto::' || fail "libtq.a lacks tq_proto's code"
for code in 'tq::proto::' 'tq::base::' 'tq::worker::Main('; do
  defines libtq-task.a "$code" || fail "libtq-task.a lacks $code"
done

# Every header compiles on its own with only the installed include dir
# (and msgpack-c's, which is in the default path).
scratch=$(mktemp -d "${TMPDIR:-/tmp}/tq-headers.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
while IFS= read -r header; do
  echo "#include <${header#"$prefix/include/"}>" >"$scratch/one.cc"
  c++ -std=c++20 -DMSGPACK_NO_BOOST -fsyntax-only -I"$prefix/include" "$scratch/one.cc" ||
    fail "installed ${header#"$prefix/"} does not compile on its own"
done < <(find "$prefix/include" -name '*.h' | sort)

# The installed tq runs from there: it finds the installed libtq (RUNPATH).
if ! out=$(env -u LD_LIBRARY_PATH "$prefix/bin/tq" --version); then
  fail "installed tq does not run"
elif [ "$out" != "tq $version" ]; then
  fail "installed tq --version says '$out'"
fi
[ "$(loaded_libtq "$prefix/bin/tq")" = "$(realpath "$prefix/$libdir/libtq.so.0")" ] ||
  fail "installed tq does not load the installed libtq: $(ldd "$prefix/bin/tq" | grep libtq)"

# The example config shows every setting tqd has (consumer_test.sh runs
# tqd with all of them on).
for key in $("$prefix/bin/tqd" --print-settings=markdown | sed -n 's/^| `\([a-z_]*\)` |.*/\1/p'); do
  grep -q "^#$key = " "$prefix/share/doc/tq/examples/tqd.toml" ||
    fail "the example tqd.toml lacks the setting '$key'"
done

export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
for pc in tq tq-task; do
  pkg-config --validate "$pc" || fail "$pc.pc does not validate"
  [ "$(pkg-config --modversion "$pc")" = "$version" ] || fail "$pc.pc has the wrong version"
  cflags=$(pkg-config --cflags "$pc")
  [[ $cflags == *-DMSGPACK_NO_BOOST* ]] || fail "$pc.pc's Cflags lack -DMSGPACK_NO_BOOST: $cflags"
  incdir=$(cd "$(pkg-config --variable=includedir "$pc")" && pwd)
  [ "$incdir" = "$prefix/include" ] || fail "$pc.pc's includedir is $incdir"
done

if [ "$man_pages" = ON ]; then
  for page in share/man/man1/tq.1 share/man/man8/tqd.8 share/man/man8/tq-agent.8; do
    expect_file "$page"
    [ -f "$prefix/$page" ] || continue
    text=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$prefix/$page" 2>"$scratch/warnings")
    [ ! -s "$scratch/warnings" ] || fail "$page renders with warnings: $(cat "$scratch/warnings")"
    grep -q '^SYNOPSIS' <<<"$text" || fail "$page has no SYNOPSIS"
  done
  # Each command of tq has its own entry, with its options.
  tq_page=$(MANWIDTH=80 man -l "$prefix/share/man/man1/tq.1" 2>/dev/null)
  tqd_page=$(MANWIDTH=80 man -l "$prefix/share/man/man8/tqd.8" 2>/dev/null)
  for command in $(env -u LD_LIBRARY_PATH "$prefix/bin/tq" --help |
    sed -n '/^Subcommands:$/,/^$/{s/^  \([^ ][^ ]*\) .*/\1/p}'); do
    grep -q "^   tq $command\$" <<<"$tq_page" ||
      fail "tq(1) has no section for 'tq $command'"
  done
  grep -q -- '--max-rss-per-worker' <<<"$tqd_page" ||
    fail "tqd(8) lacks the settings' flags"
else
  echo "man pages not built here (no help2man, or a cross build): not checked"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "the installed tree in $prefix is complete"
