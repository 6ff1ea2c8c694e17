// Named objects and pipes, client -> tqd: the table of object ops, their
// names, and the decoders of the object request kinds (one per type) and of
// `pipe` / `pipe_close`. decode_client.cc puts these in its request table.
#include <array>

#include "decoder.h"
#include "message_parts.h"
#include "object_ops.h"
#include "tq/proto/utf8.h"

namespace tq::proto {
namespace {

constexpr std::uint16_t kWaits = kFieldTimeout;
constexpr std::uint16_t kOwned = kFieldTimeout | kFieldTask;

constexpr ObjectOpRow kObjectOps[] = {
    // dict
    {ObjectType::kDict, ObjectOp::kGet, kFieldKey, 0},
    {ObjectType::kDict, ObjectOp::kSet, kFieldKey | kFieldValue, 0},
    {ObjectType::kDict, ObjectOp::kSetDefault, kFieldKey | kFieldValue, 0},
    {ObjectType::kDict, ObjectOp::kDel, kFieldKey, 0},
    {ObjectType::kDict, ObjectOp::kIncr, kFieldKey, kFieldBy},
    {ObjectType::kDict, ObjectOp::kCas, kFieldKey | kFieldValue, kFieldExpect},
    {ObjectType::kDict, ObjectOp::kKeys, 0, kFieldCursor},
    {ObjectType::kDict, ObjectOp::kItems, 0, kFieldCursor},
    {ObjectType::kDict, ObjectOp::kSize, 0, 0},
    {ObjectType::kDict, ObjectOp::kUpdate, kFieldKeys | kFieldValues, 0},
    {ObjectType::kDict, ObjectOp::kClear, 0, 0},
    {ObjectType::kDict, ObjectOp::kDrop, 0, 0},
    // list
    {ObjectType::kList, ObjectOp::kAppend, kFieldValue, 0},
    {ObjectType::kList, ObjectOp::kExtend, kFieldValues, 0},
    {ObjectType::kList, ObjectOp::kGet, kFieldIndex, 0},
    {ObjectType::kList, ObjectOp::kSet, kFieldIndex | kFieldValue, 0},
    {ObjectType::kList, ObjectOp::kSlice, 0, kFieldIndex | kFieldStop},
    {ObjectType::kList, ObjectOp::kSize, 0, 0},
    {ObjectType::kList, ObjectOp::kClear, 0, 0},
    {ObjectType::kList, ObjectOp::kDrop, 0, 0},
    // queue: any request may be the one that creates it, with its capacity
    {ObjectType::kQueue, ObjectOp::kPut, kFieldValue, kWaits | kFieldCapacity},
    {ObjectType::kQueue, ObjectOp::kGet, 0, kWaits | kFieldCapacity},
    {ObjectType::kQueue, ObjectOp::kGetMany, kFieldCount, kWaits | kFieldCapacity},
    {ObjectType::kQueue, ObjectOp::kSize, 0, 0},
    {ObjectType::kQueue, ObjectOp::kClear, 0, 0},
    {ObjectType::kQueue, ObjectOp::kDrop, 0, 0},
    // lock
    {ObjectType::kLock, ObjectOp::kAcquire, 0, kOwned},
    {ObjectType::kLock, ObjectOp::kRelease, 0, kFieldTask},
    {ObjectType::kLock, ObjectOp::kValue, 0, 0},
    {ObjectType::kLock, ObjectOp::kDrop, 0, 0},
    // semaphore: likewise with its initial value
    {ObjectType::kSemaphore, ObjectOp::kAcquire, 0, kOwned | kFieldInitial},
    {ObjectType::kSemaphore, ObjectOp::kRelease, 0, kFieldTask | kFieldInitial},
    {ObjectType::kSemaphore, ObjectOp::kValue, 0, kFieldInitial},
    {ObjectType::kSemaphore, ObjectOp::kDrop, 0, 0},
    // event
    {ObjectType::kEvent, ObjectOp::kSet, 0, 0},
    {ObjectType::kEvent, ObjectOp::kClear, 0, 0},
    {ObjectType::kEvent, ObjectOp::kWait, 0, kWaits},
    {ObjectType::kEvent, ObjectOp::kIsSet, 0, 0},
    {ObjectType::kEvent, ObjectOp::kDrop, 0, 0},
};

constexpr std::string_view kOpNames[] = {
    "get",   "set",    "setdefault", "del",      "incr",    "cas",   "keys",   "items",
    "size",  "update", "clear",      "drop",     "append",  "extend", "slice", "put",
    "get_many", "acquire", "release", "value",   "wait",    "is_set",
};
static_assert(std::size(kOpNames) == static_cast<std::size_t>(ObjectOp::kIsSet) + 1,
              "one name per ObjectOp, in its order");

constexpr std::string_view kTypeNames[] = {"dict", "list", "queue", "lock", "semaphore",
                                           "event"};
static_assert(std::size(kTypeNames) == kObjectTypes, "one name per ObjectType");

// A year, the bound of every duration the protocol takes.
constexpr std::uint64_t kMaxMs = 366ull * 24 * 3600 * 1000;

Status ReadValues(Fields& f, std::string_view key, std::vector<std::string_view>* out) {
  const msgpack::object* o = f.Find(key);
  if (o == nullptr) return f.Error(ErrorCode::kMissingField, "missing field '" + std::string(key) + "'");
  if (o->type != msgpack::type::ARRAY) {
    return f.Error(ErrorCode::kWrongType,
                   "field '" + std::string(key) + "' must be an array of bins");
  }
  out->reserve(o->via.array.size);
  for (std::uint32_t i = 0; i < o->via.array.size; ++i) {
    const msgpack::object& e = o->via.array.ptr[i];
    if (e.type != msgpack::type::BIN || !IsOneMsgpackValue(View(e))) {
      return f.Error(ErrorCode::kBadValue, "field '" + std::string(key) +
                                               "' must hold bins of one msgpack value each");
    }
    out->push_back(View(e));
  }
  return Status::Ok();
}

Status ReadObjectName(Fields& f, std::string_view* name) {
  TQ_RETURN_IF_ERROR(f.Str("name", name));
  if (name->empty() || name->size() > 256 || !IsPrintableUtf8(*name)) {
    return f.Error(ErrorCode::kBadValue,
                   "field 'name' must be 1 to 256 bytes of printable UTF-8");
  }
  return Status::Ok();
}

// Reads the fields of `bits` that the op takes; `required` says which of
// them must be there.
Status ReadObjectFields(Fields& f, std::uint16_t bits, std::uint16_t required,
                        ObjectRequest* m) {
  auto want = [&](ObjectField b) { return (bits & b) != 0; };
  auto needed = [&](ObjectField b) { return (required & b) != 0; };
  auto present = [&](ObjectField b, std::string_view key) {
    return want(b) && (needed(b) || f.Find(key) != nullptr);
  };
  if (present(kFieldKey, "key")) TQ_RETURN_IF_ERROR(ReadMsgpackValue(f, "key", &m->key));
  if (present(kFieldValue, "value")) TQ_RETURN_IF_ERROR(ReadMsgpackValue(f, "value", &m->value));
  if (present(kFieldExpect, "expect")) {
    std::string_view expect;
    TQ_RETURN_IF_ERROR(ReadMsgpackValue(f, "expect", &expect));
    m->expect = expect;
  }
  if (present(kFieldKeys, "keys")) TQ_RETURN_IF_ERROR(ReadValues(f, "keys", &m->keys));
  if (present(kFieldValues, "values")) TQ_RETURN_IF_ERROR(ReadValues(f, "values", &m->values));
  if (want(kFieldKeys) && m->keys.size() != m->values.size()) {
    return f.Error(ErrorCode::kBadValue, "fields 'keys' and 'values' must be as long");
  }
  if (present(kFieldIndex, "index")) TQ_RETURN_IF_ERROR(f.Int("index", &m->index, true));
  if (present(kFieldStop, "stop")) {
    std::int64_t stop = 0;
    TQ_RETURN_IF_ERROR(f.Int("stop", &stop, true));
    m->stop = stop;
  }
  if (present(kFieldBy, "by")) TQ_RETURN_IF_ERROR(f.Int("by", &m->by, true));
  if (present(kFieldTimeout, "timeout_ms")) {
    std::uint64_t ms = 0;
    TQ_RETURN_IF_ERROR(f.Uint("timeout_ms", &ms));
    if (ms > kMaxMs) return f.Error(ErrorCode::kBadValue, "durations may be at most a year");
    m->timeout_ms = ms;
  }
  if (present(kFieldCount, "count")) {
    TQ_RETURN_IF_ERROR(f.Uint("count", &m->count));
    if (m->count == 0 || m->count > kMaxObjectItems) {
      return f.Error(ErrorCode::kBadValue, "field 'count' must be 1 to 4096");
    }
  }
  if (present(kFieldCapacity, "capacity")) TQ_RETURN_IF_ERROR(f.Uint("capacity", &m->capacity));
  if (present(kFieldInitial, "initial")) {
    TQ_RETURN_IF_ERROR(f.Uint("initial", &m->initial));
    if (m->initial > 1000000000) {
      return f.Error(ErrorCode::kBadValue, "field 'initial' must be at most 1000000000");
    }
  }
  if (present(kFieldCursor, "cursor")) TQ_RETURN_IF_ERROR(f.Uint("cursor", &m->cursor));
  if (present(kFieldTask, "task")) TQ_RETURN_IF_ERROR(f.Uint("task", &m->task_id));
  return Status::Ok();
}

}  // namespace

std::string_view ObjectTypeName(ObjectType type) {
  return kTypeNames[static_cast<std::size_t>(type)];
}

std::string_view ObjectOpName(ObjectOp op) { return kOpNames[static_cast<std::size_t>(op)]; }

const ObjectOpRow* FindObjectOp(ObjectType type, ObjectOp op) {
  for (const ObjectOpRow& row : kObjectOps) {
    if (row.type == type && row.op == op) return &row;
  }
  return nullptr;
}

std::optional<ObjectOp> ParseObjectOp(ObjectType type, std::string_view name) {
  for (const ObjectOpRow& row : kObjectOps) {
    if (row.type == type && ObjectOpName(row.op) == name) return row.op;
  }
  return std::nullopt;
}

std::string ObjectOpNames(ObjectType type) {
  std::vector<std::string_view> names;
  for (const ObjectOpRow& row : kObjectOps) {
    if (row.type == type) names.push_back(ObjectOpName(row.op));
  }
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

Result<ClientMessage> DecodeObjectRequest(ObjectType type, Fields& f) {
  ObjectRequest m;
  m.type = type;
  TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
  TQ_RETURN_IF_ERROR(ReadObjectName(f, &m.name));
  std::string_view op;
  TQ_RETURN_IF_ERROR(f.Str("op", &op));
  const std::optional<ObjectOp> parsed = ParseObjectOp(type, op);
  if (!parsed) {
    return f.Error(ErrorCode::kBadValue, "field 'op' must be " + ObjectOpNames(type) +
                                             ", got '" + Fields::Printable(op) + "'");
  }
  m.op = *parsed;
  const ObjectOpRow& row = *FindObjectOp(type, m.op);
  TQ_RETURN_IF_ERROR(ReadObjectFields(f, row.required | row.optional, row.required, &m));
  return ClientMessage{std::move(m)};
}

Result<ClientMessage> DecodePipeRequest(bool close, Fields& f) {
  PipeMessage m;
  m.close = close;
  TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
  TQ_RETURN_IF_ERROR(ReadPipe(f, &m));
  return ClientMessage{m};
}

}  // namespace tq::proto
