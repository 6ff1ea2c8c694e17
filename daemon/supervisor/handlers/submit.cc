// SUBMIT: validate against what tqd can run, queue, answer ACCEPTED.
#include <spdlog/spdlog.h>

#include "supervisor.h"
#include "task_log.h"

namespace tq::daemon {
namespace {

// "echo, fail, sleep" (at most 20 names, then "...").
template <typename Functions>
std::string FunctionList(const Functions& fns) {
  std::string out;
  int n = 0;
  for (const auto& [fn, origin] : fns) {
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
  // Its task goes with its connection: a connection already gone gets none.
  if ((m.daemon || m.pipe) && !WatchCaller(client)) return;
  if (stopping_) {
    SendError(client, m.request_id,
              {ErrorCode::kShuttingDown, "tqd is shutting down"});
    return;
  }
  if (!functions_.contains(m.fn)) {
    SendError(client, m.request_id,
              {ErrorCode::kUnknownFunction,
               "no function '" + std::string(m.fn) +
                   "'; this tqd offers: " + FunctionList(functions_) +
                   " (tq functions lists them all)"});
    return;
  }
  if (!m.key.empty()) {
    // A retried SUBMIT whose ACCEPTED was lost: the same task, not a new
    // one. This request also gets its RESULT.
    if (Task* existing = tasks_.FindByKey(std::string(m.key))) {
      if (existing->fn != m.fn) {
        SendError(client, m.request_id,
                  {ErrorCode::kBadValue,
                   "key '" + std::string(m.key) + "' already names task " +
                       std::to_string(existing->id) + " of function '" +
                       std::string(existing->fn) + "'"});
        return;
      }
      reply_.clear();
      proto::Encode(proto::Accepted{m.request_id, existing->id, true}, reply_);
      SendReply(client);
      const Waiter w{std::string(client), m.request_id};
      if (proto::IsFinal(existing->state)) {
        SendResult(*existing, w);
      } else {
        existing->waiters.push_back(w);
        ReplayProgress(*existing, w);
      }
      return;
    }
  }
  if (scheduler_.full()) {
    SendError(client, m.request_id,
              {ErrorCode::kQueueFull,
               "the queue holds its maximum of " +
                   std::to_string(scheduler_.max_queued()) +
                   " tasks; retry later"});
    return;
  }
  Task& task = tasks_.Create();
  task.fn = functions_.find(m.fn)->first;
  task.payload.assign(m.args);
  task.priority = m.priority;
  task.timeout = m.timeout_ms != 0 ? std::chrono::milliseconds(m.timeout_ms)
                                   : config_.task_timeout;
  task.max_retries = m.max_retries;
  task.retry_on = m.retry_on;
  task.chunk = m.chunk;
  TieToSubmitter(task, client, m);
  if (m.retry_backoff_ms != 0) {
    task.retry_backoff = std::chrono::milliseconds(m.retry_backoff_ms);
  }
  task.queued_at_ms = WallMs();
  task.waiters.push_back({std::string(client), m.request_id});
  tasks_.IndexKey(task, m.key);
  metrics_.TaskSubmitted(task.fn);
  Enqueue(task, clock_.Now() + std::chrono::milliseconds(m.delay_ms));
  LogTask(spdlog::level::debug, task, "queued");

  reply_.clear();
  proto::Encode(proto::Accepted{m.request_id, task.id}, reply_);
  SendReply(client);
}

}  // namespace tq::daemon
