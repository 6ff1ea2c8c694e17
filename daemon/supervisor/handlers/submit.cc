// SUBMIT: validate against what tqd can run, queue, answer ACCEPTED (unless
// the submit asked for none: `ack` false, PROTOCOL.md §2; its errors and its
// RESULT, by its req, still go).
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
    Task* existing = tasks_.FindByKey(std::string(m.key));
    // A resumable map's item that failed before: a new task takes the key.
    if (existing != nullptr && m.rerun_failed && proto::IsFinal(existing->state) &&
        existing->state != proto::TaskState::kDone && existing->fn() == m.fn) {
      tasks_.ReleaseKey(*existing);
      tasks_.SetName(*existing, {});  // no longer one of the job's items
      existing = nullptr;
    }
    // A retried SUBMIT whose ACCEPTED was lost: the same task, not a new
    // one. This request also gets its RESULT.
    if (existing != nullptr) {
      if (existing->fn() != m.fn) {
        SendError(client, m.request_id,
                  {ErrorCode::kBadValue,
                   "key '" + std::string(m.key) + "' already names task " +
                       std::to_string(existing->id) + " of function '" +
                       std::string(existing->fn()) + "'"});
        return;
      }
      if (m.ack) {
        reply_.clear();
        proto::Encode(proto::Accepted{m.request_id, existing->id, true}, reply_);
        ReplyAbout(*existing, client, m.request_id);
      }
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
  if (queued() >= scheduler_.max_queued()) {
    SendError(client, m.request_id,
              {ErrorCode::kQueueFull,
               "the queue holds its maximum of " +
                   std::to_string(scheduler_.max_queued()) +
                   " tasks; retry later"});
    return;
  }
  Task& task = tasks_.Create();
  task.fn_name = &*fn_names_.emplace(m.fn).first;
  task.payload.assign(m.args);
  task.priority = m.priority;
  const std::chrono::milliseconds timeout =
      m.timeout_ms != 0 ? std::chrono::milliseconds(m.timeout_ms) : config_.task_timeout;
  if (timeout.count() != 0) task.mutable_extras().timeout = timeout;
  task.max_retries = m.max_retries;
  task.retry_on = m.retry_on;
  task.chunk = m.chunk;
  TieToSubmitter(task, client, m);
  if (m.retry_backoff_ms != 0) {
    task.mutable_extras().retry_backoff = std::chrono::milliseconds(m.retry_backoff_ms);
  }
  task.queued_at_ms = WallMs();
  task.submitter_uid = sender_.uid;
  task.submitter_pid = sender_.pid;
  task.waiters.push_back({std::string(client), m.request_id});
  tasks_.IndexKey(task, m.key);
  tasks_.SetName(task, m.name);
  metrics_.TaskSubmitted(task.fn());
  Enqueue(task, clock_.Now() + std::chrono::milliseconds(m.delay_ms));
  ReserveIds();
  // A daemon task or a piped one is tied to its submitter's connection,
  // which no restart of tqd keeps: such a task is never durable.
  const bool tied = m.daemon || m.pipe;
  if (!tied && m.durable.value_or(config_.durable)) {
    // ACCEPTED only once it is on disk, STORE_FAILED if it cannot be
    // (RefuseTask, queued first, answers before the ACCEPTED would).
    PersistNew(task, m.args, m.key);
    const std::uint64_t seq = task.extras().insert_seq;
    journal_->AfterCommit(seq, [this, id = task.id, seq](const proto::Status& s) {
      if (!s.ok()) RefuseTask(id, seq, s);
    });
  }
  LogTask(spdlog::level::debug, task, "queued{}", task.durable ? " (durable)" : "");

  // Ack-less: a durable task's STORE_FAILED still comes (RefuseTask
  // answers its waiters), and its RESULT waits for the disk (SendResult).
  if (!m.ack) return;
  reply_.clear();
  proto::Encode(proto::Accepted{m.request_id, task.id}, reply_);
  ReplyAbout(task, client, m.request_id);
}

}  // namespace tq::daemon
