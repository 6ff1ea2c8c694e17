// A task's life after SUBMIT: queued, running, retried, ended; and the
// worker pool's reports that drive it.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <utility>

#include "supervisor.h"
#include "task_log.h"

namespace tq::daemon {

using proto::TaskState;

namespace {

// How many ended tasks `stats` lists.
constexpr std::size_t kRecentTasks = 20;


// "2.000 s"
std::string Seconds(base::Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f s",
                std::chrono::duration<double>(d).count());
  return buf;
}

}  // namespace

void Supervisor::Enqueue(Task& task, base::TimePoint ready_at, Place place) {
  const auto now = clock_.Now();
  const std::int64_t ready_at_ms =
      ready_at > now
          ? WallMs() + std::chrono::ceil<std::chrono::milliseconds>(ready_at - now).count()
          : 0;
  if (ready_at_ms != 0 || task.extras().ready_at_ms != 0) {
    task.mutable_extras().ready_at_ms = ready_at_ms;
  }
  if (task.state == TaskState::kRunning) {  // a retry
    metrics_.AttemptEnded(now - task.since);
    scheduler_.RunEnded(task.id);
  }
  task.since = std::max(ready_at, now);
  task.state = TaskState::kQueued;
  if (task.extras().progress) task.mutable_extras().progress.reset();  // a retry starts over
  if (place == Place::kItsOwn) {
    scheduler_.Requeue(task.id, task.priority, now, task.submitter_uid);
  } else {
    scheduler_.Push(task.id, task.priority, ready_at, now, task.submitter_uid);
  }
}

void Supervisor::AttemptFailed(Task& task, TaskState state, TaskError error) {
  OnAttemptOver(task);
  if (state == TaskState::kLost) ++task.mutable_extras().worker_deaths;
  if (stopping_) {
    // No retries while draining. A worker lost because the grace ran out
    // and we stopped it is the shutdown's doing; any other outcome is told
    // as it happened.
    if (state == TaskState::kLost && shutdown_kill_sent_) {
      EndTask(task, TaskState::kCancelled, {},
             TaskError{"tq.Cancelled", "daemon shutting down (" + error.message + ")",
                       "shutdown", error.pid});
    } else {
      EndTask(task, state, {}, std::move(error));
    }
    return;
  }
  if (state == TaskState::kLost && task.extras().worker_deaths >= config_.bury_after) {
    // A poison task: it would kill worker after worker. Park it.
    LogTask(spdlog::level::warn, task, "killed its worker {} times; buried",
            task.extras().worker_deaths);
    error.message = "killed its worker " + std::to_string(task.extras().worker_deaths) +
                    " times, last: " + error.message +
                    "; buried (tq kick " + std::to_string(task.id) +
                    " runs it again)";
    error.type = "tq.Buried";
    error.cause = "buried";
    EndTask(task, TaskState::kBuried, {}, std::move(error));
    return;
  }
  if (task.attempts <= task.max_retries && task.RetriesOn(state)) {
    constexpr std::chrono::milliseconds kMaxBackoff = std::chrono::hours(1);
    const auto backoff = std::min<std::chrono::milliseconds>(
        task.extras().retry_backoff * (1u << std::min(task.attempts - 1, 16u)), kMaxBackoff);
    LogTask(spdlog::level::debug, task, "{} (attempt {}); retrying in {} ms",
            proto::TaskStateName(state), task.attempts, backoff.count());
    // Status shows it meanwhile.
    task.mutable_extras().error = std::make_unique<TaskError>(std::move(error));
    Enqueue(task, clock_.Now() + backoff);
    if (task.durable) Persist(task);
    return;
  }
  EndTask(task, state, {}, std::move(error));
}

void Supervisor::EndTask(Task& task, TaskState state, std::string value,
                        TaskError error) {
  if (task.state == TaskState::kQueued) scheduler_.Remove(task.id);
  if (task.state == TaskState::kRunning) {
    // A claimed task, or one sent ahead, had not started: no attempt of it
    // ends here.
    if (!task.claimed && !task.prefetched) metrics_.AttemptEnded(clock_.Now() - task.since);
    scheduler_.RunEnded(task.id);
  }
  if (task.claimed) Unclaim(task);  // Dispatch drops it from claimed_
  task.prefetched = false;
  metrics_.TaskEnded(task.fn(), state);
  task.state = state;
  if (state != TaskState::kBuried) {  // a kick runs a buried task again
    // The args are never needed again, and not kept in the store.
    task.payload = std::move(value);
    if (state != TaskState::kDone) task.payload.shrink_to_fit();
  }
  TaskExtras& x = task.mutable_extras();
  x.error = error.type.empty() ? nullptr : std::make_unique<TaskError>(std::move(error));
  x.finished_at_ms = WallMs();
  x.progress.reset();
  std::erase(recent_, task.id);  // a kicked task that ends again
  recent_.push_front(task.id);
  if (recent_.size() > kRecentTasks) recent_.pop_back();
  LogTask(spdlog::level::debug, task, "{}", proto::TaskStateName(state));
  OnTaskOver(task);  // its pipe's end reaches the client before its result
  // On disk before anyone hears of it: the RESULTs below wait for it.
  if (task.durable) Persist(task);
  for (const Waiter& w : task.waiters) SendResult(task, w);
  task.waiters.clear();
  if (!drops_.empty()) AnswerDrop(task);
  tasks_.Retain(task, clock_.Now());
}

void Supervisor::AnswerDrop(const Task& task) {
  const auto it = drops_.find(task.id);
  if (it == drops_.end()) return;
  for (const Waiter& w : it->second.answer) SendStatus(task, w.client, w.request_id);
  drops_.erase(it);
}

void Supervisor::CancelLate() {
  for (std::uint64_t id : std::exchange(late_cancels_, {})) {
    Task* task = tasks_.Find(id);
    const auto it = drops_.find(id);
    if (task == nullptr || it == drops_.end() || proto::IsFinal(task->state)) continue;
    Cancel(*task, it->second.why);  // running now: its worker is stopped
  }
}

void Supervisor::SendResult(const Task& task, const Waiter& to) {
  reply_.clear();
  proto::TaskResult r;
  r.request_id = to.request_id;
  r.task_id = task.id;
  r.state = task.state;
  r.attempts = task.attempts;
  if (task.state == TaskState::kDone) {
    r.value = task.value();
  } else {
    if (task.extras().error) r.error = task.extras().error->View();
  }
  proto::Encode(r, reply_);
  ReplyAbout(task, to.client, to.request_id);
}

void Supervisor::SendStatus(const Task& task, std::string_view client,
                            std::uint64_t request_id) {
  proto::TaskStatus s;
  s.request_id = request_id;
  s.task_id = task.id;
  s.state = task.claimed || task.prefetched ? TaskState::kQueued : task.state;
  s.fn = task.fn();
  s.priority = task.priority;
  s.attempts = task.attempts;
  s.worker_pid = static_cast<std::uint32_t>(task.extras().worker_pid);
  s.queued_at_ms = task.queued_at_ms;
  s.started_at_ms = task.extras().started_at_ms;
  s.finished_at_ms = task.extras().finished_at_ms;
  if (task.name) s.name = *task.name;
  s.submitter_uid = task.submitter_uid;
  s.submitter_pid = static_cast<std::uint32_t>(task.submitter_pid);
  // The last attempt's error also while a retry waits.
  if (task.state != TaskState::kDone && task.extras().error) {
    s.error = task.extras().error->View();
  }
  reply_.clear();
  proto::Encode(s, reply_);
  ReplyAbout(task, client, request_id);
}

void Supervisor::OnWorkerRestarted(proto::RestartCause cause) {
  metrics_.WorkerRestarted(cause);
}

void Supervisor::OnWorkerReady(const Worker&, const proto::WorkerHello& hello) {
  for (std::size_t i = 0; i < hello.functions.size(); ++i) {
    const std::string_view fn = hello.functions[i];
    if (functions_.contains(fn)) continue;
    functions_.emplace(fn, i < hello.origins.size() ? hello.origins[i] : std::string_view());
  }
}

void Supervisor::ReplayProgress(const Task& task, const Waiter& to) {
  const TaskProgressState* progress = task.extras().progress.get();
  if (task.state != TaskState::kRunning || progress == nullptr) return;
  reply_.clear();
  proto::Encode(proto::TaskProgress{to.request_id, task.id, progress->done,
                                    progress->total, progress->message},
                reply_);
  SendReply(to.client);
}

void Supervisor::OnTaskResult(const Worker& worker, const proto::WorkerResult& result) {
  Task* task = tasks_.Find(result.task_id);
  if (task == nullptr || task->state != TaskState::kRunning) {
    const LogFields fields{.task = result.task_id,
                           .fn = task != nullptr ? std::string_view(task->fn()) : "",
                           .pid = worker.pid()};
    const ScopedLogFields scope(fields);
    spdlog::error("a result for a task that is not running");
    return;
  }
  // What the worker measured; a worker that does not say, as tqd saw it.
  run_times_.Record(task->fn(), task->chunk,
                    result.run_ns != 0 ? std::chrono::nanoseconds(result.run_ns)
                                       : clock_.Now() - task->since);
  if (result.state == TaskState::kDone) {
    EndTask(*task, TaskState::kDone, std::string(result.value), {});
    return;
  }
  // Only the type and message are the worker's to say; the cause is ours.
  TaskError error;
  error.type.assign(result.error.type);
  error.message.assign(result.error.message);
  error.cause = "exception";
  error.pid = static_cast<std::uint32_t>(worker.pid());
  AttemptFailed(*task, TaskState::kFailed, std::move(error));
}

void Supervisor::OnTaskProgress(const Worker&, const proto::TaskProgress& progress) {
  Task* task = tasks_.Find(progress.task_id);
  if (task == nullptr || task->state != TaskState::kRunning) return;
  std::unique_ptr<TaskProgressState>& state = task->mutable_extras().progress;
  if (!state) state = std::make_unique<TaskProgressState>();
  state->done = progress.done;
  state->total = progress.total;
  state->message.assign(progress.message);
  for (const Waiter& w : task->waiters) {
    reply_.clear();
    proto::Encode(proto::TaskProgress{w.request_id, task->id, progress.done,
                                      progress.total, progress.message},
                  reply_);
    SendReply(w.client);
  }
}

void Supervisor::OnTaskLost(std::uint64_t task_id, const DeathCause& cause) {
  Task* task = tasks_.Find(task_id);
  if (task == nullptr || task->state != TaskState::kRunning) return;
  if (const auto it = drops_.find(task_id); it != drops_.end()) {
    // Its cancel was waiting to hear whether it had started: cancelled
    // either way.
    EndTask(*task, TaskState::kCancelled, {},
            TaskError{"tq.Cancelled", it->second.why, "cancelled"});
    return;
  }
  if (cause.requeue) {
    // Its agent left asking for its tasks to run elsewhere: as if it had
    // been sent ahead and never started.
    task->prefetched = true;
    OnTaskReturned(task_id);
    return;
  }
  if (!stopping_) LogTask(spdlog::level::warn, *task, "lost: {}", cause.message);
  TaskError error;
  error.type = "tq.WorkerLost";
  error.message = cause.message;
  error.cause = cause.cause;
  error.pid = static_cast<std::uint32_t>(cause.pid);
  error.exit_code = cause.exit_code;
  error.signal = cause.signal;
  error.rss_bytes = cause.rss_bytes;
  AttemptFailed(*task, TaskState::kLost, std::move(error));
}

void Supervisor::OnPrefetchedStarted(const Worker& worker, std::uint64_t task_id) {
  Task* task = tasks_.Find(task_id);
  if (task == nullptr || !task->prefetched) return;
  task->prefetched = false;
  task->mutable_extras().worker_pid = worker.pid();
  MarkStarted(*task);
  // Its cancel came too late to drop it: it is cancelled as a running task,
  // once the pool's report is over.
  if (drops_.contains(task_id)) late_cancels_.push_back(task_id);
}

void Supervisor::OnTaskReturned(std::uint64_t task_id) {
  Task* task = tasks_.Find(task_id);
  if (task == nullptr || !task->prefetched) return;
  --task->attempts;  // it never started
  if (const auto it = drops_.find(task_id); it != drops_.end()) {
    EndTask(*task, TaskState::kCancelled, {},
            TaskError{"tq.Cancelled", it->second.why, "cancelled"});
    return;
  }
  task->prefetched = false;
  task->state = TaskState::kQueued;
  if (stopping_) {
    scheduler_.RunEnded(task_id);
    // As for the queue at shutdown: a durable task stays queued on disk,
    // any other is cancelled.
    if (task->durable) {
      Persist(*task);
    } else {
      EndTask(*task, TaskState::kCancelled, {},
              TaskError{"tq.Cancelled", "daemon shutting down", "shutdown"});
    }
    return;
  }
  LogTask(spdlog::level::debug, *task, "queued again: its worker went before it started");
  Enqueue(*task, clock_.Now(), Place::kItsOwn);
  if (task->durable) Persist(*task);
}

void Supervisor::OnTaskDropped(std::uint64_t task_id) {
  Task* task = tasks_.Find(task_id);
  if (task == nullptr || !task->prefetched) return;
  --task->attempts;  // it never started
  const auto it = drops_.find(task_id);
  EndTask(*task, TaskState::kCancelled, {},
          TaskError{"tq.Cancelled", it != drops_.end() ? it->second.why : "cancelled",
                    "cancelled"});
}

void Supervisor::OnTaskTimedOut(std::uint64_t task_id, pid_t pid,
                                std::uint64_t rss_bytes, base::Duration,
                                std::string stack) {
  Task* task = tasks_.Find(task_id);
  if (task == nullptr || task->state != TaskState::kRunning) return;
  LogTask(spdlog::level::warn, *task, "timed out after {}; stopping its worker",
          Seconds(task->extras().timeout));
  TaskError error;
  error.type = "tq.TimedOut";
  error.message = "timed out after " + Seconds(task->extras().timeout);
  error.cause = "timeout";
  error.pid = static_cast<std::uint32_t>(pid);
  error.rss_bytes = rss_bytes;
  error.timeout_ms = static_cast<std::uint64_t>(task->extras().timeout.count());
  error.stack = std::move(stack);
  AttemptFailed(*task, TaskState::kTimedOut, std::move(error));
}

}  // namespace tq::daemon
