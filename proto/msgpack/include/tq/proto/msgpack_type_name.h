// The name of a msgpack value's type, for error sentences: "field 'fn' must
// be a string, got int".
//
// Shared by the codec and the header-only task SDK (tq/worker/task.h),
// which plugins compile against without linking tq_proto: hence inline, and
// in a header of its own that includes msgpack.hpp, apart from tq_proto's
// msgpack-free public headers (target tq_proto_msgpack).
#pragma once

#include <msgpack.hpp>

namespace tq::proto {

// "nil", "bool", "int", "negative int", "float", "str", "bin", "array",
// "map", "ext".
inline const char* TypeName(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL: return "nil";
    case msgpack::type::BOOLEAN: return "bool";
    case msgpack::type::POSITIVE_INTEGER: return "int";
    case msgpack::type::NEGATIVE_INTEGER: return "negative int";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: return "float";
    case msgpack::type::STR: return "str";
    case msgpack::type::BIN: return "bin";
    case msgpack::type::ARRAY: return "array";
    case msgpack::type::MAP: return "map";
    case msgpack::type::EXT: return "ext";
  }
  return "unknown";
}

}  // namespace tq::proto
