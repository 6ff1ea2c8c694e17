// Durable tasks: recovery from the store at start, the writes a durable
// task's life makes, and the rule that nothing about a durable task is told
// (ACCEPTED, RESULT, task_status) or done (handing it to a worker) before
// what it depends on is on disk.
//
// A durable task's writes go into the Journal's batch of the loop turn they
// happen in; Task::write_seq names that batch. ReplyAbout() holds a reply
// about the task until its write_seq is committed. A submit's insert that
// fails to commit is answered STORE_FAILED instead of ACCEPTED (RefuseTask,
// queued before the ACCEPTED) and the task forgotten: it was never
// acknowledged. Any other write that fails leaves the task going in memory
// (its state on disk goes stale: README, Durability), and the operator is
// told once.
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>

#include "supervisor.h"

namespace tq::daemon {

using proto::ErrorCode;
using proto::Status;
using proto::TaskState;

namespace {

// Ids reserved on disk at a time: the ceiling is raised by this much when
// half of it is used, one small write per 512k tasks.
constexpr std::uint64_t kIdBlock = 1 << 20;

std::string EncodeError(const TaskError* error) {
  if (error == nullptr) return {};
  proto::Buffer out;
  proto::EncodeErrorInfo(error->View(), out);
  return std::string(out.view());
}

std::unique_ptr<TaskError> DecodeError(const std::string& bytes) {
  if (bytes.empty()) return nullptr;
  auto info = proto::DecodeErrorInfo(bytes);
  if (!info.ok()) {
    return std::make_unique<TaskError>(
        TaskError{"tq.StoreError", "the error kept in the store does not decode: " +
                                       info.status().message(), "store"});
  }
  return std::make_unique<TaskError>(TaskError::From(*info));
}

store::TaskLifecycle LifecycleOf(const Task& t) {
  store::TaskLifecycle life;
  life.state = static_cast<std::uint8_t>(t.state);
  life.attempts = t.attempts;
  life.worker_deaths = t.extras().worker_deaths;
  life.ready_at_ms = t.state == TaskState::kQueued ? t.extras().ready_at_ms : 0;
  life.started_at_ms = t.extras().started_at_ms;
  life.finished_at_ms = t.extras().finished_at_ms;
  if (t.state == TaskState::kDone) life.value = t.value();
  life.error = EncodeError(t.state == TaskState::kDone ? nullptr : t.extras().error.get());
  return life;
}

}  // namespace

Status Supervisor::Recover() {
  const std::int64_t wall_now = WallMs();
  const base::TimePoint now = clock_.Now();
  const auto ttl_ms = config_.retention.ttl.count();
  store::Batch fixes;  // what recovery itself changes, committed before serving
  struct Ended {
    std::int64_t at_ms;
    std::uint64_t id;
  };
  std::vector<Ended> ended;
  std::uint64_t queued = 0, returned = 0, requeued = 0, lost = 0, expired = 0;
  // Which "running" tasks were handed to a worker, and which only claimed.
  auto started = store::StartLog::Read(config_.state_dir);
  if (!started.ok()) return started.status();
  Status scan = store_->ForEachTask([&](store::TaskRecord& r) -> Status {
    const auto state = static_cast<TaskState>(r.life.state);
    const bool final_state = proto::IsFinal(state);
    if (final_state && wall_now - r.life.finished_at_ms >= ttl_ms) {
      fixes.Delete(r.id);  // its result expired while tqd was down
      ++expired;
      return Status::Ok();
    }
    Task& t = tasks_.Restore(r.id);
    t.durable = true;
    t.fn_name = &*fn_names_.emplace(r.fn).first;
    t.priority = r.priority;
    t.max_retries = r.max_retries;
    t.retry_on = r.retry_on;
    t.chunk = r.chunk;
    t.queued_at_ms = r.queued_at_ms;
    t.submitter_uid = r.submitter_uid;
    t.submitter_pid = static_cast<pid_t>(r.submitter_pid);
    t.attempts = r.life.attempts;
    t.set_extras({.timeout = std::chrono::milliseconds(r.timeout_ms),
                  .retry_backoff = std::chrono::milliseconds(r.retry_backoff_ms),
                  .started_at_ms = r.life.started_at_ms,
                  .finished_at_ms = r.life.finished_at_ms,
                  .worker_deaths = r.life.worker_deaths,
                  .error = DecodeError(r.life.error)});
    tasks_.IndexKey(t, r.key);
    tasks_.SetName(t, r.name);
    ++durable_tasks_;
    if (state == TaskState::kDone) {
      t.payload = std::move(r.life.value);
    } else if (!final_state || state == TaskState::kBuried) {
      t.payload = std::move(r.args);  // to run, or to run again on a kick
    }
    if (state == TaskState::kQueued) {
      const std::int64_t wait_ms = std::max<std::int64_t>(r.life.ready_at_ms - wall_now, 0);
      Enqueue(t, now + std::chrono::milliseconds(wait_ms));
      ++queued;
    } else if (state == TaskState::kRunning && !started->contains({r.id, r.life.attempts})) {
      // Claimed, never handed to a worker: queued again, as it was.
      t.attempts = r.life.attempts - std::min<std::uint32_t>(r.life.attempts, 1);
      t.mutable_extras().started_at_ms = 0;
      Enqueue(t, now);
      fixes.Update({t.id, LifecycleOf(t)});
      ++returned;
    } else if (state == TaskState::kRunning) {
      // It may have run, wholly or in part: again only if it may be retried.
      TaskError error{"tq.WorkerLost", "daemon restarted while it was running", "restart"};
      if (t.attempts <= t.max_retries && t.RetriesOn(TaskState::kLost)) {
        t.mutable_extras().error = std::make_unique<TaskError>(std::move(error));
        Enqueue(t, now);
        ++requeued;
      } else {
        t.state = TaskState::kLost;
        t.mutable_extras().finished_at_ms = wall_now;
        t.payload.clear();
        t.mutable_extras().error = std::make_unique<TaskError>(std::move(error));
        ended.push_back({wall_now, t.id});
        ++lost;
      }
      fixes.Update({t.id, LifecycleOf(t)});
    } else {
      t.state = state;
      ended.push_back({t.extras().finished_at_ms, t.id});
    }
    return Status::Ok();
  });
  if (!scan.ok()) return scan;
  // Into the result store in the order they ended, with the TTL counted
  // from then.
  std::sort(ended.begin(), ended.end(), [](const Ended& a, const Ended& b) {
    return a.at_ms != b.at_ms ? a.at_ms < b.at_ms : a.id < b.id;
  });
  for (const Ended& e : ended) {
    Task* t = tasks_.Find(e.id);
    tasks_.Retain(*t, now - std::chrono::milliseconds(wall_now - e.at_ms));
  }
  // Ids start above every id handed out before, durable or not.
  const std::uint64_t next = std::max(store_->id_ceiling() + 1, tasks_.next_id());
  tasks_.set_next_id(next);
  id_ceiling_ = next - 1 + kIdBlock;
  fixes.SetIdCeiling(id_ceiling_);
  TQ_RETURN_IF_ERROR(store_->CommitNow(fixes));
  // Only now that the fixes are on disk may the old starts be forgotten.
  auto log = store::StartLog::Create(config_.state_dir);
  if (!log.ok()) return log.status();
  start_log_.emplace(std::move(*log));
  if (queued + returned + requeued + lost + ended.size() != 0) {
    spdlog::info("recovered from {}: {} queued ({} of them claimed but not started), {} "
                 "requeued and {} lost (running when tqd stopped), {} results kept, {} expired",
                 store_->path(), queued + returned, returned, requeued, lost,
                 ended.size() - lost, expired);
  }
  return Status::Ok();
}

void Supervisor::ReserveIds() {
  if (raising_ceiling_ || tasks_.next_id() + kIdBlock / 2 <= id_ceiling_) return;
  if (tasks_.next_id() > id_ceiling_) {
    // Only if half a block went by within one commit: wait for the disk
    // rather than hand out an id a restart could hand out again.
    (void)journal_->Drain();
    store::Batch raise;
    raise.SetIdCeiling(tasks_.next_id() - 1 + kIdBlock);
    if (store_->CommitNow(raise).ok()) id_ceiling_ = tasks_.next_id() - 1 + kIdBlock;
    return;
  }
  raising_ceiling_ = true;
  const std::uint64_t ceiling = id_ceiling_ + kIdBlock;
  journal_->batch().SetIdCeiling(ceiling);
  journal_->AfterCommit(journal_->seq(), [this, ceiling](const Status& s) {
    raising_ceiling_ = false;
    if (s.ok()) id_ceiling_ = ceiling;
  });
}

void Supervisor::PersistNew(Task& task, std::string_view args, std::string_view key) {
  task.durable = true;
  ++durable_tasks_;
  store::TaskRecord r;
  r.id = task.id;
  r.fn.assign(task.fn());
  r.args.assign(args);
  r.priority = task.priority;
  r.timeout_ms = task.extras().timeout.count();
  r.max_retries = task.max_retries;
  r.retry_on = task.retry_on;
  r.retry_backoff_ms = task.extras().retry_backoff.count();
  r.chunk = task.chunk;
  r.key.assign(key);
  r.queued_at_ms = task.queued_at_ms;
  if (task.name != nullptr) r.name = *task.name;
  r.submitter_uid = task.submitter_uid;
  r.submitter_pid = task.submitter_pid;
  r.life = LifecycleOf(task);
  journal_->batch().Put(std::move(r));
  TaskExtras& x = task.mutable_extras();
  x.insert_seq = x.write_seq = journal_->seq();
}

void Supervisor::Persist(Task& task) {
  if (!task.durable) return;
  journal_->batch().Update({task.id, LifecycleOf(task)});
  task.mutable_extras().write_seq = journal_->seq();
}

void Supervisor::ReplyAbout(const Task& task, std::string_view client,
                            std::uint64_t request_id) {
  if (!task.durable || journal_->Done(task.extras().write_seq)) {
    SendReply(client);
    return;
  }
  journal_->AfterCommit(
      task.extras().write_seq,
      [this, client = std::string(client), request_id, bytes = std::string(reply_.view()),
       insert_seq = task.extras().insert_seq, seq = task.extras().write_seq](const Status& s) {
        // Its insert failed in this very batch: it was never accepted.
        if (!s.ok() && insert_seq == seq) {
          Refuse(client, request_id, s);
          return;
        }
        SendBytes(client, bytes);
      });
}

void Supervisor::RefuseTask(std::uint64_t task_id, std::uint64_t seq, const Status& why) {
  Task* task = tasks_.Find(task_id);
  if (task == nullptr || task->extras().insert_seq != seq) return;
  for (const Waiter& w : task->waiters) Refuse(w.client, w.request_id, why);
  spdlog::debug("task {} refused: {}", task_id, why.message());
  if (task->state == TaskState::kQueued) scheduler_.Remove(task_id);
  // Running, it is only claimed (its start had not reached the disk either):
  // Dispatch skips it once it is gone.
  if (task->claimed) Unclaim(*task);
  --durable_tasks_;
  tasks_.Forget(task_id);
}

void Supervisor::Refuse(std::string_view client, std::uint64_t request_id, const Status& why) {
  if (!refused_.emplace(std::string(client), request_id).second) return;
  SendError(client, request_id,
            {ErrorCode::kStoreFailed, "the task could not be written to tqd's store (" +
                                          why.message() + "); it was not accepted"});
}

void Supervisor::Claim(Task& task) {
  task.state = TaskState::kRunning;
  // Within a commit of the start (StartOn sets it again).
  task.mutable_extras().started_at_ms = WallMs();
  task.claimed = true;
  ++claims_;
  ++task.attempts;
  Persist(task);  // its start, on disk before it runs
  // In priority order, FIFO within one: behind the last claim that ranks
  // as high (usually the back, so this is a push_back). Cancelled claims
  // on the way are passed; Dispatch drops them.
  auto at = claimed_.end();
  while (at != claimed_.begin()) {
    const Task* before = tasks_.Find(*std::prev(at));
    if (before != nullptr && before->claimed && before->priority >= task.priority) break;
    --at;
  }
  claimed_.insert(at, task.id);
}

bool Supervisor::LogStart(const Task& task) {
  const Status s = start_log_->Append(task.id, task.attempts);
  if (s.ok()) {
    if (start_log_failing_) spdlog::info("the start log is written again");
    start_log_failing_ = false;
    return true;
  }
  if (!start_log_failing_) {
    spdlog::error("{}; durable tasks wait until it can be written", s.message());
  }
  start_log_failing_ = true;
  return false;
}

void Supervisor::TrimStartLog() {
  // The entries that still tell something: of each durable task whose
  // store row may say "running" for an attempt that went to a worker.
  std::vector<store::StartLog::Entry> keep;
  tasks_.ForEach([&](const Task& t) {
    if (!t.durable) return;
    const bool row_may_say_running =
        (t.state == TaskState::kRunning && !t.claimed) || !journal_->Done(t.extras().write_seq);
    if (!row_may_say_running || t.attempts == 0) return;
    // A claimed retry's row may still show its previous attempt.
    keep.emplace_back(t.id, t.claimed ? t.attempts - 1 : t.attempts);
  });
  if (const Status s = start_log_->Rewrite(keep); !s.ok()) {
    spdlog::warn("the start log could not be trimmed: {}", s.message());
  }
}

void Supervisor::Unclaim(Task& task) {
  task.claimed = false;
  --claims_;
}

void Supervisor::ReturnClaims() {
  for (std::uint64_t id : claimed_) {
    Task* task = tasks_.Find(id);
    if (task == nullptr || !task->claimed) continue;
    Unclaim(*task);
    scheduler_.RunEnded(id);
    --task->attempts;  // it never started
    task->state = TaskState::kQueued;
    Persist(*task);    // queued on disk, for the next start
  }
  claimed_.clear();
}

void Supervisor::OnCommitted() {
  // Claim as many ahead as were started during one commit, twice over: the
  // next commit then finds enough on disk to keep every worker busy.
  claim_ahead_ = std::clamp<std::size_t>(2 * durable_starts_,
                                         2 * pools_.size(), 4096);
  durable_starts_ = 0;
  const Status& s = journal_->last_status();
  if (s.ok()) {
    refused_.clear();
    if (!store_error_.empty()) {
      spdlog::info("the task store {} commits again", store_->path());
      store_error_.clear();
    }
  } else if (store_error_.empty()) {
    store_error_ = s.message();
    spdlog::error("the task store cannot commit: {}; durable submits get STORE_FAILED until "
                  "it can (non-durable work goes on)",
                  store_error_);
  }
}

std::uint64_t Supervisor::StoreBytes() const {
  std::uint64_t bytes = 0;
  for (const std::string& path : {store_->path(), store_->path() + "-wal"}) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) bytes += static_cast<std::uint64_t>(st.st_size);
  }
  return bytes;
}

void Supervisor::HandleJob(std::string_view client, const proto::JobRequest& m) {
  proto::JobReply r;
  r.request_id = m.request_id;
  r.name = m.name;
  std::vector<const Task*> failures;
  tasks_.ForEach([&](const Task& t) {
    if (t.name == nullptr || *t.name != m.name) return;
    // An item's failed task that a rerun replaced (before a restart: in
    // memory it let go of its key and name) is not the item's any more.
    if (t.key != nullptr && tasks_.FindByKey(*t.key) != &t) return;
    switch (t.state) {
      case TaskState::kQueued: ++r.queued; break;
      case TaskState::kRunning: ++r.running; break;
      case TaskState::kDone: ++r.done; break;
      default:
        ++r.failed;
        failures.push_back(&t);
    }
  });
  const std::size_t shown = std::min(failures.size(), proto::kMaxJobFailures);
  std::partial_sort(failures.begin(), failures.begin() + static_cast<std::ptrdiff_t>(shown),
                    failures.end(), [](const Task* a, const Task* b) { return a->id < b->id; });
  for (std::size_t i = 0; i < shown; ++i) {
    const Task& t = *failures[i];
    r.failures.push_back({t.id, t.key != nullptr ? std::string_view(*t.key) : "", t.state,
                          t.extras().error ? std::string_view(t.extras().error->message) : ""});
  }
  reply_.clear();
  proto::Encode(r, reply_);
  SendReply(client);
}

}  // namespace tq::daemon
