// The table of named-object operations: which ops each object type takes,
// and which request fields each op reads (required or optional). The
// decoder reads exactly those fields, so any other is UNKNOWN_FIELD; the
// encoder writes only those; the names on the wire come from here too.
// Internal to tq_proto.
#pragma once

#include <cstdint>
#include <string>

#include "fields.h"
#include "tq/proto/messages.h"

namespace tq::proto {

// The request fields of named-object calls, as bits.
enum ObjectField : std::uint16_t {
  kFieldKey = 1 << 0,
  kFieldValue = 1 << 1,
  kFieldExpect = 1 << 2,
  kFieldKeys = 1 << 3,
  kFieldValues = 1 << 4,
  kFieldIndex = 1 << 5,
  kFieldStop = 1 << 6,
  kFieldBy = 1 << 7,
  kFieldTimeout = 1 << 8,
  kFieldCount = 1 << 9,
  kFieldCapacity = 1 << 10,
  kFieldInitial = 1 << 11,
  kFieldCursor = 1 << 12,
  kFieldTask = 1 << 13,
};

struct ObjectOpRow {
  ObjectType type;
  ObjectOp op;
  std::uint16_t required;  // ObjectField bits
  std::uint16_t optional;
};

// The row of `op` on `type`, or null if that type does not take it.
const ObjectOpRow* FindObjectOp(ObjectType type, ObjectOp op);
// "get, set, ... or drop": the ops `type` takes, for error sentences.
std::string ObjectOpNames(ObjectType type);

// The decoders of the client's object requests (kinds "dict", "list", ...)
// and of "pipe" / "pipe_close", for decode_client.cc's table.
Result<ClientMessage> DecodeObjectRequest(ObjectType type, Fields& f);
Result<ClientMessage> DecodePipeRequest(bool close, Fields& f);

}  // namespace tq::proto
