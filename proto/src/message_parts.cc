// The shared message parts.
#include "message_parts.h"

#include <utility>

#include "tq/proto/msgpack_walk.h"
#include "tq/proto/utf8.h"

namespace tq::proto {

bool IsFunctionName(std::string_view fn) {
  return !fn.empty() && fn.size() <= kMaxFunctionNameBytes && IsPrintableUtf8(fn);
}

Status ReadFunctionName(Fields& f, std::string_view* fn) {
  TQ_RETURN_IF_ERROR(f.Str("fn", fn));
  if (!IsFunctionName(*fn)) {
    return f.Error(ErrorCode::kBadValue,
                   "field 'fn' must be 1 to 128 bytes of printable UTF-8");
  }
  return Status::Ok();
}

Status ReadArgs(Fields& f, const Limits& limits, std::string_view* args) {
  TQ_RETURN_IF_ERROR(f.Bin("args", args, false, "a bin holding a msgpack-encoded array"));
  if (args->size() > limits.max_args_bytes) {
    return f.Error(ErrorCode::kTooLarge, "field 'args' is " + std::to_string(args->size()) +
                                             " bytes; the limit is " +
                                             std::to_string(limits.max_args_bytes));
  }
  if (!args->empty()) {
    // Only the header: the worker validates the elements against the
    // function's signature.
    const auto b = static_cast<unsigned char>((*args)[0]);
    if (!((b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd)) {
      return f.Error(ErrorCode::kBadValue, "field 'args' must encode a msgpack array");
    }
  }
  return Status::Ok();
}

Status ReadErrorInfo(Fields& f, ErrorInfo* error) {
  const msgpack::object* o = f.Find("error");
  if (o == nullptr) return f.Error(ErrorCode::kMissingField, "missing field 'error'");
  if (o->type != msgpack::type::MAP) {
    return f.Error(ErrorCode::kWrongType,
                   "field 'error' must be a map, got " + std::string(TypeName(*o)));
  }
  Fields e = f.Nested("error", *o);
  return ReadErrorMap(e, error);
}

Status ReadErrorMap(Fields& e, ErrorInfo* error) {
  TQ_RETURN_IF_ERROR(e.Init());
  TQ_RETURN_IF_ERROR(e.Str("type", &error->type));
  TQ_RETURN_IF_ERROR(e.Str("message", &error->message));
  TQ_RETURN_IF_ERROR(e.Str("cause", &error->cause, false));
  std::uint64_t pid = 0;
  TQ_RETURN_IF_ERROR(e.OptUint("pid", &pid));
  if (pid > UINT32_MAX) return e.Error(ErrorCode::kBadValue, "field 'pid' must fit 32 bits");
  error->pid = static_cast<std::uint32_t>(pid);
  for (auto [key, slot] : {std::pair{"exit_code", &error->exit_code},
                           std::pair{"signal", &error->signal}}) {
    std::int64_t v = 0;
    if (e.Find(key) == nullptr) continue;
    TQ_RETURN_IF_ERROR(e.Int(key, &v, true));
    if (v < INT32_MIN || v > INT32_MAX) {
      return e.Error(ErrorCode::kBadValue, std::string("field '") + key + "' must fit 32 bits");
    }
    *slot = static_cast<std::int32_t>(v);
  }
  TQ_RETURN_IF_ERROR(e.OptUint("rss_bytes", &error->rss_bytes));
  TQ_RETURN_IF_ERROR(e.OptUint("timeout_ms", &error->timeout_ms));
  TQ_RETURN_IF_ERROR(e.Str("stack", &error->stack, false));
  if (error->type.size() > kMaxErrorTextBytes || error->message.size() > kMaxErrorTextBytes ||
      error->stack.size() > kMaxErrorTextBytes) {
    return e.Error(ErrorCode::kTooLarge, "type, message or stack longer than 64 KiB");
  }
  return e.NoUnknownFields();
}

Status ReadOutcome(Fields& f, const Limits& limits, bool (*allowed)(TaskState),
                   TaskState* state, std::string_view* value, ErrorInfo* error) {
  std::string_view name;
  TQ_RETURN_IF_ERROR(f.Str("state", &name));
  const std::optional<TaskState> s = ParseTaskState(name);
  if (!s || !allowed(*s)) {
    return f.Error(ErrorCode::kBadValue,
                   "field 'state' may not be '" + Fields::Printable(name) + "'");
  }
  *state = *s;
  if (*s != TaskState::kDone) return ReadErrorInfo(f, error);
  TQ_RETURN_IF_ERROR(f.Bin("value", value, true, "a bin holding a msgpack value"));
  if (value->empty()) {
    return f.Error(ErrorCode::kBadValue, "field 'value' must hold a msgpack value");
  }
  if (value->size() > limits.max_result_bytes) {
    return f.Error(ErrorCode::kTooLarge, "field 'value' is " + std::to_string(value->size()) +
                                             " bytes; the limit is " +
                                             std::to_string(limits.max_result_bytes));
  }
  return Status::Ok();
}

bool IsOneMsgpackValue(std::string_view bytes) {
  std::size_t pos = 0;
  return !bytes.empty() && SkipValue(bytes, &pos) && pos == bytes.size();
}

Status ReadMsgpackValue(Fields& f, std::string_view key, std::string_view* out) {
  TQ_RETURN_IF_ERROR(f.Bin(key, out, true, "a bin holding a msgpack value"));
  if (!IsOneMsgpackValue(*out)) {
    return f.Error(ErrorCode::kBadValue,
                   "field '" + std::string(key) + "' must hold exactly one msgpack value");
  }
  return Status::Ok();
}

Status ReadPipe(Fields& f, PipeMessage* m) {
  TQ_RETURN_IF_ERROR(f.Uint("task", &m->task_id));
  if (m->close) return Status::Ok();
  return ReadMsgpackValue(f, "data", &m->data);
}

Status ReadProgress(Fields& f, TaskProgress* m) {
  TQ_RETURN_IF_ERROR(f.Uint("task", &m->task_id));
  TQ_RETURN_IF_ERROR(f.Number("done", &m->done));
  TQ_RETURN_IF_ERROR(f.Number("total", &m->total));
  TQ_RETURN_IF_ERROR(f.Str("message", &m->message, false));
  if (m->message.size() > kMaxErrorTextBytes) {
    return f.Error(ErrorCode::kTooLarge, "field 'message' is longer than 64 KiB");
  }
  return Status::Ok();
}

}  // namespace tq::proto
