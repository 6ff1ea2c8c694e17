#!/usr/bin/env bash
# check_exports.sh LIBTQ.so: fails unless every symbol the library exports
# is libtq's own API in namespace tq (functions, and the vtables and
# type_info of its exception classes): no tq::proto, msgpack, ZeroMQ or
# libstdc++ symbol may leak into the programs that link it.
set -euo pipefail
lib=${1:?usage: check_exports.sh LIBTQ.so}
symbols=$(nm -D --defined-only "$lib" | c++filt | cut -d' ' -f3-)
[ -n "$symbols" ] || { echo "no exported symbols in $lib" >&2; exit 1; }
echo "$symbols" | grep -q '^tq::RawClient::RawClient' || { echo "tq::RawClient is not exported" >&2; exit 1; }
bad=$( (echo "$symbols" | grep -v -E '^((typeinfo( name)?|vtable) for )?tq::' || true
       echo "$symbols" | grep -E '(tq::proto|msgpack|zmq)::' || true) | sort -u)
if [ -n "$bad" ]; then
  echo "$lib exports symbols that are not libtq's API:" >&2
  echo "$bad" >&2
  exit 1
fi
echo "$(echo "$symbols" | wc -l) symbols, all tq::"
