// Client -> tqd: the table of request kinds, each request's decoder, and
// Decoder::DecodeClient.
//
// The table is the one list of requests: DecodeClient finds a kind in it,
// the UNKNOWN_KIND sentence lists it, RequestKindName and the encoders take
// the names from it, and tqd's dispatcher keys its handlers on its
// RequestKind. A new request is a RequestKind, a row and a decoder here,
// and a handler in tqd.
#include <string>

#include "decoder.h"
#include "message_parts.h"
#include "object_ops.h"
#include "tq/proto/utf8.h"

namespace tq::proto {
namespace {

Status ReadRetryOn(Fields& f, SubmitRequest* m) {
  const msgpack::object* o = f.Find("retry_on");
  if (o == nullptr) return Status::Ok();
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
  TQ_RETURN_IF_ERROR(ReadRetryOn(f, m));
  TQ_RETURN_IF_ERROR(f.Str("key", &m->key, false));
  if (f.Find("key") != nullptr &&
      (m->key.empty() || m->key.size() > 256 || !IsPrintableUtf8(m->key))) {
    return f.Error(ErrorCode::kBadValue, "field 'key' must be 1 to 256 bytes of printable UTF-8");
  }
  TQ_RETURN_IF_ERROR(f.Bool("chunk", &m->chunk));
  if (f.Find("durable") != nullptr) {
    bool durable = false;
    TQ_RETURN_IF_ERROR(f.Bool("durable", &durable));
    m->durable = durable;
  }
  TQ_RETURN_IF_ERROR(f.Str("name", &m->name, false));
  if (f.Find("name") != nullptr && !IsFunctionName(m->name)) {
    return f.Error(ErrorCode::kBadValue, "field 'name' must be 1 to 128 bytes of printable UTF-8");
  }
  TQ_RETURN_IF_ERROR(f.Bool("rerun_failed", &m->rerun_failed));
  if (m->rerun_failed && m->key.empty()) {
    return f.Error(ErrorCode::kBadValue, "field 'rerun_failed' needs a 'key'");
  }
  TQ_RETURN_IF_ERROR(f.Bool("daemon", &m->daemon));
  TQ_RETURN_IF_ERROR(f.Bool("pipe", &m->pipe));
  return f.Bool("ack", &m->ack);
}

Result<ClientMessage> DecodeSubmit(Fields& f, const Limits& limits) {
  SubmitRequest m;
  TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
  TQ_RETURN_IF_ERROR(ReadFunctionName(f, &m.fn));
  TQ_RETURN_IF_ERROR(ReadArgs(f, limits, &m.args));
  TQ_RETURN_IF_ERROR(ReadSubmitOptions(f, &m));
  return ClientMessage{m};
}

// A request of nothing but "req": `M` with its other members from kTag
// (ListRequest::what).
template <typename M, auto... kTag>
Result<ClientMessage> DecodeBareRequest(Fields& f, const Limits&) {
  M m{0, kTag...};
  TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
  return ClientMessage{m};
}

template <TaskVerb kVerb>
Result<ClientMessage> DecodeTaskRequest(Fields& f, const Limits&) {
  TaskRequest m{.verb = kVerb};
  TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
  TQ_RETURN_IF_ERROR(f.Uint("task", &m.task_id));
  return ClientMessage{m};
}

Result<ClientMessage> DecodeUnwait(Fields& f, const Limits&) {
  UnwaitRequest m;
  TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
  TQ_RETURN_IF_ERROR(f.Uint("task", &m.task_id));
  TQ_RETURN_IF_ERROR(f.Uint("of", &m.waiting_request_id));
  if (m.waiting_request_id == 0) {
    return f.Error(ErrorCode::kBadValue, "field 'of' must be non-zero");
  }
  return ClientMessage{m};
}

Result<ClientMessage> DecodeJob(Fields& f, const Limits&) {
  JobRequest m;
  TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
  TQ_RETURN_IF_ERROR(f.Str("name", &m.name));
  if (!IsFunctionName(m.name)) {
    return f.Error(ErrorCode::kBadValue, "field 'name' must be 1 to 128 bytes of printable UTF-8");
  }
  return ClientMessage{m};
}

template <ObjectType kType>
Result<ClientMessage> DecodeObject(Fields& f, const Limits&) {
  return DecodeObjectRequest(kType, f);
}

template <bool kClose>
Result<ClientMessage> DecodePipe(Fields& f, const Limits&) {
  return DecodePipeRequest(kClose, f);
}

struct RequestRow {
  RequestKind kind;
  std::string_view name;
  Result<ClientMessage> (*decode)(Fields& f, const Limits& limits);
  // May travel in a batch (PROTOCOL.md §1, "Batches"): the requests a
  // client sends many of at once, which tqd answers without blocking.
  bool batchable = false;
};

// In RequestKind order; the order of the UNKNOWN_KIND sentence too.
constexpr RequestRow kRequests[] = {
    {RequestKind::kSubmit, "submit", DecodeSubmit, true},
    {RequestKind::kPing, "ping", DecodeBareRequest<PingRequest>},
    {RequestKind::kCancel, "cancel", DecodeTaskRequest<TaskVerb::kCancel>, true},
    {RequestKind::kKick, "kick", DecodeTaskRequest<TaskVerb::kKick>},
    {RequestKind::kStatus, "status", DecodeTaskRequest<TaskVerb::kStatus>},
    {RequestKind::kWait, "wait", DecodeTaskRequest<TaskVerb::kWait>},
    {RequestKind::kWorkers, "workers", DecodeBareRequest<ListRequest, Listing::kWorkers>},
    {RequestKind::kStats, "stats", DecodeBareRequest<ListRequest, Listing::kStats>},
    {RequestKind::kFunctions, "functions",
     DecodeBareRequest<ListRequest, Listing::kFunctions>},
    {RequestKind::kUnwait, "unwait", DecodeUnwait, true},
    {RequestKind::kMetrics, "metrics", DecodeBareRequest<ListRequest, Listing::kMetrics>},
    {RequestKind::kJob, "job", DecodeJob},
    {RequestKind::kDict, "dict", DecodeObject<ObjectType::kDict>},
    {RequestKind::kList, "list", DecodeObject<ObjectType::kList>},
    {RequestKind::kQueue, "queue", DecodeObject<ObjectType::kQueue>},
    {RequestKind::kLock, "lock", DecodeObject<ObjectType::kLock>},
    {RequestKind::kSemaphore, "semaphore", DecodeObject<ObjectType::kSemaphore>},
    {RequestKind::kEvent, "event", DecodeObject<ObjectType::kEvent>},
    {RequestKind::kPipe, "pipe", DecodePipe<false>},
    {RequestKind::kPipeClose, "pipe_close", DecodePipe<true>},
};

constexpr bool InKindOrder() {
  for (std::size_t i = 0; i < std::size(kRequests); ++i) {
    if (static_cast<std::size_t>(kRequests[i].kind) != i) return false;
  }
  return std::size(kRequests) == kRequestKinds;
}
static_assert(InKindOrder(), "kRequests needs one row per RequestKind, in its order");

RequestKind KindOfVerb(TaskVerb verb) {
  switch (verb) {
    case TaskVerb::kCancel: return RequestKind::kCancel;
    case TaskVerb::kKick: return RequestKind::kKick;
    case TaskVerb::kStatus: return RequestKind::kStatus;
    case TaskVerb::kWait: return RequestKind::kWait;
  }
  return RequestKind::kStatus;
}

RequestKind KindOfListing(Listing what) {
  switch (what) {
    case Listing::kWorkers: return RequestKind::kWorkers;
    case Listing::kStats: return RequestKind::kStats;
    case Listing::kFunctions: return RequestKind::kFunctions;
    case Listing::kMetrics: return RequestKind::kMetrics;
  }
  return RequestKind::kStats;
}

// The object kinds come in ObjectType order, from kDict.
RequestKind KindOfObject(ObjectType type) {
  return static_cast<RequestKind>(static_cast<std::size_t>(RequestKind::kDict) +
                                  static_cast<std::size_t>(type));
}
static_assert(static_cast<std::size_t>(RequestKind::kEvent) -
                      static_cast<std::size_t>(RequestKind::kDict) + 1 ==
                  kObjectTypes,
              "one request kind per ObjectType, in its order");

}  // namespace

std::string_view RequestKindName(RequestKind kind) {
  return kRequests[static_cast<std::size_t>(kind)].name;
}

bool IsBatchable(RequestKind kind) { return kRequests[static_cast<std::size_t>(kind)].batchable; }

std::string_view TaskVerbName(TaskVerb verb) { return RequestKindName(KindOfVerb(verb)); }

RequestKind KindOf(const ClientMessage& m) {
  struct Kinds {
    RequestKind operator()(const SubmitRequest&) const { return RequestKind::kSubmit; }
    RequestKind operator()(const PingRequest&) const { return RequestKind::kPing; }
    RequestKind operator()(const TaskRequest& r) const { return KindOfVerb(r.verb); }
    RequestKind operator()(const ListRequest& r) const { return KindOfListing(r.what); }
    RequestKind operator()(const UnwaitRequest&) const { return RequestKind::kUnwait; }
    RequestKind operator()(const JobRequest&) const { return RequestKind::kJob; }
    RequestKind operator()(const ObjectRequest& r) const { return KindOfObject(r.type); }
    RequestKind operator()(const PipeMessage& p) const {
      return p.close ? RequestKind::kPipeClose : RequestKind::kPipe;
    }
  };
  return std::visit(Kinds{}, m);
}

Result<ClientMessage> Decoder::DecodeClient(std::string_view frame) {
  return impl_->Decode<ClientMessage>(frame, kRequests, Impl::Shape::kPeer, &last_request_id_);
}

}  // namespace tq::proto
