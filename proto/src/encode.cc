// Encode for every protocol v1 message: each writes its fields in the
// order PROTOCOL.md shows them, optional ones only when set, and leaves
// the counting to MapWriter.
#include "map_writer.h"
#include "object_ops.h"
#include "tq/proto/codec.h"

namespace tq::proto {
namespace {

// An error map's fields: type and message, then only the cause fields that
// are set.
void WriteErrorFields(MapWriter& w, const ErrorInfo& e) {
  w.Str("type", e.type);
  w.Str("message", e.message);
  if (!e.cause.empty()) w.Str("cause", e.cause);
  if (e.pid != 0) w.Uint("pid", e.pid);
  if (e.exit_code) w.Int("exit_code", *e.exit_code);
  if (e.signal) w.Int("signal", *e.signal);
  if (e.rss_bytes != 0) w.Uint("rss_bytes", e.rss_bytes);
  if (e.timeout_ms != 0) w.Uint("timeout_ms", e.timeout_ms);
  if (!e.stack.empty()) w.Str("stack", e.stack);
}

void WriteError(MapWriter& parent, const ErrorInfo& e) {
  MapWriter w = parent.Map("error");
  WriteErrorFields(w, e);
}

void WriteOutcome(MapWriter& w, TaskState state, std::string_view value,
                  const ErrorInfo& error) {
  w.Str("state", TaskStateName(state));
  if (state == TaskState::kDone) {
    w.Bin("value", value);
  } else {
    WriteError(w, error);
  }
}

// Field `key`: an array holding one map per item, written by `write`.
template <typename T>
void WriteArrayOfMaps(MapWriter& w, std::string_view key, const std::vector<T>& items,
                      void (*write)(MapWriter&, const T&)) {
  ArrayWriter array = w.Array(key);
  for (const T& item : items) {
    MapWriter one = array.Map();
    write(one, item);
  }
}

void WriteBins(MapWriter& w, std::string_view key, const std::vector<std::string_view>& bins) {
  ArrayWriter array = w.Array(key);
  for (std::string_view b : bins) array.Bin(b);
}

// submitter_uid and submitter_pid, each only when known.
void WriteSubmitter(MapWriter& w, std::int64_t uid, std::uint32_t pid) {
  if (uid >= 0) w.Uint("submitter_uid", static_cast<std::uint64_t>(uid));
  if (pid != 0) w.Uint("submitter_pid", pid);
}

void WriteWorker(MapWriter& w, const WorkerInfo& info) {
  w.Uint("slot", info.slot);
  w.Uint("pid", info.pid);
  w.Str("state", info.state);
  w.Uint("task", info.task_id);
  w.Str("fn", info.fn);
  w.Uint("tasks_done", info.tasks_done);
  w.Uint("uptime_ms", info.uptime_ms);
  w.Uint("rss_bytes", info.rss_bytes);
  w.Uint("task_ms", info.task_ms);
  if (!info.name.empty()) w.Str("name", info.name);
  WriteSubmitter(w, info.submitter_uid, info.submitter_pid);
  if (!info.host.empty()) {
    w.Str("host", info.host);
    w.Uint("beat_age_ms", info.beat_age_ms);
  }
}

void WriteJobFailure(MapWriter& w, const JobFailure& f) {
  w.Uint("task", f.task_id);
  if (!f.key.empty()) w.Str("key", f.key);
  w.Str("state", TaskStateName(f.state));
  w.Str("message", f.message);
}

void WriteFunction(MapWriter& w, const FunctionInfo& f) {
  w.Str("name", f.name);
  if (!f.origin.empty()) w.Str("origin", f.origin);
}

void WriteEnded(MapWriter& w, const EndedCounts& ended) {
  for (const TaskState s : kFinalStates) w.Uint(TaskStateName(s), ended[s]);
}

void WriteDurations(MapWriter& parent, std::string_view key, const DurationStats& d) {
  MapWriter w = parent.Map(key);
  w.Uint("count", d.count);
  w.Uint("sum_us", d.sum_us);
  w.Uint("p50_us", d.p50_us);
  w.Uint("p90_us", d.p90_us);
  w.Uint("p99_us", d.p99_us);
  w.Uint("max_us", d.max_us);
}

// What a window holds besides its span and its ended counts.
void WriteWindowFigures(MapWriter& w, const WindowStats& s) {
  w.Uint("submitted", s.submitted);
  {
    MapWriter restarts = w.Map("restarts");
    for (std::size_t i = 0; i < kRestartCauses; ++i) {
      restarts.Uint(RestartCauseName(static_cast<RestartCause>(i)), s.restarts[i]);
    }
  }
  WriteDurations(w, "queue_wait", s.queue_wait);
  WriteDurations(w, "run_time", s.run_time);
}

void WriteFunctionStats(MapWriter& w, const FunctionStats& f) {
  w.Str("fn", f.fn);
  w.Uint("submitted", f.submitted);
  WriteEnded(w, f.ended);
}

void WriteHostStats(MapWriter& w, const HostStats& h) {
  w.Str("host", h.host);
  w.Uint("workers", h.workers);
  w.Uint("busy", h.busy);
  w.Uint("tasks_done", h.tasks_done);
}

void WriteRecentTask(MapWriter& w, const RecentTask& t) {
  w.Uint("task", t.task_id);
  w.Str("fn", t.fn);
  w.Str("state", TaskStateName(t.state));
  w.Uint("attempts", t.attempts);
  w.Int("queued_at_ms", t.queued_at_ms);
  w.Int("finished_at_ms", t.finished_at_ms);
}

}  // namespace

// ---- client -> tqd ----------------------------------------------------------

void Encode(const SubmitRequest& m, Buffer& out) {
  MessageWriter w(out, RequestKindName(RequestKind::kSubmit), m.request_id);
  if (m.priority != 0) w.Int("priority", m.priority);
  if (m.timeout_ms != 0) w.Uint("timeout_ms", m.timeout_ms);
  if (m.delay_ms != 0) w.Uint("delay_ms", m.delay_ms);
  if (m.max_retries != 0) w.Uint("max_retries", m.max_retries);
  if (m.retry_on != 0) {
    ArrayWriter states = w.Array("retry_on");
    if (m.retry_on & kRetryFailed) states.Str("failed");
    if (m.retry_on & kRetryLost) states.Str("lost");
    if (m.retry_on & kRetryTimedOut) states.Str("timed_out");
  }
  if (m.retry_backoff_ms != 0) w.Uint("retry_backoff_ms", m.retry_backoff_ms);
  if (!m.key.empty()) w.Str("key", m.key);
  if (m.chunk) w.True("chunk");
  if (m.durable) w.Bool("durable", *m.durable);
  if (!m.name.empty()) w.Str("name", m.name);
  if (m.rerun_failed) w.True("rerun_failed");
  if (m.daemon) w.True("daemon");
  if (m.pipe) w.True("pipe");
  if (!m.ack) w.Bool("ack", false);
  w.Str("fn", m.fn);
  static constexpr char kEmptyArray = '\x90';
  w.Bin("args", m.args.empty() ? std::string_view(&kEmptyArray, 1) : m.args);
}

void Encode(const PingRequest& m, Buffer& out) {
  MessageWriter w(out, RequestKindName(RequestKind::kPing), m.request_id);
}

void Encode(const TaskRequest& m, Buffer& out) {
  MessageWriter w(out, RequestKindName(KindOf(ClientMessage{m})), m.request_id);
  w.Uint("task", m.task_id);
}

void Encode(const ListRequest& m, Buffer& out) {
  MessageWriter w(out, RequestKindName(KindOf(ClientMessage{m})), m.request_id);
}

void Encode(const JobRequest& m, Buffer& out) {
  MessageWriter w(out, RequestKindName(RequestKind::kJob), m.request_id);
  w.Str("name", m.name);
}

void Encode(const UnwaitRequest& m, Buffer& out) {
  MessageWriter w(out, RequestKindName(RequestKind::kUnwait), m.request_id);
  w.Uint("task", m.task_id);
  w.Uint("of", m.waiting_request_id);
}

void Encode(const ObjectRequest& m, Buffer& out) {
  // The kind is the type's name ("dict", "queue", ...).
  MessageWriter w(out, ObjectTypeName(m.type), m.request_id);
  w.Str("name", m.name);
  w.Str("op", ObjectOpName(m.op));
  const ObjectOpRow* row = FindObjectOp(m.type, m.op);
  const std::uint16_t bits = row == nullptr ? 0 : row->required | row->optional;
  const std::uint16_t required = row == nullptr ? 0 : row->required;
  auto has = [&](ObjectField f) { return (bits & f) != 0; };
  auto must = [&](ObjectField f) { return (required & f) != 0; };
  if (has(kFieldKey)) w.Bin("key", m.key);
  if (has(kFieldValue)) w.Bin("value", m.value);
  if (has(kFieldExpect) && m.expect) w.Bin("expect", *m.expect);
  if (has(kFieldKeys)) WriteBins(w, "keys", m.keys);
  if (has(kFieldValues)) WriteBins(w, "values", m.values);
  if (has(kFieldIndex) && (must(kFieldIndex) || m.index != 0)) w.Int("index", m.index);
  if (has(kFieldStop) && m.stop) w.Int("stop", *m.stop);
  if (has(kFieldBy) && m.by != 1) w.Int("by", m.by);
  if (has(kFieldTimeout) && m.timeout_ms) w.Uint("timeout_ms", *m.timeout_ms);
  if (has(kFieldCount)) w.Uint("count", m.count);
  if (has(kFieldCapacity) && m.capacity != 0) w.Uint("capacity", m.capacity);
  if (has(kFieldInitial) && m.initial != 1) w.Uint("initial", m.initial);
  if (has(kFieldCursor) && m.cursor != 0) w.Uint("cursor", m.cursor);
  if (has(kFieldTask) && m.task_id != 0) w.Uint("task", m.task_id);
}

void Encode(const PipeMessage& m, Buffer& out) {
  MessageWriter w(out, m.close ? "pipe_close" : "pipe");
  if (m.request_id != 0) w.Uint("req", m.request_id);
  w.Uint("task", m.task_id);
  if (!m.close) w.Bin("data", m.data);
}

// ---- tqd -> client ----------------------------------------------------------

void Encode(const Accepted& m, Buffer& out) {
  MessageWriter w(out, "accepted", m.request_id);
  w.Uint("task", m.task_id);
  if (m.duplicate) w.True("duplicate");
}

void Encode(const TaskResult& m, Buffer& out) {
  MessageWriter w(out, "result", m.request_id);
  w.Uint("task", m.task_id);
  w.Uint("attempts", m.attempts);
  WriteOutcome(w, m.state, m.value, m.error);
}

void Encode(const TaskStatus& m, Buffer& out) {
  MessageWriter w(out, "task_status", m.request_id);
  w.Uint("task", m.task_id);
  w.Str("state", TaskStateName(m.state));
  w.Str("fn", m.fn);
  w.Int("priority", m.priority);
  w.Uint("attempts", m.attempts);
  w.Uint("worker_pid", m.worker_pid);
  w.Int("queued_at_ms", m.queued_at_ms);
  w.Int("started_at_ms", m.started_at_ms);
  w.Int("finished_at_ms", m.finished_at_ms);
  if (!m.name.empty()) w.Str("name", m.name);
  if (m.error) WriteError(w, *m.error);
  WriteSubmitter(w, m.submitter_uid, m.submitter_pid);
}

void Encode(const TaskProgress& m, Buffer& out) {
  MessageWriter w(out, "progress");
  if (m.request_id != 0) w.Uint("req", m.request_id);
  w.Uint("task", m.task_id);
  w.Double("done", m.done);
  w.Double("total", m.total);
  if (!m.message.empty()) w.Str("message", m.message);
}

void Encode(const WorkersReply& m, Buffer& out) {
  MessageWriter w(out, "worker_list", m.request_id);
  WriteArrayOfMaps(w, "workers", m.workers, WriteWorker);
}

void Encode(const StatsReply& m, Buffer& out) {
  MessageWriter w(out, "queue_stats", m.request_id);
  w.Uint("queued", m.queued);
  w.Uint("running", m.running);
  w.Uint("workers", m.workers);
  WriteEnded(w, m.since_start.ended);
  WriteArrayOfMaps(w, "recent", m.recent, WriteRecentTask);
  w.Uint("uptime_ms", m.since_start.span_ms);
  WriteWindowFigures(w, m.since_start);
  {
    MapWriter states = w.Map("worker_states");
    states.Uint("starting", m.worker_states.starting);
    states.Uint("idle", m.worker_states.idle);
    states.Uint("busy", m.worker_states.busy);
    states.Uint("stopping", m.worker_states.stopping);
  }
  {
    MapWriter last = w.Map("last_minute");
    last.Uint("span_ms", m.last_minute.span_ms);
    WriteEnded(last, m.last_minute.ended);
    WriteWindowFigures(last, m.last_minute);
  }
  WriteArrayOfMaps(w, "functions", m.functions, WriteFunctionStats);
  if (m.tasks != 0) w.Uint("tasks", m.tasks);
  if (m.durable_tasks != 0) w.Uint("durable_tasks", m.durable_tasks);
  if (!m.store_path.empty()) w.Str("store_path", m.store_path);
  if (m.store_bytes != 0) w.Uint("store_bytes", m.store_bytes);
  if (!m.store_error.empty()) w.Str("store_error", m.store_error);
  if (!m.hosts.empty()) WriteArrayOfMaps(w, "hosts", m.hosts, WriteHostStats);
}

void Encode(const MetricsReply& m, Buffer& out) {
  MessageWriter w(out, "metrics_text", m.request_id);
  w.Str("text", m.text);
}

void Encode(const JobReply& m, Buffer& out) {
  MessageWriter w(out, "job_status", m.request_id);
  w.Str("name", m.name);
  w.Uint("queued", m.queued);
  w.Uint("running", m.running);
  w.Uint("done", m.done);
  w.Uint("failed", m.failed);
  WriteArrayOfMaps(w, "failures", m.failures, WriteJobFailure);
}

void EncodeErrorInfo(const ErrorInfo& e, Buffer& out) {
  MapWriter w(out);
  WriteErrorFields(w, e);
}

void Encode(const ErrorReply& m, Buffer& out) {
  MessageWriter w(out, "error", m.request_id);
  w.Str("code", m.code);
  w.Str("message", m.message);
  if (m.dropped != 0) w.Uint("dropped", m.dropped);
}

void Encode(const Pong& m, Buffer& out) {
  MessageWriter w(out, "pong", m.request_id);
  w.Str("server", m.server);
  w.Uint("pid", m.pid);
  w.Uint("workers", m.workers);
  if (!m.instance.empty()) w.Str("instance", m.instance);
  if (m.started_at_ms != 0) w.Int("started_at_ms", m.started_at_ms);
}

void Encode(const FunctionsReply& m, Buffer& out) {
  MessageWriter w(out, "function_list", m.request_id);
  WriteArrayOfMaps(w, "functions", m.functions, WriteFunction);
}

void Encode(const ObjectReply& m, Buffer& out) {
  MessageWriter w(out, "reply", m.request_id);
  if (m.value) w.Bin("value", *m.value);
  if (!m.keys.empty()) WriteBins(w, "keys", m.keys);
  if (!m.values.empty()) WriteBins(w, "values", m.values);
  if (m.size) w.Uint("size", *m.size);
  if (m.ok) w.Bool("ok", *m.ok);
  if (m.broken) w.True("broken");
  if (m.timed_out) w.True("timed_out");
  if (m.cursor != 0) w.Uint("cursor", m.cursor);
}

void EncodeError(std::uint64_t request_id, const Status& status, Buffer& out) {
  Encode(ErrorReply{request_id, ErrorCodeName(status.code()), status.message()}, out);
}

// ---- tq-worker <-> tqd ------------------------------------------------------

void Encode(const WorkerHello& m, Buffer& out) {
  MessageWriter w(out, "hello");
  w.Uint("pid", m.pid);
  {
    ArrayWriter fns = w.Array("fns");
    for (std::string_view fn : m.functions) fns.Str(fn);
  }
  if (!m.origins.empty()) {
    ArrayWriter origins = w.Array("origins");
    for (std::string_view origin : m.origins) origins.Str(origin);
  }
  if (m.prefetch) w.True("prefetch");
}

void Encode(const TaskAssignment& m, Buffer& out) {
  MessageWriter w(out, "task");
  w.Uint("task", m.task_id);
  if (m.chunk) w.True("chunk");
  if (m.pipe) w.True("pipe");
  w.Str("fn", m.fn);
  w.Bin("args", m.args);
}

void Encode(const WorkerResult& m, Buffer& out) {
  MessageWriter w(out, "result");
  w.Uint("task", m.task_id);
  if (m.run_ns != 0) w.Uint("ns", m.run_ns);
  WriteOutcome(w, m.state, m.value, m.error);
}

void Encode(const TaskDrop& m, Buffer& out) {
  MessageWriter w(out, "drop");
  w.Uint("task", m.task_id);
}

void Encode(const TaskDropped& m, Buffer& out) {
  MessageWriter w(out, "dropped");
  w.Uint("task", m.task_id);
}

}  // namespace tq::proto
