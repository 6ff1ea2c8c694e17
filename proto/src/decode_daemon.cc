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
  TQ_RETURN_IF_ERROR(w.Uint("rss_bytes", &info->rss_bytes));
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

Result<DaemonMessage> DecodeQueueStats(Fields& f, const Limits&) {
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
  TQ_RETURN_IF_ERROR(
      ReadArrayOfMaps(f, "recent", "each recent task", "recent", ReadRecentTask, &m.recent));
  return DaemonMessage{std::move(m)};
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

// The order of the UNKNOWN_KIND sentence.
constexpr KindRow<DaemonMessage> kReplies[] = {
    {"accepted", DecodeAccepted},       {"result", DecodeResult},
    {"task_status", DecodeTaskStatus},  {"progress", DecodeProgress},
    {"worker_list", DecodeWorkerList},  {"queue_stats", DecodeQueueStats},
    {"error", DecodeErrorReply},        {"pong", DecodePong},
    {"function_list", DecodeFunctionList},
};

}  // namespace

Result<DaemonMessage> Decoder::DecodeDaemon(std::string_view frame) {
  // A client ignores reply fields it does not know (PROTOCOL.md §9).
  return impl_->Decode<DaemonMessage>(frame, kReplies, Impl::Shape::kListing,
                                      &last_request_id_, /*ignore_unknown=*/true);
}

}  // namespace tq::proto
