// CANCEL, KICK, STATUS and WAIT: requests about one task by id.
#include <spdlog/spdlog.h>

#include "supervisor.h"
#include "task_log.h"

namespace tq::daemon {

using proto::ErrorCode;
using proto::TaskState;

Task* Supervisor::FindOrSayNotFound(std::string_view client, std::uint64_t request_id,
                                    std::uint64_t task_id) {
  Task* task = tasks_.Find(task_id);
  if (task == nullptr) {
    SendError(client, request_id,
              {ErrorCode::kNotFound, "no task " + std::to_string(task_id) +
                                         " (never submitted, or its result has expired)"});
  }
  return task;
}

void Supervisor::HandleTaskRequest(std::string_view client,
                                   const proto::TaskRequest& m) {
  Task* task = FindOrSayNotFound(client, m.request_id, m.task_id);
  if (task == nullptr) return;
  switch (m.verb) {
    case proto::TaskVerb::kStatus:
      break;
    case proto::TaskVerb::kWait:
      if (proto::IsFinal(task->state)) {
        SendResult(*task, {std::string(client), m.request_id});
        return;
      }
      task->waiters.push_back({std::string(client), m.request_id});
      ReplayProgress(*task, task->waiters.back());
      return;
    case proto::TaskVerb::kCancel:
      if (!proto::IsFinal(task->state) || task->state == TaskState::kBuried) {
        if (!Cancel(*task, "cancelled by request")) {
          // Sent ahead to a worker: answered once the worker has dropped it.
          drops_[task->id].answer.push_back({std::string(client), m.request_id});
          return;
        }
      }
      break;
    case proto::TaskVerb::kKick:
      if (task->state != TaskState::kBuried) {
        SendError(client, m.request_id,
                  {ErrorCode::kWrongState,
                   "task " + std::to_string(task->id) + " is " +
                       std::string(proto::TaskStateName(task->state)) +
                       ", not buried"});
        return;
      }
      if (stopping_) {
        SendError(client, m.request_id,
                  {ErrorCode::kShuttingDown, "tqd is shutting down"});
        return;
      }
      Kick(*task);
      break;
  }
  SendStatus(*task, client, m.request_id);
}

void Supervisor::HandleUnwait(std::string_view client, const proto::UnwaitRequest& m) {
  Task* task = FindOrSayNotFound(client, m.request_id, m.task_id);
  if (task == nullptr) return;
  // Only this connection's own request: one client cannot silence another's.
  task->waiters.erase_if([&](const Waiter& w) {
    return w.request_id == m.waiting_request_id && w.client == client;
  });
  SendStatus(*task, client, m.request_id);
}

bool Supervisor::Cancel(Task& task, const std::string& why) {
  if (task.prefetched) {
    // It waits in a worker's pipe, and the worker may be starting it as we
    // speak: only its answer tells whether it had (then it is cancelled as
    // a running task) or never will. Until then it is not answered.
    PendingDrop& drop = drops_[task.id];
    if (drop.why.empty()) drop.why = why;
    (void)pools_.DropPrefetched(task.id);
    LogTask(spdlog::level::debug, task, "{}; asking its worker to drop it", why);
    return false;
  }
  if (task.state == TaskState::kRunning && !task.claimed) {
    // Its worker is stopped and replaced; whatever it would have answered
    // is ignored.
    pools_.StopTask(task.id);
  }
  if (task.state == TaskState::kBuried) tasks_.Revive(task);
  LogTask(spdlog::level::debug, task, "{}", why);
  EndTask(task, TaskState::kCancelled, {}, TaskError{"tq.Cancelled", why, "cancelled"});
  return true;
}

void Supervisor::Kick(Task& task) {
  tasks_.Revive(task);
  task.mutable_extras().worker_deaths = 0;
  task.mutable_extras().finished_at_ms = 0;
  LogTask(spdlog::level::info, task, "kicked: queued again");
  Enqueue(task, clock_.Now());
  if (task.durable) Persist(task);
}

}  // namespace tq::daemon
