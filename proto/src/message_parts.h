// Readers for the parts that messages of more than one kind or direction
// share: a function name, args, an outcome with its value or error map, a
// progress report, and arrays of maps. Each reads from the message's
// Fields and fails with the same sentences wherever the part appears.
// Internal to tq_proto.
#pragma once

#include <string_view>
#include <vector>

#include "fields.h"
#include "tq/proto/limits.h"
#include "tq/proto/messages.h"

namespace tq::proto {

// "fn": 1 to kMaxFunctionNameBytes bytes of printable UTF-8.
Status ReadFunctionName(Fields& f, std::string_view* fn);
bool IsFunctionName(std::string_view fn);

// "args", optional: a bin holding a msgpack array, within limits.
Status ReadArgs(Fields& f, const Limits& limits, std::string_view* args);

// "error": the error map.
Status ReadErrorInfo(Fields& f, ErrorInfo* error);
// The fields of an error map, `e` reading the map itself.
Status ReadErrorMap(Fields& e, ErrorInfo* error);

// "state", then "value" if it is done or "error" if not; `allowed` says
// which states this message may carry.
Status ReadOutcome(Fields& f, const Limits& limits, bool (*allowed)(TaskState),
                   TaskState* state, std::string_view* value, ErrorInfo* error);

// `key`: a bin holding exactly one msgpack value (a key, a value, pipe data).
Status ReadMsgpackValue(Fields& f, std::string_view key, std::string_view* out);
bool IsOneMsgpackValue(std::string_view bytes);

// "task", and "data" unless m->close: a pipe message (not "req").
Status ReadPipe(Fields& f, PipeMessage* m);

// "task", "done", "total" and "message" (not "req": only tqd sends one).
Status ReadProgress(Fields& f, TaskProgress* m);

// Field `key`, an array of maps, into *out: each map is read by `read`
// through a Fields named `context`, and may hold nothing else.
// `element` names one in the error: "each worker must be a map".
template <typename T>
Status ReadArrayOfMaps(Fields& f, std::string_view key, std::string_view element,
                       std::string_view context, Status (*read)(Fields&, T*),
                       std::vector<T>* out) {
  const msgpack::object* list = f.Find(key);
  if (list == nullptr || list->type != msgpack::type::ARRAY) {
    return f.Error(ErrorCode::kWrongType, "field '" + std::string(key) + "' must be an array");
  }
  for (std::uint32_t i = 0; i < list->via.array.size; ++i) {
    const msgpack::object& o = list->via.array.ptr[i];
    if (o.type != msgpack::type::MAP) {
      return f.Error(ErrorCode::kWrongType, std::string(element) + " must be a map");
    }
    Fields one = f.Nested(context, o);
    TQ_RETURN_IF_ERROR(one.Init());
    T item;
    TQ_RETURN_IF_ERROR(read(one, &item));
    TQ_RETURN_IF_ERROR(one.NoUnknownFields());
    out->push_back(item);
  }
  return Status::Ok();
}

}  // namespace tq::proto
