// What goes with a client connection or a task, and so must be cleaned up
// when either ends: a connection's parked object calls and locks, its
// daemon tasks and its ends of task pipes; a task's locks and its pipe.
#include <spdlog/spdlog.h>

#include "supervisor.h"

namespace tq::daemon {

bool Supervisor::WatchCaller(std::string_view client) {
  if (incoming_ == nullptr || !watch_) return true;
  // The payload, not the identity: ROUTER makes the identity frame itself,
  // so only frames that came off the wire carry their connection's fd.
  if (watch_->Watch(client, incoming_->payload)) return true;
  spdlog::debug("a request from a connection that is already gone; dropped");
  return false;
}

void Supervisor::DrainWatch() {
  if (watch_) watch_->Drain();
}

void Supervisor::OnClientGone(const std::string& client) {
  batching_clients_.erase(client);
  objects_.ClientGone(client, clock_.Now());
  if (auto it = daemon_tasks_.find(client); it != daemon_tasks_.end()) {
    const std::vector<std::uint64_t> ids = std::move(it->second);
    daemon_tasks_.erase(it);
    for (std::uint64_t id : ids) {
      Task* task = tasks_.Find(id);
      if (task == nullptr || proto::IsFinal(task->state)) continue;
      spdlog::debug("task {}: its daemon's client disconnected; cancelling it", id);
      Cancel(*task, "cancelled: the client that started it (daemon) disconnected");
    }
  }
  for (auto& [task_id, pipe] : pipes_) {
    if (pipe.client != client || !pipe.client_open) continue;
    pipe.client_open = false;
    ClosePipeToTask(task_id, pipe);
  }
}

void Supervisor::TieToSubmitter(Task& task, std::string_view client,
                                const proto::SubmitRequest& m) {
  task.daemon = m.daemon;
  task.pipe = m.pipe;
  if (m.pipe) pipes_.emplace(task.id, TaskPipe{std::string(client), m.request_id});
  if (m.daemon) {
    std::vector<std::uint64_t>& ids = daemon_tasks_[std::string(client)];
    // Ended ones are dropped now and then, so a long-lived client's list
    // stays as long as its unfinished daemon tasks, give or take.
    if (ids.size() >= 64 && (ids.size() & (ids.size() - 1)) == 0) {
      std::erase_if(ids, [&](std::uint64_t id) {
        const Task* t = tasks_.Find(id);
        return t == nullptr || proto::IsFinal(t->state);
      });
    }
    ids.push_back(task.id);
  }
}

void Supervisor::OnAttemptOver(const Task& task) { objects_.TaskEnded(task.id, clock_.Now()); }

void Supervisor::OnTaskOver(const Task& task) {
  objects_.TaskEnded(task.id, clock_.Now());
  if (!task.pipe) return;
  auto it = pipes_.find(task.id);
  if (it == pipes_.end()) return;
  // A task that ends closes its end.
  if (it->second.task_open) {
    reply_.clear();
    proto::Encode(proto::PipeMessage{it->second.request_id, task.id, {}, true}, reply_);
    SendReply(it->second.client);
  }
  pipes_.erase(it);
}

}  // namespace tq::daemon
