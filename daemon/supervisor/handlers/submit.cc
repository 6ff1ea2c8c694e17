// SUBMIT: validate against what tqd can run, queue, answer ACCEPTED.
#include <spdlog/spdlog.h>

#include "supervisor.h"

namespace tq::daemon {
namespace {

// "echo, fail, sleep" (at most 20 names, then "...").
std::string FunctionList(const std::set<std::string, std::less<>>& fns) {
  std::string out;
  int n = 0;
  for (const std::string& fn : fns) {
    if (n++ == 20) return out + ", ...";
    if (!out.empty()) out += ", ";
    out += fn;
  }
  return out;
}

}  // namespace

void Supervisor::HandleSubmit(std::string_view client,
                              const proto::SubmitRequest& m) {
  using proto::ErrorCode;
  if (stopping_) {
    SendError(client, m.request_id,
              {ErrorCode::kShuttingDown, "tqd is shutting down"});
    return;
  }
  if (!functions_.contains(m.fn)) {
    SendError(client, m.request_id,
              {ErrorCode::kUnknownFunction,
               "no function '" + std::string(m.fn) +
                   "'; this tqd offers: " + FunctionList(functions_)});
    return;
  }
  if (scheduler_.full()) {
    SendError(client, m.request_id,
              {ErrorCode::kQueueFull,
               "the queue holds its maximum of " +
                   std::to_string(scheduler_.max_queued()) +
                   " tasks; retry later"});
    return;
  }
  const std::uint64_t id = next_task_id_++;
  Task& task = tasks_[id];
  task.id = id;
  task.client.assign(client);
  task.request_id = m.request_id;
  task.fn.assign(m.fn);
  task.args.assign(m.args);
  scheduler_.Push(id);
  spdlog::debug("task {} queued: {}", id, task.fn);

  reply_.clear();
  proto::Encode(proto::Accepted{m.request_id, id}, reply_);
  SendReply(client);
}

}  // namespace tq::daemon
