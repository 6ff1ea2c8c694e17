// msgpack encoding and strict decoding of protocol v1 messages.
//
// Decoding unpacks into a zone the Decoder reuses, with limits on every
// container and string so a hostile frame cannot make msgpack-c allocate
// beyond them, and with a reference function so strings and bins point into
// the frame instead of being copied. Every msgpack-c exception stops here.
#include "tq/proto/codec.h"

#include <msgpack.hpp>

#include <array>
#include <cstdint>
#include <string>

namespace tq::proto {
namespace {

using Packer = msgpack::packer<Buffer>;

// ---- encoding -------------------------------------------------------------

void PackStr(Packer& pk, std::string_view s) {
  pk.pack_str(static_cast<std::uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

void PackBin(Packer& pk, std::string_view b) {
  pk.pack_bin(static_cast<std::uint32_t>(b.size()));
  pk.pack_bin_body(b.data(), static_cast<std::uint32_t>(b.size()));
}

// Starts a message map with its "v" and "kind" entries; `fields` counts the
// entries that follow.
void BeginMessage(Packer& pk, std::string_view kind, std::uint32_t fields) {
  pk.pack_map(fields + 2);
  PackStr(pk, "v");
  pk.pack_uint32(kProtocolVersion);
  PackStr(pk, "kind");
  PackStr(pk, kind);
}

void PackUint(Packer& pk, std::string_view key, std::uint64_t v) {
  PackStr(pk, key);
  pk.pack_uint64(v);
}

void PackStrField(Packer& pk, std::string_view key, std::string_view v) {
  PackStr(pk, key);
  PackStr(pk, v);
}

void PackTrue(Packer& pk, std::string_view key) {
  PackStr(pk, key);
  pk.pack_true();
}

void PackInt(Packer& pk, std::string_view key, std::int64_t v) {
  PackStr(pk, key);
  pk.pack_int64(v);
}

// An error map: type and message, then only the cause fields that are set.
void PackError(Packer& pk, const ErrorInfo& e) {
  const std::uint32_t n = 2 + !e.cause.empty() + (e.pid != 0) +
                          e.exit_code.has_value() + e.signal.has_value() +
                          (e.rss_bytes != 0) + (e.timeout_ms != 0) +
                          !e.stack.empty();
  pk.pack_map(n);
  PackStrField(pk, "type", e.type);
  PackStrField(pk, "message", e.message);
  if (!e.cause.empty()) PackStrField(pk, "cause", e.cause);
  if (e.pid != 0) PackUint(pk, "pid", e.pid);
  if (e.exit_code) PackInt(pk, "exit_code", *e.exit_code);
  if (e.signal) PackInt(pk, "signal", *e.signal);
  if (e.rss_bytes != 0) PackUint(pk, "rss_bytes", e.rss_bytes);
  if (e.timeout_ms != 0) PackUint(pk, "timeout_ms", e.timeout_ms);
  if (!e.stack.empty()) PackStrField(pk, "stack", e.stack);
}

void PackOutcome(Packer& pk, TaskState state, std::string_view value,
                 const ErrorInfo& error) {
  PackStrField(pk, "state", TaskStateName(state));
  if (state == TaskState::kDone) {
    PackStr(pk, "value");
    PackBin(pk, value);
  } else {
    PackStr(pk, "error");
    PackError(pk, error);
  }
}

// ---- decoding -------------------------------------------------------------

std::string_view TypeName(const msgpack::object& o) {
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

std::string_view View(const msgpack::object& o) {
  return o.type == msgpack::type::STR
             ? std::string_view(o.via.str.ptr, o.via.str.size)
             : std::string_view(o.via.bin.ptr, o.via.bin.size);
}

// Well-formed UTF-8 without control characters: safe to echo in sentences,
// logs and JSON.
bool IsPrintableUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned c = *p;
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++p;
      continue;
    }
    int extra = 0;
    std::uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) { extra = 1; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { extra = 2; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { extra = 3; cp = c & 0x07; }
    else return false;
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    p += extra + 1;
  }
  return true;
}

// The fields of one msgpack map, looked up by name. Remembers which were
// read so that anything else can be reported as unknown.
class Fields {
 public:
  // Also the unpack limit on map sizes, which is what guarantees that
  // used_ below is big enough for any map that gets this far.
  static constexpr std::size_t kMaxFields = 16;

  Fields(std::string_view context, const msgpack::object& map)
      : context_(context), map_(map) {}

  Status Init() {
    // The unpack limit already caps maps at kMaxFields entries.
    const auto& m = map_.via.map;
    for (std::uint32_t i = 0; i < m.size; ++i) {
      const msgpack::object& key = m.ptr[i].key;
      if (key.type != msgpack::type::STR) {
        return Error(ErrorCode::kMalformed, "field names must be strings, got " +
                                                std::string(TypeName(key)));
      }
      for (std::uint32_t j = 0; j < i; ++j) {
        if (View(m.ptr[j].key) == View(key)) {
          return Error(ErrorCode::kMalformed,
                       "field '" + Printable(View(key)) + "' appears twice");
        }
      }
    }
    return Status::Ok();
  }

  const msgpack::object* Find(std::string_view key) {
    const auto& m = map_.via.map;
    for (std::uint32_t i = 0; i < m.size; ++i) {
      if (View(m.ptr[i].key) == key) {
        used_[i] = true;
        return &m.ptr[i].val;
      }
    }
    return nullptr;
  }

  Status Uint(std::string_view key, std::uint64_t* out) {
    const msgpack::object* o = Find(key);
    if (o == nullptr) return Missing(key);
    if (o->type != msgpack::type::POSITIVE_INTEGER) {
      return WrongType(key, "a non-negative integer", *o);
    }
    *out = o->via.u64;
    return Status::Ok();
  }

  // Leaves *out alone when the field is absent and !required.
  Status OptUint(std::string_view key, std::uint64_t* out) {
    if (Find(key) == nullptr) return Status::Ok();
    return Uint(key, out);
  }

  Status Int(std::string_view key, std::int64_t* out, bool required) {
    const msgpack::object* o = Find(key);
    if (o == nullptr) return required ? Missing(key) : Status::Ok();
    if (o->type == msgpack::type::POSITIVE_INTEGER) {
      if (o->via.u64 > static_cast<std::uint64_t>(INT64_MAX)) {
        return Error(ErrorCode::kBadValue, "field '" + std::string(key) + "' is too large");
      }
      *out = static_cast<std::int64_t>(o->via.u64);
    } else if (o->type == msgpack::type::NEGATIVE_INTEGER) {
      *out = o->via.i64;
    } else {
      return WrongType(key, "an integer", *o);
    }
    return Status::Ok();
  }

  // An int or a float, as a double.
  Status Number(std::string_view key, double* out) {
    const msgpack::object* o = Find(key);
    if (o == nullptr) return Missing(key);
    switch (o->type) {
      case msgpack::type::POSITIVE_INTEGER: *out = static_cast<double>(o->via.u64); break;
      case msgpack::type::NEGATIVE_INTEGER: *out = static_cast<double>(o->via.i64); break;
      case msgpack::type::FLOAT32:
      case msgpack::type::FLOAT64: *out = o->via.f64; break;
      default: return WrongType(key, "a number", *o);
    }
    return Status::Ok();
  }

  Status Bool(std::string_view key, bool* out) {
    const msgpack::object* o = Find(key);
    if (o == nullptr) return Status::Ok();
    if (o->type != msgpack::type::BOOLEAN) return WrongType(key, "a bool", *o);
    *out = o->via.boolean;
    return Status::Ok();
  }

  Status Str(std::string_view key, std::string_view* out,
             bool required = true) {
    const msgpack::object* o = Find(key);
    if (o == nullptr) return required ? Missing(key) : Status::Ok();
    if (o->type != msgpack::type::STR) return WrongType(key, "a string", *o);
    *out = View(*o);
    return Status::Ok();
  }

  Status Bin(std::string_view key, std::string_view* out, bool required,
             std::string_view what) {
    const msgpack::object* o = Find(key);
    if (o == nullptr) return required ? Missing(key) : Status::Ok();
    if (o->type != msgpack::type::BIN) return WrongType(key, what, *o);
    *out = View(*o);
    return Status::Ok();
  }

  // Reads a non-zero request id into *out.
  Status RequestId(std::uint64_t* out) {
    TQ_RETURN_IF_ERROR(Uint("req", out));
    if (*out == 0) return Error(ErrorCode::kBadValue, "field 'req' must be non-zero");
    return Status::Ok();
  }

  Status NoUnknownFields() const {
    const auto& m = map_.via.map;
    for (std::uint32_t i = 0; i < m.size; ++i) {
      if (!used_[i]) {
        return Error(ErrorCode::kUnknownField,
                     "unknown field '" + Printable(View(m.ptr[i].key)) + "'");
      }
    }
    return Status::Ok();
  }

  Status Error(ErrorCode code, const std::string& what) const {
    return Status(code, std::string(context_) + ": " + what);
  }

  // Echoes a peer's string in a sentence only when it is printable.
  static std::string Printable(std::string_view s) {
    if (s.size() <= 64 && IsPrintableUtf8(s)) return std::string(s);
    // Appended rather than "<" + std::to_string(...): GCC 12 at -O3 warns
    // of an overlapping copy there (a false -Wrestrict).
    std::string out = "<";
    out += std::to_string(s.size());
    out += " bytes, not printable>";
    return out;
  }

 private:
  Status Missing(std::string_view key) const {
    return Error(ErrorCode::kMissingField,
                 "missing field '" + std::string(key) + "'");
  }
  Status WrongType(std::string_view key, std::string_view want,
                   const msgpack::object& got) const {
    return Error(ErrorCode::kWrongType, "field '" + std::string(key) +
                                            "' must be " + std::string(want) +
                                            ", got " + std::string(TypeName(got)));
  }

  std::string_view context_;
  const msgpack::object& map_;
  std::array<bool, kMaxFields> used_{};
};

Status ReadFunctionName(Fields& f, std::string_view* fn) {
  TQ_RETURN_IF_ERROR(f.Str("fn", fn));
  if (fn->empty() || fn->size() > kMaxFunctionNameBytes ||
      !IsPrintableUtf8(*fn)) {
    return f.Error(ErrorCode::kBadValue,
                   "field 'fn' must be 1 to 128 bytes of printable UTF-8");
  }
  return Status::Ok();
}

Status ReadArgs(Fields& f, const Limits& limits, std::string_view* args) {
  TQ_RETURN_IF_ERROR(
      f.Bin("args", args, false, "a bin holding a msgpack-encoded array"));
  if (args->size() > limits.max_args_bytes) {
    return f.Error(ErrorCode::kTooLarge,
                   "field 'args' is " + std::to_string(args->size()) +
                       " bytes; the limit is " +
                       std::to_string(limits.max_args_bytes));
  }
  if (!args->empty()) {
    // Only the header: the worker validates the elements against the
    // function's signature.
    const auto b = static_cast<unsigned char>((*args)[0]);
    if (!((b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd)) {
      return f.Error(ErrorCode::kBadValue,
                     "field 'args' must encode a msgpack array");
    }
  }
  return Status::Ok();
}

Status ReadSubmitOptions(Fields& f, SubmitRequest* m) {
  std::int64_t priority = 0;
  TQ_RETURN_IF_ERROR(f.Int("priority", &priority, false));
  if (priority < -1000 || priority > 1000) {
    return f.Error(ErrorCode::kBadValue, "field 'priority' must be in -1000..1000");
  }
  m->priority = static_cast<std::int32_t>(priority);
  TQ_RETURN_IF_ERROR(f.OptUint("timeout_ms", &m->timeout_ms));
  TQ_RETURN_IF_ERROR(f.OptUint("delay_ms", &m->delay_ms));
  TQ_RETURN_IF_ERROR(f.OptUint("retry_backoff_ms", &m->retry_backoff_ms));
  constexpr std::uint64_t kMaxMs = 366ull * 24 * 3600 * 1000;  // a year
  if (m->timeout_ms > kMaxMs || m->delay_ms > kMaxMs || m->retry_backoff_ms > kMaxMs) {
    return f.Error(ErrorCode::kBadValue, "durations may be at most a year");
  }
  std::uint64_t retries = 0;
  TQ_RETURN_IF_ERROR(f.OptUint("max_retries", &retries));
  if (retries > 100) {
    return f.Error(ErrorCode::kBadValue, "field 'max_retries' must be at most 100");
  }
  m->max_retries = static_cast<std::uint32_t>(retries);
  if (const msgpack::object* o = f.Find("retry_on")) {
    if (o->type != msgpack::type::ARRAY) {
      return f.Error(ErrorCode::kWrongType, "field 'retry_on' must be an array of states");
    }
    for (std::uint32_t i = 0; i < o->via.array.size; ++i) {
      const msgpack::object& s = o->via.array.ptr[i];
      const std::string_view name = s.type == msgpack::type::STR ? View(s) : "";
      if (name == "failed") m->retry_on |= kRetryFailed;
      else if (name == "lost") m->retry_on |= kRetryLost;
      else if (name == "timed_out") m->retry_on |= kRetryTimedOut;
      else {
        return f.Error(ErrorCode::kBadValue,
                       "field 'retry_on' may hold only \"failed\", \"lost\" and \"timed_out\"");
      }
    }
  }
  TQ_RETURN_IF_ERROR(f.Str("key", &m->key, false));
  if (f.Find("key") != nullptr &&
      (m->key.empty() || m->key.size() > 256 || !IsPrintableUtf8(m->key))) {
    return f.Error(ErrorCode::kBadValue, "field 'key' must be 1 to 256 bytes of printable UTF-8");
  }
  return f.Bool("chunk", &m->chunk);
}

Status ReadErrorInfo(Fields& f, ErrorInfo* error) {
  const msgpack::object* o = f.Find("error");
  if (o == nullptr) return f.Error(ErrorCode::kMissingField, "missing field 'error'");
  if (o->type != msgpack::type::MAP) {
    return f.Error(ErrorCode::kWrongType, "field 'error' must be a map, got " +
                                              std::string(TypeName(*o)));
  }
  Fields e("error", *o);
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
  if (error->type.size() > kMaxErrorTextBytes ||
      error->message.size() > kMaxErrorTextBytes ||
      error->stack.size() > kMaxErrorTextBytes) {
    return e.Error(ErrorCode::kTooLarge, "type, message or stack longer than 64 KiB");
  }
  return e.NoUnknownFields();
}

// Reads "state" and then "value" or "error"; `allowed` says which states
// this message may carry.
template <typename Pred>
Status ReadOutcome(Fields& f, const Limits& limits, Pred allowed,
                   TaskState* state, std::string_view* value,
                   ErrorInfo* error) {
  std::string_view name;
  TQ_RETURN_IF_ERROR(f.Str("state", &name));
  const std::optional<TaskState> s = ParseTaskState(name);
  if (!s || !allowed(*s)) {
    return f.Error(ErrorCode::kBadValue,
                   "field 'state' may not be '" + Fields::Printable(name) + "'");
  }
  *state = *s;
  if (*s == TaskState::kDone) {
    TQ_RETURN_IF_ERROR(f.Bin("value", value, true, "a bin holding a msgpack value"));
    if (value->empty()) {
      return f.Error(ErrorCode::kBadValue, "field 'value' must hold a msgpack value");
    }
    if (value->size() > limits.max_result_bytes) {
      return f.Error(ErrorCode::kTooLarge,
                     "field 'value' is " + std::to_string(value->size()) +
                         " bytes; the limit is " +
                         std::to_string(limits.max_result_bytes));
    }
    return Status::Ok();
  }
  return ReadErrorInfo(f, error);
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

}  // namespace

// ---- Encode ----------------------------------------------------------------

void Encode(const SubmitRequest& m, Buffer& out) {
  Packer pk(out);
  const std::uint32_t options = (m.priority != 0) + (m.timeout_ms != 0) +
                                (m.delay_ms != 0) + (m.max_retries != 0) +
                                (m.retry_on != 0) + (m.retry_backoff_ms != 0) +
                                !m.key.empty() + m.chunk;
  BeginMessage(pk, "submit", 3 + options);
  PackUint(pk, "req", m.request_id);
  if (m.priority != 0) PackInt(pk, "priority", m.priority);
  if (m.timeout_ms != 0) PackUint(pk, "timeout_ms", m.timeout_ms);
  if (m.delay_ms != 0) PackUint(pk, "delay_ms", m.delay_ms);
  if (m.max_retries != 0) PackUint(pk, "max_retries", m.max_retries);
  if (m.retry_on != 0) {
    PackStr(pk, "retry_on");
    const std::uint32_t n = ((m.retry_on & kRetryFailed) != 0) +
                            ((m.retry_on & kRetryLost) != 0) +
                            ((m.retry_on & kRetryTimedOut) != 0);
    pk.pack_array(n);
    if (m.retry_on & kRetryFailed) PackStr(pk, "failed");
    if (m.retry_on & kRetryLost) PackStr(pk, "lost");
    if (m.retry_on & kRetryTimedOut) PackStr(pk, "timed_out");
  }
  if (m.retry_backoff_ms != 0) PackUint(pk, "retry_backoff_ms", m.retry_backoff_ms);
  if (!m.key.empty()) PackStrField(pk, "key", m.key);
  if (m.chunk) PackTrue(pk, "chunk");
  PackStrField(pk, "fn", m.fn);
  PackStr(pk, "args");
  if (m.args.empty()) {
    static constexpr char kEmptyArray = '\x90';
    PackBin(pk, std::string_view(&kEmptyArray, 1));
  } else {
    PackBin(pk, m.args);
  }
}

void Encode(const TaskRequest& m, Buffer& out) {
  Packer pk(out);
  BeginMessage(pk, TaskVerbName(m.verb), 2);
  PackUint(pk, "req", m.request_id);
  PackUint(pk, "task", m.task_id);
}

void Encode(const ListRequest& m, Buffer& out) {
  Packer pk(out);
  BeginMessage(pk, m.what == Listing::kWorkers ? "workers" : "stats", 1);
  PackUint(pk, "req", m.request_id);
}

void Encode(const TaskProgress& m, Buffer& out) {
  Packer pk(out);
  BeginMessage(pk, "progress", 3 + (m.request_id != 0) + !m.message.empty());
  if (m.request_id != 0) PackUint(pk, "req", m.request_id);
  PackUint(pk, "task", m.task_id);
  PackStr(pk, "done");
  pk.pack_double(m.done);
  PackStr(pk, "total");
  pk.pack_double(m.total);
  if (!m.message.empty()) PackStrField(pk, "message", m.message);
}

void Encode(const WorkersReply& m, Buffer& out) {
  Packer pk(out);
  BeginMessage(pk, "worker_list", 2);
  PackUint(pk, "req", m.request_id);
  PackStr(pk, "workers");
  pk.pack_array(static_cast<std::uint32_t>(m.workers.size()));
  for (const WorkerInfo& w : m.workers) {
    pk.pack_map(8);
    PackUint(pk, "slot", w.slot);
    PackUint(pk, "pid", w.pid);
    PackStrField(pk, "state", w.state);
    PackUint(pk, "task", w.task_id);
    PackStrField(pk, "fn", w.fn);
    PackUint(pk, "tasks_done", w.tasks_done);
    PackUint(pk, "uptime_ms", w.uptime_ms);
    PackUint(pk, "rss_bytes", w.rss_bytes);
  }
}

void Encode(const StatsReply& m, Buffer& out) {
  Packer pk(out);
  BeginMessage(pk, "queue_stats", 11);
  PackUint(pk, "req", m.request_id);
  PackUint(pk, "queued", m.queued);
  PackUint(pk, "running", m.running);
  PackUint(pk, "workers", m.workers);
  PackUint(pk, "done", m.done);
  PackUint(pk, "failed", m.failed);
  PackUint(pk, "timed_out", m.timed_out);
  PackUint(pk, "cancelled", m.cancelled);
  PackUint(pk, "lost", m.lost);
  PackUint(pk, "buried", m.buried);
  PackStr(pk, "recent");
  pk.pack_array(static_cast<std::uint32_t>(m.recent.size()));
  for (const RecentTask& t : m.recent) {
    pk.pack_map(6);
    PackUint(pk, "task", t.task_id);
    PackStrField(pk, "fn", t.fn);
    PackStrField(pk, "state", TaskStateName(t.state));
    PackUint(pk, "attempts", t.attempts);
    PackInt(pk, "queued_at_ms", t.queued_at_ms);
    PackInt(pk, "finished_at_ms", t.finished_at_ms);
  }
}

void Encode(const PingRequest& m, Buffer& out) {
  Packer pk(out);
  BeginMessage(pk, "ping", 1);
  PackUint(pk, "req", m.request_id);
}

void Encode(const Accepted& m, Buffer& out) {
  Packer pk(out);
  BeginMessage(pk, "accepted", 2 + m.duplicate);
  PackUint(pk, "req", m.request_id);
  PackUint(pk, "task", m.task_id);
  if (m.duplicate) {
    PackStr(pk, "duplicate");
    pk.pack_true();
  }
}

void Encode(const TaskResult& m, Buffer& out) {
  Packer pk(out);
  BeginMessage(pk, "result", 5);
  PackUint(pk, "req", m.request_id);
  PackUint(pk, "task", m.task_id);
  PackUint(pk, "attempts", m.attempts);
  PackOutcome(pk, m.state, m.value, m.error);
}

void Encode(const TaskStatus& m, Buffer& out) {
  Packer pk(out);
  BeginMessage(pk, "task_status", 10 + m.error.has_value());
  PackUint(pk, "req", m.request_id);
  PackUint(pk, "task", m.task_id);
  PackStrField(pk, "state", TaskStateName(m.state));
  PackStrField(pk, "fn", m.fn);
  PackInt(pk, "priority", m.priority);
  PackUint(pk, "attempts", m.attempts);
  PackUint(pk, "worker_pid", m.worker_pid);
  PackInt(pk, "queued_at_ms", m.queued_at_ms);
  PackInt(pk, "started_at_ms", m.started_at_ms);
  PackInt(pk, "finished_at_ms", m.finished_at_ms);
  if (m.error) {
    PackStr(pk, "error");
    PackError(pk, *m.error);
  }
}

void Encode(const ErrorReply& m, Buffer& out) {
  Packer pk(out);
  BeginMessage(pk, "error", 3);
  PackUint(pk, "req", m.request_id);
  PackStrField(pk, "code", m.code);
  PackStrField(pk, "message", m.message);
}

void Encode(const Pong& m, Buffer& out) {
  Packer pk(out);
  BeginMessage(pk, "pong", 4);
  PackUint(pk, "req", m.request_id);
  PackStrField(pk, "server", m.server);
  PackUint(pk, "pid", m.pid);
  PackUint(pk, "workers", m.workers);
}

void Encode(const WorkerHello& m, Buffer& out) {
  Packer pk(out);
  BeginMessage(pk, "hello", 2);
  PackUint(pk, "pid", m.pid);
  PackStr(pk, "fns");
  pk.pack_array(static_cast<std::uint32_t>(m.functions.size()));
  for (std::string_view fn : m.functions) PackStr(pk, fn);
}

void Encode(const TaskAssignment& m, Buffer& out) {
  Packer pk(out);
  BeginMessage(pk, "task", 3 + m.chunk);
  PackUint(pk, "task", m.task_id);
  if (m.chunk) PackTrue(pk, "chunk");
  PackStrField(pk, "fn", m.fn);
  PackStr(pk, "args");
  PackBin(pk, m.args);
}

void Encode(const WorkerResult& m, Buffer& out) {
  Packer pk(out);
  BeginMessage(pk, "result", 3);
  PackUint(pk, "task", m.task_id);
  PackOutcome(pk, m.state, m.value, m.error);
}

void EncodeError(std::uint64_t request_id, const Status& status, Buffer& out) {
  Encode(ErrorReply{request_id, ErrorCodeName(status.code()), status.message()},
         out);
}

// ---- Decoder ---------------------------------------------------------------

class Decoder::Impl {
 public:
  explicit Impl(const Limits& limits)
      : relaxed_limits_(kMaxFunctions, Fields::kMaxFields,
                        limits.max_message_bytes, limits.max_message_bytes, 0,
                        // Listings from tqd hold arrays of maps.
                        /*depth=*/3),
        unpack_limits_(/*array=*/kMaxFunctions, /*map=*/Fields::kMaxFields,
                       /*str=*/limits.max_message_bytes,
                       /*bin=*/limits.max_message_bytes, /*ext=*/0,
                       // No message nests deeper than its map holding one
                       // array or map; each level lets msgpack-c reserve 24
                       // bytes per claimed element before the elements come.
                       /*depth=*/2),
        max_message_bytes_(limits.max_message_bytes) {}

  // Parses `frame` as one msgpack map and checks "v"; on success *kind is
  // the message kind and *fields reads the rest.
  Status Open(std::string_view frame, std::string_view* kind,
              const msgpack::object** root, std::uint64_t* request_id,
              bool relaxed = false) {
    if (frame.empty()) return {ErrorCode::kMalformed, "empty frame"};
    if (frame.size() > max_message_bytes_) {
      return {ErrorCode::kTooLarge,
              "frame is " + std::to_string(frame.size()) +
                  " bytes; the limit is " + std::to_string(max_message_bytes_)};
    }
    zone_.clear();
    std::size_t off = 0;
    try {
      bool referenced = false;
      obj_ = msgpack::unpack(zone_, frame.data(), frame.size(), off,
                             referenced, &AlwaysReference, nullptr,
                             relaxed ? relaxed_limits_ : unpack_limits_);
    } catch (const msgpack::insufficient_bytes&) {
      return {ErrorCode::kMalformed, "truncated msgpack value"};
    } catch (const msgpack::size_overflow& e) {
      return {ErrorCode::kMalformed,
              std::string("msgpack value beyond limits (") + e.what() + ")"};
    } catch (const std::exception& e) {
      return {ErrorCode::kMalformed,
              std::string("invalid msgpack (") + e.what() + ")"};
    }
    if (off != frame.size()) {
      return {ErrorCode::kMalformed, "trailing bytes after the msgpack value"};
    }
    if (obj_.type != msgpack::type::MAP) {
      return {ErrorCode::kMalformed,
              "message must be a msgpack map, got " + std::string(TypeName(obj_))};
    }
    *root = &obj_;
    Fields f("message", obj_);
    TQ_RETURN_IF_ERROR(f.Init());
    // Noted before anything else can fail, to address the error reply.
    if (const msgpack::object* r = f.Find("req");
        r != nullptr && r->type == msgpack::type::POSITIVE_INTEGER) {
      *request_id = r->via.u64;
    }
    const msgpack::object* v = f.Find("v");
    if (v == nullptr) {
      return {ErrorCode::kBadVersion, "missing field 'v' (protocol version)"};
    }
    if (v->type != msgpack::type::POSITIVE_INTEGER ||
        v->via.u64 != kProtocolVersion) {
      return {ErrorCode::kBadVersion,
              "protocol version must be 1 (field 'v'), this peer speaks only 1"};
    }
    TQ_RETURN_IF_ERROR(f.Str("kind", kind));
    return Status::Ok();
  }

 private:
  static bool AlwaysReference(msgpack::type::object_type, std::size_t,
                              void*) {
    return true;  // strings and bins point into the caller's frame
  }

  msgpack::unpack_limit relaxed_limits_;  // what tqd sends clients
  msgpack::unpack_limit unpack_limits_;   // what peers send tqd
  std::size_t max_message_bytes_;
  msgpack::zone zone_;
  msgpack::object obj_;
};

Decoder::Decoder(Limits limits)
    : limits_(limits), impl_(std::make_unique<Impl>(limits)) {}
Decoder::~Decoder() = default;

namespace {

Status UnknownKind(std::string_view kind, std::string_view expected) {
  return {ErrorCode::kUnknownKind, "unknown message kind '" +
                                       Fields::Printable(kind) +
                                       "'; expected " + std::string(expected)};
}

// Fields of the message, minus "v" and "kind" which Open() checked.
Fields MessageFields(std::string_view context, const msgpack::object& root) {
  Fields f(context, root);
  (void)f.Init();  // Open() already validated the keys
  f.Find("v");
  f.Find("kind");
  return f;
}

}  // namespace

Result<ClientMessage> Decoder::DecodeClient(std::string_view frame) {
  last_request_id_ = 0;
  std::string_view kind;
  const msgpack::object* root = nullptr;
  TQ_RETURN_IF_ERROR(impl_->Open(frame, &kind, &root, &last_request_id_));
  if (kind == "submit") {
    Fields f = MessageFields("submit", *root);
    SubmitRequest m;
    TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
    TQ_RETURN_IF_ERROR(ReadFunctionName(f, &m.fn));
    TQ_RETURN_IF_ERROR(ReadArgs(f, limits_, &m.args));
    TQ_RETURN_IF_ERROR(ReadSubmitOptions(f, &m));
    TQ_RETURN_IF_ERROR(f.NoUnknownFields());
    return ClientMessage{m};
  }
  if (kind == "ping") {
    Fields f = MessageFields("ping", *root);
    PingRequest m;
    TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
    TQ_RETURN_IF_ERROR(f.NoUnknownFields());
    return ClientMessage{m};
  }
  for (TaskVerb verb : {TaskVerb::kCancel, TaskVerb::kKick, TaskVerb::kStatus,
                        TaskVerb::kWait}) {
    if (kind != TaskVerbName(verb)) continue;
    Fields f = MessageFields(TaskVerbName(verb), *root);
    TaskRequest m;
    m.verb = verb;
    TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
    TQ_RETURN_IF_ERROR(f.Uint("task", &m.task_id));
    TQ_RETURN_IF_ERROR(f.NoUnknownFields());
    return ClientMessage{m};
  }
  for (Listing what : {Listing::kWorkers, Listing::kStats}) {
    const std::string_view name = what == Listing::kWorkers ? "workers" : "stats";
    if (kind != name) continue;
    Fields f = MessageFields(name, *root);
    ListRequest m;
    m.what = what;
    TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
    TQ_RETURN_IF_ERROR(f.NoUnknownFields());
    return ClientMessage{m};
  }
  return UnknownKind(kind,
                     "'submit', 'ping', 'cancel', 'kick', 'status', 'wait', "
                     "'workers' or 'stats'");
}

Result<DaemonMessage> Decoder::DecodeDaemon(std::string_view frame) {
  last_request_id_ = 0;
  std::string_view kind;
  const msgpack::object* root = nullptr;
  TQ_RETURN_IF_ERROR(
      impl_->Open(frame, &kind, &root, &last_request_id_, /*relaxed=*/true));
  if (kind == "progress") {
    Fields f = MessageFields("progress", *root);
    TaskProgress m;
    TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
    TQ_RETURN_IF_ERROR(ReadProgress(f, &m));
    TQ_RETURN_IF_ERROR(f.NoUnknownFields());
    return DaemonMessage{m};
  }
  if (kind == "worker_list") {
    Fields f = MessageFields("worker_list", *root);
    WorkersReply m;
    TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
    const msgpack::object* list = f.Find("workers");
    if (list == nullptr || list->type != msgpack::type::ARRAY) {
      return f.Error(ErrorCode::kWrongType, "field 'workers' must be an array");
    }
    for (std::uint32_t i = 0; i < list->via.array.size; ++i) {
      const msgpack::object& o = list->via.array.ptr[i];
      if (o.type != msgpack::type::MAP) {
        return f.Error(ErrorCode::kWrongType, "each worker must be a map");
      }
      Fields w("worker", o);
      TQ_RETURN_IF_ERROR(w.Init());
      WorkerInfo info;
      std::uint64_t slot = 0, pid = 0;
      TQ_RETURN_IF_ERROR(w.Uint("slot", &slot));
      TQ_RETURN_IF_ERROR(w.Uint("pid", &pid));
      info.slot = static_cast<std::uint32_t>(slot);
      info.pid = static_cast<std::uint32_t>(pid);
      TQ_RETURN_IF_ERROR(w.Str("state", &info.state));
      TQ_RETURN_IF_ERROR(w.Uint("task", &info.task_id));
      TQ_RETURN_IF_ERROR(w.Str("fn", &info.fn));
      TQ_RETURN_IF_ERROR(w.Uint("tasks_done", &info.tasks_done));
      TQ_RETURN_IF_ERROR(w.Uint("uptime_ms", &info.uptime_ms));
      TQ_RETURN_IF_ERROR(w.Uint("rss_bytes", &info.rss_bytes));
      TQ_RETURN_IF_ERROR(w.NoUnknownFields());
      m.workers.push_back(info);
    }
    TQ_RETURN_IF_ERROR(f.NoUnknownFields());
    return DaemonMessage{std::move(m)};
  }
  if (kind == "queue_stats") {
    Fields f = MessageFields("queue_stats", *root);
    StatsReply m;
    TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
    std::uint64_t workers = 0;
    TQ_RETURN_IF_ERROR(f.Uint("queued", &m.queued));
    TQ_RETURN_IF_ERROR(f.Uint("running", &m.running));
    TQ_RETURN_IF_ERROR(f.Uint("workers", &workers));
    m.workers = static_cast<std::uint32_t>(workers);
    TQ_RETURN_IF_ERROR(f.Uint("done", &m.done));
    TQ_RETURN_IF_ERROR(f.Uint("failed", &m.failed));
    TQ_RETURN_IF_ERROR(f.Uint("timed_out", &m.timed_out));
    TQ_RETURN_IF_ERROR(f.Uint("cancelled", &m.cancelled));
    TQ_RETURN_IF_ERROR(f.Uint("lost", &m.lost));
    TQ_RETURN_IF_ERROR(f.Uint("buried", &m.buried));
    const msgpack::object* list = f.Find("recent");
    if (list == nullptr || list->type != msgpack::type::ARRAY) {
      return f.Error(ErrorCode::kWrongType, "field 'recent' must be an array");
    }
    for (std::uint32_t i = 0; i < list->via.array.size; ++i) {
      const msgpack::object& o = list->via.array.ptr[i];
      if (o.type != msgpack::type::MAP) {
        return f.Error(ErrorCode::kWrongType, "each recent task must be a map");
      }
      Fields t("recent", o);
      TQ_RETURN_IF_ERROR(t.Init());
      RecentTask r;
      std::uint64_t attempts = 0;
      std::string_view state;
      TQ_RETURN_IF_ERROR(t.Uint("task", &r.task_id));
      TQ_RETURN_IF_ERROR(t.Str("fn", &r.fn));
      TQ_RETURN_IF_ERROR(t.Str("state", &state));
      const auto parsed = ParseTaskState(state);
      if (!parsed) return t.Error(ErrorCode::kBadValue, "unknown state");
      r.state = *parsed;
      TQ_RETURN_IF_ERROR(t.Uint("attempts", &attempts));
      r.attempts = static_cast<std::uint32_t>(attempts);
      TQ_RETURN_IF_ERROR(t.Int("queued_at_ms", &r.queued_at_ms, true));
      TQ_RETURN_IF_ERROR(t.Int("finished_at_ms", &r.finished_at_ms, true));
      TQ_RETURN_IF_ERROR(t.NoUnknownFields());
      m.recent.push_back(r);
    }
    TQ_RETURN_IF_ERROR(f.NoUnknownFields());
    return DaemonMessage{std::move(m)};
  }
  if (kind == "accepted") {
    Fields f = MessageFields("accepted", *root);
    Accepted m;
    TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
    TQ_RETURN_IF_ERROR(f.Uint("task", &m.task_id));
    TQ_RETURN_IF_ERROR(f.Bool("duplicate", &m.duplicate));
    TQ_RETURN_IF_ERROR(f.NoUnknownFields());
    return DaemonMessage{m};
  }
  if (kind == "task_status") {
    Fields f = MessageFields("task_status", *root);
    TaskStatus m;
    TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
    TQ_RETURN_IF_ERROR(f.Uint("task", &m.task_id));
    std::string_view state;
    TQ_RETURN_IF_ERROR(f.Str("state", &state));
    const auto parsed = ParseTaskState(state);
    if (!parsed) return f.Error(ErrorCode::kBadValue, "unknown state");
    m.state = *parsed;
    TQ_RETURN_IF_ERROR(f.Str("fn", &m.fn));
    std::int64_t priority = 0;
    TQ_RETURN_IF_ERROR(f.Int("priority", &priority, true));
    m.priority = static_cast<std::int32_t>(priority);
    std::uint64_t attempts = 0, pid = 0;
    TQ_RETURN_IF_ERROR(f.Uint("attempts", &attempts));
    TQ_RETURN_IF_ERROR(f.Uint("worker_pid", &pid));
    m.attempts = static_cast<std::uint32_t>(attempts);
    m.worker_pid = static_cast<std::uint32_t>(pid);
    TQ_RETURN_IF_ERROR(f.Int("queued_at_ms", &m.queued_at_ms, true));
    TQ_RETURN_IF_ERROR(f.Int("started_at_ms", &m.started_at_ms, true));
    TQ_RETURN_IF_ERROR(f.Int("finished_at_ms", &m.finished_at_ms, true));
    if (f.Find("error") != nullptr) {
      m.error.emplace();
      TQ_RETURN_IF_ERROR(ReadErrorInfo(f, &*m.error));
    }
    TQ_RETURN_IF_ERROR(f.NoUnknownFields());
    return DaemonMessage{m};
  }
  if (kind == "result") {
    Fields f = MessageFields("result", *root);
    TaskResult m;
    TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
    TQ_RETURN_IF_ERROR(f.Uint("task", &m.task_id));
    std::uint64_t attempts = 0;
    TQ_RETURN_IF_ERROR(f.OptUint("attempts", &attempts));
    m.attempts = static_cast<std::uint32_t>(attempts);
    TQ_RETURN_IF_ERROR(ReadOutcome(f, limits_, IsFinal, &m.state, &m.value, &m.error));
    TQ_RETURN_IF_ERROR(f.NoUnknownFields());
    return DaemonMessage{m};
  }
  if (kind == "error") {
    Fields f = MessageFields("error", *root);
    ErrorReply m;
    // An error about an unreadable request carries req 0.
    TQ_RETURN_IF_ERROR(f.Uint("req", &m.request_id));
    TQ_RETURN_IF_ERROR(f.Str("code", &m.code));
    TQ_RETURN_IF_ERROR(f.Str("message", &m.message));
    TQ_RETURN_IF_ERROR(f.NoUnknownFields());
    return DaemonMessage{m};
  }
  if (kind == "pong") {
    Fields f = MessageFields("pong", *root);
    Pong m;
    std::uint64_t pid = 0;
    std::uint64_t workers = 0;
    TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
    TQ_RETURN_IF_ERROR(f.Str("server", &m.server));
    TQ_RETURN_IF_ERROR(f.Uint("pid", &pid));
    TQ_RETURN_IF_ERROR(f.Uint("workers", &workers));
    TQ_RETURN_IF_ERROR(f.NoUnknownFields());
    if (pid > UINT32_MAX || workers > UINT32_MAX) {
      return f.Error(ErrorCode::kBadValue, "fields 'pid' and 'workers' must fit 32 bits");
    }
    m.pid = static_cast<std::uint32_t>(pid);
    m.workers = static_cast<std::uint32_t>(workers);
    return DaemonMessage{m};
  }
  return UnknownKind(kind,
                     "'accepted', 'result', 'task_status', 'progress', "
                     "'worker_list', 'queue_stats', 'error' or 'pong'");
}

Result<WorkerMessage> Decoder::DecodeFromWorker(std::string_view frame) {
  last_request_id_ = 0;
  std::string_view kind;
  const msgpack::object* root = nullptr;
  TQ_RETURN_IF_ERROR(impl_->Open(frame, &kind, &root, &last_request_id_));
  if (kind == "hello") {
    Fields f = MessageFields("hello", *root);
    WorkerHello m;
    std::uint64_t pid = 0;
    TQ_RETURN_IF_ERROR(f.Uint("pid", &pid));
    if (pid > UINT32_MAX) {
      return f.Error(ErrorCode::kBadValue, "field 'pid' must fit 32 bits");
    }
    m.pid = static_cast<std::uint32_t>(pid);
    const msgpack::object* fns = f.Find("fns");
    if (fns == nullptr) return f.Error(ErrorCode::kMissingField, "missing field 'fns'");
    if (fns->type != msgpack::type::ARRAY) {
      return f.Error(ErrorCode::kWrongType, "field 'fns' must be an array of strings");
    }
    m.functions.reserve(fns->via.array.size);
    for (std::uint32_t i = 0; i < fns->via.array.size; ++i) {
      const msgpack::object& fn = fns->via.array.ptr[i];
      if (fn.type != msgpack::type::STR || fn.via.str.size == 0 ||
          fn.via.str.size > kMaxFunctionNameBytes ||
          !IsPrintableUtf8(View(fn))) {
        return f.Error(ErrorCode::kBadValue,
                       "field 'fns' must hold names of 1 to 128 bytes of "
                       "printable UTF-8");
      }
      m.functions.push_back(View(fn));
    }
    TQ_RETURN_IF_ERROR(f.NoUnknownFields());
    return WorkerMessage{std::move(m)};
  }
  if (kind == "result") {
    Fields f = MessageFields("result", *root);
    WorkerResult m;
    TQ_RETURN_IF_ERROR(f.Uint("task", &m.task_id));
    TQ_RETURN_IF_ERROR(ReadOutcome(
        f, limits_,
        [](TaskState s) {
          return s == TaskState::kDone || s == TaskState::kFailed;
        },
        &m.state, &m.value, &m.error));
    TQ_RETURN_IF_ERROR(f.NoUnknownFields());
    return WorkerMessage{m};
  }
  if (kind == "progress") {
    Fields f = MessageFields("progress", *root);
    TaskProgress m;
    TQ_RETURN_IF_ERROR(ReadProgress(f, &m));
    TQ_RETURN_IF_ERROR(f.NoUnknownFields());
    return WorkerMessage{m};
  }
  return UnknownKind(kind, "'hello', 'result' or 'progress'");
}

Result<TaskAssignment> Decoder::DecodeTask(std::string_view frame) {
  last_request_id_ = 0;
  std::string_view kind;
  const msgpack::object* root = nullptr;
  TQ_RETURN_IF_ERROR(impl_->Open(frame, &kind, &root, &last_request_id_));
  if (kind != "task") return UnknownKind(kind, "'task'");
  Fields f = MessageFields("task", *root);
  TaskAssignment m;
  TQ_RETURN_IF_ERROR(f.Uint("task", &m.task_id));
  TQ_RETURN_IF_ERROR(ReadFunctionName(f, &m.fn));
  TQ_RETURN_IF_ERROR(ReadArgs(f, limits_, &m.args));
  TQ_RETURN_IF_ERROR(f.Bool("chunk", &m.chunk));
  TQ_RETURN_IF_ERROR(f.NoUnknownFields());
  return m;
}

}  // namespace tq::proto
