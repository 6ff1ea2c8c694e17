// PIPE and PIPE_CLOSE: a two-way channel between the connection that
// submitted a task with `pipe` and the running task, routed through the
// worker's own pipes (task_pipe.h; PROTOCOL.md §2 and §7).
#include <spdlog/spdlog.h>

#include "supervisor.h"

namespace tq::daemon {

using proto::ErrorCode;

void Supervisor::HandlePipe(std::string_view client, const proto::PipeMessage& m) {
  const std::string id = std::to_string(m.task_id);
  auto it = pipes_.find(m.task_id);
  if (it == pipes_.end()) {
    const Task* task = tasks_.Find(m.task_id);
    if (task == nullptr) {
      SendError(client, m.request_id,
                {ErrorCode::kNotFound, "no task " + id + " (never submitted, or its result has expired)"});
    } else if (proto::IsFinal(task->state)) {
      SendError(client, m.request_id, {ErrorCode::kWrongState, "task " + id + " has ended"});
    } else {
      SendError(client, m.request_id,
                {ErrorCode::kWrongState, "task " + id + " has no pipe (submit it with pipe)"});
    }
    return;
  }
  TaskPipe& pipe = it->second;
  if (pipe.client != client) {
    SendError(client, m.request_id,
              {ErrorCode::kWrongState,
               "the pipe of task " + id + " belongs to the connection that submitted it"});
    return;
  }
  if (!pipe.client_open) {
    SendError(client, m.request_id,
              {ErrorCode::kWrongState, "this end of task " + id + "'s pipe is closed"});
    return;
  }
  if (m.close) {
    pipe.client_open = false;
    ClosePipeToTask(m.task_id, pipe);
  } else {
    if (!pipe.task_open) {
      SendError(client, m.request_id,
                {ErrorCode::kWrongState, "task " + id + " has closed its end of the pipe"});
      return;
    }
    const Task* task = tasks_.Find(m.task_id);
    const bool running = task != nullptr && task->state == proto::TaskState::kRunning;
    // A message on its own may exceed the bound; it waits for room, never
    // for ever.
    const std::size_t held = running ? pools_.PendingBytes(m.task_id).value_or(0) : pipe.queued_bytes;
    if (held > 0 && held + m.data.size() > config_.max_pipe_bytes) {
      SendError(client, m.request_id,
                {ErrorCode::kPipeFull, "task " + id + " has not read the " +
                                           std::to_string(held) +
                                           " bytes its pipe holds (max_pipe_bytes " +
                                           std::to_string(config_.max_pipe_bytes) + ")"});
      return;
    }
    if (running) {
      (void)pools_.SendToTask(m.task_id, proto::PipeMessage{0, m.task_id, m.data, false});
    } else {
      // Queued, or waiting for a retry: it follows the task to its worker.
      pipe.to_task.emplace_back(m.data);
      pipe.queued_bytes += m.data.size();
    }
  }
  reply_.clear();
  proto::Encode(proto::ObjectReply{.request_id = m.request_id}, reply_);
  SendReply(client);
}

void Supervisor::OnTaskStarted(const Task& task) {
  auto it = pipes_.find(task.id);
  if (it == pipes_.end()) return;
  TaskPipe& pipe = it->second;
  for (const std::string& data : pipe.to_task) {
    (void)pools_.SendToTask(task.id, proto::PipeMessage{0, task.id, data, false});
  }
  pipe.to_task.clear();
  pipe.queued_bytes = 0;
  if (!pipe.client_open) ClosePipeToTask(task.id, pipe);
}

void Supervisor::ClosePipeToTask(std::uint64_t task_id, TaskPipe&) {
  // Not running: OnTaskStarted tells the worker when it is.
  (void)pools_.SendToTask(task_id, proto::PipeMessage{0, task_id, {}, true});
}

void Supervisor::OnTaskPipe(const Worker&, const proto::PipeMessage& message) {
  auto it = pipes_.find(message.task_id);
  if (it == pipes_.end()) {
    spdlog::debug("task {} wrote to a pipe it does not have; dropped", message.task_id);
    return;
  }
  TaskPipe& pipe = it->second;
  if (!pipe.task_open) return;  // after its own close
  if (message.close) pipe.task_open = false;
  // Also after the client closed its end: its close may still be on the
  // way to the task, and the client ignores what it no longer reads.
  reply_.clear();
  proto::Encode(proto::PipeMessage{pipe.request_id, message.task_id, message.data, message.close},
                reply_);
  SendReply(pipe.client);
}

}  // namespace tq::daemon
