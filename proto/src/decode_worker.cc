// tq-worker <-> tqd, over the pipes: what tqd decodes from a worker
// (Decoder::DecodeFromWorker) and what a worker decodes from tqd
// (Decoder::DecodeTask).
#include "decoder.h"
#include "message_parts.h"
#include "tq/proto/utf8.h"

namespace tq::proto {
namespace {

Result<WorkerMessage> DecodeHello(Fields& f, const Limits&) {
  WorkerHello m;
  std::uint64_t pid = 0;
  TQ_RETURN_IF_ERROR(f.Uint("pid", &pid));
  if (pid > UINT32_MAX) return f.Error(ErrorCode::kBadValue, "field 'pid' must fit 32 bits");
  m.pid = static_cast<std::uint32_t>(pid);
  const msgpack::object* fns = f.Find("fns");
  if (fns == nullptr) return f.Error(ErrorCode::kMissingField, "missing field 'fns'");
  if (fns->type != msgpack::type::ARRAY) {
    return f.Error(ErrorCode::kWrongType, "field 'fns' must be an array of strings");
  }
  m.functions.reserve(fns->via.array.size);
  for (std::uint32_t i = 0; i < fns->via.array.size; ++i) {
    const msgpack::object& fn = fns->via.array.ptr[i];
    if (fn.type != msgpack::type::STR || !IsFunctionName(View(fn))) {
      return f.Error(ErrorCode::kBadValue,
                     "field 'fns' must hold names of 1 to 128 bytes of printable UTF-8");
    }
    m.functions.push_back(View(fn));
  }
  if (const msgpack::object* origins = f.Find("origins")) {
    if (origins->type != msgpack::type::ARRAY ||
        origins->via.array.size != fns->via.array.size) {
      return f.Error(ErrorCode::kWrongType,
                     "field 'origins' must be an array of strings, one per function");
    }
    m.origins.reserve(origins->via.array.size);
    for (std::uint32_t i = 0; i < origins->via.array.size; ++i) {
      const msgpack::object& o = origins->via.array.ptr[i];
      if (o.type != msgpack::type::STR || o.via.str.size > kMaxPathBytes ||
          !IsPrintableUtf8(View(o))) {
        return f.Error(ErrorCode::kBadValue,
                       "field 'origins' must hold paths of at most 4096 bytes of "
                       "printable UTF-8");
      }
      m.origins.push_back(View(o));
    }
  }
  TQ_RETURN_IF_ERROR(f.Bool("prefetch", &m.prefetch));
  return WorkerMessage{std::move(m)};
}

// A worker reports only whether the function returned or threw.
bool WorkerMayReport(TaskState s) { return s == TaskState::kDone || s == TaskState::kFailed; }

Result<WorkerMessage> DecodeWorkerResult(Fields& f, const Limits& limits) {
  WorkerResult m;
  TQ_RETURN_IF_ERROR(f.Uint("task", &m.task_id));
  TQ_RETURN_IF_ERROR(f.OptUint("ns", &m.run_ns));
  TQ_RETURN_IF_ERROR(ReadOutcome(f, limits, WorkerMayReport, &m.state, &m.value, &m.error));
  return WorkerMessage{m};
}

Result<WorkerMessage> DecodeDropped(Fields& f, const Limits&) {
  TaskDropped m;
  TQ_RETURN_IF_ERROR(f.Uint("task", &m.task_id));
  return WorkerMessage{m};
}

Result<ToWorkerMessage> DecodeDrop(Fields& f, const Limits&) {
  TaskDrop m;
  TQ_RETURN_IF_ERROR(f.Uint("task", &m.task_id));
  return ToWorkerMessage{m};
}

Result<WorkerMessage> DecodeWorkerProgress(Fields& f, const Limits&) {
  TaskProgress m;
  TQ_RETURN_IF_ERROR(ReadProgress(f, &m));
  return WorkerMessage{m};
}

Result<TaskAssignment> DecodeAssignment(Fields& f, const Limits& limits) {
  TaskAssignment m;
  TQ_RETURN_IF_ERROR(f.Uint("task", &m.task_id));
  TQ_RETURN_IF_ERROR(ReadFunctionName(f, &m.fn));
  TQ_RETURN_IF_ERROR(ReadArgs(f, limits, &m.args));
  TQ_RETURN_IF_ERROR(f.Bool("chunk", &m.chunk));
  TQ_RETURN_IF_ERROR(f.Bool("pipe", &m.pipe));
  return m;
}

// A pipe frame, either way: `pipe` (with data) or `pipe_close`.
template <typename Message, bool kClose>
Result<Message> DecodePipeFrame(Fields& f, const Limits&) {
  PipeMessage m;
  m.close = kClose;
  TQ_RETURN_IF_ERROR(ReadPipe(f, &m));
  return Message{m};
}

Result<ToWorkerMessage> DecodeAssignmentMessage(Fields& f, const Limits& limits) {
  Result<TaskAssignment> task = DecodeAssignment(f, limits);
  if (!task.ok()) return task.status();
  return ToWorkerMessage{*task};
}

constexpr KindRow<WorkerMessage> kFromWorker[] = {
    {"hello", DecodeHello},
    {"result", DecodeWorkerResult},
    {"progress", DecodeWorkerProgress},
    {"pipe", DecodePipeFrame<WorkerMessage, false>},
    {"pipe_close", DecodePipeFrame<WorkerMessage, true>},
    {"dropped", DecodeDropped},
};

constexpr KindRow<TaskAssignment> kTaskOnly[] = {
    {"task", DecodeAssignment},
};

constexpr KindRow<ToWorkerMessage> kToWorker[] = {
    {"task", DecodeAssignmentMessage},
    {"pipe", DecodePipeFrame<ToWorkerMessage, false>},
    {"pipe_close", DecodePipeFrame<ToWorkerMessage, true>},
    {"drop", DecodeDrop},
};

}  // namespace

Result<WorkerMessage> Decoder::DecodeFromWorker(std::string_view frame) {
  return impl_->Decode<WorkerMessage>(frame, kFromWorker, Impl::Shape::kPeer,
                                      &last_request_id_);
}

Result<TaskAssignment> Decoder::DecodeTask(std::string_view frame) {
  return impl_->Decode<TaskAssignment>(frame, kTaskOnly, Impl::Shape::kPeer,
                                       &last_request_id_);
}

Result<ToWorkerMessage> Decoder::DecodeToWorker(std::string_view frame) {
  return impl_->Decode<ToWorkerMessage>(frame, kToWorker, Impl::Shape::kPeer,
                                        &last_request_id_);
}

}  // namespace tq::proto
