// tqd -> client: the replies a client decodes, and Decoder::DecodeDaemon.
#include "decoder.h"
#include "message_parts.h"

namespace tq::proto {
namespace {

Result<DaemonMessage> DecodeAccepted(Fields& f, const Limits&) {
  Accepted m;
  TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
  TQ_RETURN_IF_ERROR(f.Uint("task", &m.task_id));
  TQ_RETURN_IF_ERROR(f.Bool("duplicate", &m.duplicate));
  return DaemonMessage{m};
}

Result<DaemonMessage> DecodeResult(Fields& f, const Limits& limits) {
  TaskResult m;
  TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
  TQ_RETURN_IF_ERROR(f.Uint("task", &m.task_id));
  std::uint64_t attempts = 0;
  TQ_RETURN_IF_ERROR(f.OptUint("attempts", &attempts));
  m.attempts = static_cast<std::uint32_t>(attempts);
  TQ_RETURN_IF_ERROR(ReadOutcome(f, limits, IsFinal, &m.state, &m.value, &m.error));
  return DaemonMessage{m};
}

Status ReadState(Fields& f, TaskState* out) {
  std::string_view state;
  TQ_RETURN_IF_ERROR(f.Str("state", &state));
  const auto parsed = ParseTaskState(state);
  if (!parsed) return f.Error(ErrorCode::kBadValue, "unknown state");
  *out = *parsed;
  return Status::Ok();
}

// submitter_uid and submitter_pid: each absent when tqd does not know it.
Status ReadSubmitter(Fields& f, std::int64_t* uid, std::uint32_t* pid) {
  if (f.Find("submitter_uid") != nullptr) {
    std::uint64_t u = 0;
    TQ_RETURN_IF_ERROR(f.Uint("submitter_uid", &u));
    if (u > 0xffffffffu) return f.Error(ErrorCode::kBadValue, "submitter_uid is not a uid");
    *uid = static_cast<std::int64_t>(u);
  }
  std::uint64_t p = 0;
  TQ_RETURN_IF_ERROR(f.OptUint("submitter_pid", &p));
  if (p > 0xffffffffu) return f.Error(ErrorCode::kBadValue, "submitter_pid is not a pid");
  *pid = static_cast<std::uint32_t>(p);
  return Status::Ok();
}

Result<DaemonMessage> DecodeTaskStatus(Fields& f, const Limits&) {
  TaskStatus m;
  TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
  TQ_RETURN_IF_ERROR(f.Uint("task", &m.task_id));
  TQ_RETURN_IF_ERROR(ReadState(f, &m.state));
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
  TQ_RETURN_IF_ERROR(f.Str("name", &m.name, false));
  if (f.Find("error") != nullptr) {
    m.error.emplace();
    TQ_RETURN_IF_ERROR(ReadErrorInfo(f, &*m.error));
  }
  TQ_RETURN_IF_ERROR(ReadSubmitter(f, &m.submitter_uid, &m.submitter_pid));
  return DaemonMessage{m};
}

Result<DaemonMessage> DecodeProgress(Fields& f, const Limits&) {
  TaskProgress m;
  TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
  TQ_RETURN_IF_ERROR(ReadProgress(f, &m));
  return DaemonMessage{m};
}

Status ReadWorker(Fields& w, WorkerInfo* info) {
  std::uint64_t slot = 0, pid = 0;
  TQ_RETURN_IF_ERROR(w.Uint("slot", &slot));
  TQ_RETURN_IF_ERROR(w.Uint("pid", &pid));
  info->slot = static_cast<std::uint32_t>(slot);
  info->pid = static_cast<std::uint32_t>(pid);
  TQ_RETURN_IF_ERROR(w.Str("state", &info->state));
  TQ_RETURN_IF_ERROR(w.Uint("task", &info->task_id));
  TQ_RETURN_IF_ERROR(w.Str("fn", &info->fn));
  TQ_RETURN_IF_ERROR(w.Uint("tasks_done", &info->tasks_done));
  TQ_RETURN_IF_ERROR(w.Uint("uptime_ms", &info->uptime_ms));
  TQ_RETURN_IF_ERROR(w.OptUint("task_ms", &info->task_ms));
  TQ_RETURN_IF_ERROR(w.Str("name", &info->name, false));
  TQ_RETURN_IF_ERROR(w.Uint("rss_bytes", &info->rss_bytes));
  TQ_RETURN_IF_ERROR(w.Str("host", &info->host, false));
  TQ_RETURN_IF_ERROR(w.OptUint("beat_age_ms", &info->beat_age_ms));
  return ReadSubmitter(w, &info->submitter_uid, &info->submitter_pid);
}

Result<DaemonMessage> DecodeWorkerList(Fields& f, const Limits&) {
  WorkersReply m;
  TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
  TQ_RETURN_IF_ERROR(
      ReadArrayOfMaps(f, "workers", "each worker", "worker", ReadWorker, &m.workers));
  return DaemonMessage{std::move(m)};
}

Status ReadRecentTask(Fields& t, RecentTask* r) {
  std::uint64_t attempts = 0;
  TQ_RETURN_IF_ERROR(t.Uint("task", &r->task_id));
  TQ_RETURN_IF_ERROR(t.Str("fn", &r->fn));
  TQ_RETURN_IF_ERROR(ReadState(t, &r->state));
  TQ_RETURN_IF_ERROR(t.Uint("attempts", &attempts));
  r->attempts = static_cast<std::uint32_t>(attempts);
  TQ_RETURN_IF_ERROR(t.Int("queued_at_ms", &r->queued_at_ms, true));
  return t.Int("finished_at_ms", &r->finished_at_ms, true);
}

// Field `key`, a map read by `read`. Absent, as from a tqd older than the
// field, leaves *out as it is.
template <typename T>
Status ReadOptionalMap(Fields& f, std::string_view key, Status (*read)(Fields&, T*), T* out) {
  const msgpack::object* o = f.Find(key);
  if (o == nullptr) return Status::Ok();
  if (o->type != msgpack::type::MAP) {
    return f.Error(ErrorCode::kWrongType, "field '" + std::string(key) +
                                              "' must be a map, got " +
                                              std::string(TypeName(*o)));
  }
  Fields m = f.Nested(key, *o);
  TQ_RETURN_IF_ERROR(m.Init());
  TQ_RETURN_IF_ERROR(read(m, out));
  return m.NoUnknownFields();
}

Status ReadEnded(Fields& f, EndedCounts* ended) {
  for (const TaskState s : kFinalStates) {
    TQ_RETURN_IF_ERROR(f.Uint(TaskStateName(s), &(*ended)[s]));
  }
  return Status::Ok();
}

Status ReadDurations(Fields& f, DurationStats* d) {
  TQ_RETURN_IF_ERROR(f.Uint("count", &d->count));
  TQ_RETURN_IF_ERROR(f.Uint("sum_us", &d->sum_us));
  TQ_RETURN_IF_ERROR(f.Uint("p50_us", &d->p50_us));
  TQ_RETURN_IF_ERROR(f.Uint("p90_us", &d->p90_us));
  TQ_RETURN_IF_ERROR(f.Uint("p99_us", &d->p99_us));
  return f.Uint("max_us", &d->max_us);
}

// A cause this build does not know is ignored; one it knows may be absent.
Status ReadRestarts(Fields& f, RestartCounts* restarts) {
  for (std::size_t i = 0; i < kRestartCauses; ++i) {
    TQ_RETURN_IF_ERROR(
        f.OptUint(RestartCauseName(static_cast<RestartCause>(i)), &(*restarts)[i]));
  }
  return Status::Ok();
}

Status ReadWindowFigures(Fields& f, WindowStats* s) {
  TQ_RETURN_IF_ERROR(f.OptUint("submitted", &s->submitted));
  TQ_RETURN_IF_ERROR(ReadOptionalMap(f, "restarts", ReadRestarts, &s->restarts));
  TQ_RETURN_IF_ERROR(ReadOptionalMap(f, "queue_wait", ReadDurations, &s->queue_wait));
  return ReadOptionalMap(f, "run_time", ReadDurations, &s->run_time);
}

Status ReadLastMinute(Fields& f, WindowStats* s) {
  TQ_RETURN_IF_ERROR(f.Uint("span_ms", &s->span_ms));
  TQ_RETURN_IF_ERROR(ReadEnded(f, &s->ended));
  return ReadWindowFigures(f, s);
}

Status ReadWorkerStates(Fields& f, WorkerCounts* c) {
  std::uint32_t* fields[] = {&c->starting, &c->idle, &c->busy, &c->stopping};
  const std::string_view names[] = {"starting", "idle", "busy", "stopping"};
  for (std::size_t i = 0; i < std::size(names); ++i) {
    std::uint64_t n = 0;
    TQ_RETURN_IF_ERROR(f.OptUint(names[i], &n));
    *fields[i] = static_cast<std::uint32_t>(n);
  }
  return Status::Ok();
}

Status ReadHostStats(Fields& f, HostStats* h) {
  std::uint64_t workers = 0, busy = 0;
  TQ_RETURN_IF_ERROR(f.Str("host", &h->host));
  TQ_RETURN_IF_ERROR(f.Uint("workers", &workers));
  TQ_RETURN_IF_ERROR(f.Uint("busy", &busy));
  h->workers = static_cast<std::uint32_t>(workers);
  h->busy = static_cast<std::uint32_t>(busy);
  return f.Uint("tasks_done", &h->tasks_done);
}

Status ReadFunctionStats(Fields& f, FunctionStats* s) {
  TQ_RETURN_IF_ERROR(f.Str("fn", &s->fn));
  TQ_RETURN_IF_ERROR(f.Uint("submitted", &s->submitted));
  return ReadEnded(f, &s->ended);
}

Result<DaemonMessage> DecodeQueueStats(Fields& f, const Limits&) {
  StatsReply m;
  TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
  std::uint64_t workers = 0;
  TQ_RETURN_IF_ERROR(f.Uint("queued", &m.queued));
  TQ_RETURN_IF_ERROR(f.Uint("running", &m.running));
  TQ_RETURN_IF_ERROR(f.Uint("workers", &workers));
  m.workers = static_cast<std::uint32_t>(workers);
  TQ_RETURN_IF_ERROR(ReadEnded(f, &m.since_start.ended));
  TQ_RETURN_IF_ERROR(
      ReadArrayOfMaps(f, "recent", "each recent task", "recent", ReadRecentTask, &m.recent));
  // The rest came with `tq stats`; an older tqd sends none of it.
  TQ_RETURN_IF_ERROR(f.OptUint("uptime_ms", &m.since_start.span_ms));
  TQ_RETURN_IF_ERROR(ReadWindowFigures(f, &m.since_start));
  TQ_RETURN_IF_ERROR(ReadOptionalMap(f, "worker_states", ReadWorkerStates, &m.worker_states));
  TQ_RETURN_IF_ERROR(ReadOptionalMap(f, "last_minute", ReadLastMinute, &m.last_minute));
  if (f.Find("functions") != nullptr) {
    TQ_RETURN_IF_ERROR(ReadArrayOfMaps(f, "functions", "each function's stats", "functions",
                                       ReadFunctionStats, &m.functions));
  }
  if (f.Find("hosts") != nullptr) {
    TQ_RETURN_IF_ERROR(
        ReadArrayOfMaps(f, "hosts", "each host's stats", "hosts", ReadHostStats, &m.hosts));
  }
  TQ_RETURN_IF_ERROR(f.OptUint("tasks", &m.tasks));
  TQ_RETURN_IF_ERROR(f.OptUint("durable_tasks", &m.durable_tasks));
  TQ_RETURN_IF_ERROR(f.Str("store_path", &m.store_path, false));
  TQ_RETURN_IF_ERROR(f.OptUint("store_bytes", &m.store_bytes));
  TQ_RETURN_IF_ERROR(f.Str("store_error", &m.store_error, false));
  return DaemonMessage{std::move(m)};
}

Status ReadJobFailure(Fields& f, JobFailure* j) {
  TQ_RETURN_IF_ERROR(f.Uint("task", &j->task_id));
  TQ_RETURN_IF_ERROR(f.Str("key", &j->key, false));
  TQ_RETURN_IF_ERROR(ReadState(f, &j->state));
  return f.Str("message", &j->message);
}

Result<DaemonMessage> DecodeJobStatus(Fields& f, const Limits&) {
  JobReply m;
  TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
  TQ_RETURN_IF_ERROR(f.Str("name", &m.name));
  TQ_RETURN_IF_ERROR(f.Uint("queued", &m.queued));
  TQ_RETURN_IF_ERROR(f.Uint("running", &m.running));
  TQ_RETURN_IF_ERROR(f.Uint("done", &m.done));
  TQ_RETURN_IF_ERROR(f.Uint("failed", &m.failed));
  TQ_RETURN_IF_ERROR(ReadArrayOfMaps(f, "failures", "each failure", "failure", ReadJobFailure,
                                     &m.failures));
  return DaemonMessage{std::move(m)};
}

Result<DaemonMessage> DecodeMetricsText(Fields& f, const Limits&) {
  MetricsReply m;
  TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
  TQ_RETURN_IF_ERROR(f.Str("text", &m.text));
  return DaemonMessage{m};
}

Result<DaemonMessage> DecodeErrorReply(Fields& f, const Limits&) {
  ErrorReply m;
  // An error about an unreadable request carries req 0.
  TQ_RETURN_IF_ERROR(f.Uint("req", &m.request_id));
  TQ_RETURN_IF_ERROR(f.Str("code", &m.code));
  TQ_RETURN_IF_ERROR(f.Str("message", &m.message));
  TQ_RETURN_IF_ERROR(f.OptUint("dropped", &m.dropped));
  return DaemonMessage{m};
}

Result<DaemonMessage> DecodePong(Fields& f, const Limits&) {
  Pong m;
  std::uint64_t pid = 0;
  std::uint64_t workers = 0;
  TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
  TQ_RETURN_IF_ERROR(f.Str("server", &m.server));
  TQ_RETURN_IF_ERROR(f.Uint("pid", &pid));
  TQ_RETURN_IF_ERROR(f.Uint("workers", &workers));
  TQ_RETURN_IF_ERROR(f.Str("instance", &m.instance, false));
  TQ_RETURN_IF_ERROR(f.Int("started_at_ms", &m.started_at_ms, false));
  if (pid > UINT32_MAX || workers > UINT32_MAX) {
    return f.Error(ErrorCode::kBadValue, "fields 'pid' and 'workers' must fit 32 bits");
  }
  m.pid = static_cast<std::uint32_t>(pid);
  m.workers = static_cast<std::uint32_t>(workers);
  return DaemonMessage{m};
}

Status ReadFunction(Fields& f, FunctionInfo* info) {
  TQ_RETURN_IF_ERROR(f.Str("name", &info->name));
  return f.Str("origin", &info->origin, false);
}

Result<DaemonMessage> DecodeFunctionList(Fields& f, const Limits&) {
  FunctionsReply m;
  TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
  TQ_RETURN_IF_ERROR(ReadArrayOfMaps(f, "functions", "each function", "function",
                                     ReadFunction, &m.functions));
  return DaemonMessage{std::move(m)};
}

// An array of bins: the keys or values of a reply.
Status ReadBins(Fields& f, std::string_view key, std::vector<std::string_view>* out) {
  const msgpack::object* o = f.Find(key);
  if (o == nullptr) return Status::Ok();
  if (o->type != msgpack::type::ARRAY) {
    return f.Error(ErrorCode::kWrongType, "field '" + std::string(key) + "' must be an array");
  }
  for (std::uint32_t i = 0; i < o->via.array.size; ++i) {
    const msgpack::object& e = o->via.array.ptr[i];
    if (e.type != msgpack::type::BIN) {
      return f.Error(ErrorCode::kWrongType, "field '" + std::string(key) + "' must hold bins");
    }
    out->push_back(View(e));
  }
  return Status::Ok();
}

Result<DaemonMessage> DecodeObjectReply(Fields& f, const Limits&) {
  ObjectReply m;
  TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
  if (f.Find("value") != nullptr) {
    std::string_view value;
    TQ_RETURN_IF_ERROR(f.Bin("value", &value, true, "a bin holding a msgpack value"));
    m.value = value;
  }
  TQ_RETURN_IF_ERROR(ReadBins(f, "keys", &m.keys));
  TQ_RETURN_IF_ERROR(ReadBins(f, "values", &m.values));
  if (f.Find("size") != nullptr) {
    std::uint64_t size = 0;
    TQ_RETURN_IF_ERROR(f.Uint("size", &size));
    m.size = size;
  }
  if (f.Find("ok") != nullptr) {
    bool ok = false;
    TQ_RETURN_IF_ERROR(f.Bool("ok", &ok));
    m.ok = ok;
  }
  TQ_RETURN_IF_ERROR(f.Bool("broken", &m.broken));
  TQ_RETURN_IF_ERROR(f.Bool("timed_out", &m.timed_out));
  TQ_RETURN_IF_ERROR(f.OptUint("cursor", &m.cursor));
  return DaemonMessage{std::move(m)};
}

template <bool kClose>
Result<DaemonMessage> DecodePipeToClient(Fields& f, const Limits&) {
  PipeMessage m;
  m.close = kClose;
  TQ_RETURN_IF_ERROR(f.RequestId(&m.request_id));
  TQ_RETURN_IF_ERROR(ReadPipe(f, &m));
  return DaemonMessage{m};
}

// The order of the UNKNOWN_KIND sentence.
constexpr KindRow<DaemonMessage> kReplies[] = {
    {"accepted", DecodeAccepted},       {"result", DecodeResult},
    {"task_status", DecodeTaskStatus},  {"progress", DecodeProgress},
    {"worker_list", DecodeWorkerList},  {"queue_stats", DecodeQueueStats},
    {"error", DecodeErrorReply},        {"pong", DecodePong},
    {"function_list", DecodeFunctionList}, {"metrics_text", DecodeMetricsText},
    {"job_status", DecodeJobStatus},
    {"reply", DecodeObjectReply},       {"pipe", DecodePipeToClient<false>},
    {"pipe_close", DecodePipeToClient<true>},
};

}  // namespace

Result<DaemonMessage> Decoder::DecodeDaemon(std::string_view frame) {
  // A client ignores reply fields it does not know (PROTOCOL.md §9).
  return impl_->Decode<DaemonMessage>(frame, kReplies, Impl::Shape::kListing,
                                      &last_request_id_, /*ignore_unknown=*/true);
}

}  // namespace tq::proto
