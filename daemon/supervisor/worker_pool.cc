// WorkerPool.
#include "worker_pool.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <variant>

namespace tq::daemon {
namespace {

using namespace std::chrono_literals;

// A worker that dies on its own sooner than this after its start (or before
// its hello) counts as a crash loop; its successor waits kFirstBackoff,
// doubling up to kMaxBackoff.
constexpr auto kQuickDeath = 1s;
constexpr auto kFirstBackoff = 100ms;
constexpr auto kMaxBackoff = 10s;
// How often busy workers' RSS is sampled, so a worker the kernel kills
// for memory is reported with the size it had reached.
constexpr auto kRssSampleInterval = 1s;

long long Ms(base::Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

std::string MiB(std::uint64_t bytes) {
  return std::to_string((bytes + (1 << 19)) >> 20) + " MiB";
}

}  // namespace

WorkerPool::WorkerPool(WorkerCommand command, int size, PoolSettings settings,
                       const base::Clock& clock, Listener& listener)
    : command_(std::move(command)),
      size_(size),
      settings_(std::move(settings)),
      clock_(clock),
      listener_(listener),
      slots_(static_cast<std::size_t>(size)),
      decoder_(command_.limits) {
  (void)oom_.IncreasedSinceLastCheck();  // the baseline
}

proto::Status WorkerPool::Start() {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    auto w = Worker::Spawn(static_cast<int>(i), command_, clock_.Now());
    if (!w.ok()) return w.status();
    spdlog::debug("worker {} (pid {}) started", i, w->pid());
    slots_[i].worker.emplace(std::move(*w));
  }
  return proto::Status::Ok();
}

void WorkerPool::Resize(int size) {
  const auto n = static_cast<std::size_t>(size);
  if (slots_.size() < n) slots_.resize(n);
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    const bool retire = i >= n;
    if (retire && !s.retired) {
      s.retired = true;
      s.respawn_at.reset();
      if (s.worker && s.worker->state() == Worker::State::kIdle) {
        Retire(s, "the pool shrinks");
      }
    } else if (!retire && (s.retired || (!s.worker && !s.respawn_at))) {
      s.retired = false;
      if (!s.worker && !shutting_down_) SpawnInto(static_cast<int>(i));
    }
  }
  size_ = size;
}

void WorkerPool::SpawnInto(int slot) {
  Slot& s = slots_[static_cast<std::size_t>(slot)];
  s.respawn_at.reset();
  s.kill_reason.clear();
  s.closed_pipe = false;
  s.expected_exit = false;
  auto w = Worker::Spawn(slot, command_, clock_.Now());
  if (!w.ok()) {
    // fd or process exhaustion: try again later rather than shrink for good.
    spdlog::error("cannot start worker {}: {}; retrying in {} ms", slot,
                  w.status().message(), Ms(kMaxBackoff));
    s.respawn_at = clock_.Now() + kMaxBackoff;
    return;
  }
  spdlog::debug("worker {} (pid {}) started", slot, w->pid());
  s.worker.emplace(std::move(*w));
}

void WorkerPool::OnReadable(int slot) {
  Slot& s = slots_[static_cast<std::size_t>(slot)];
  if (!s.worker) return;
  const auto status = s.worker->ReadFrames([&](std::string_view frame) {
    if (s.worker && s.worker->state() != Worker::State::kExiting) {
      HandleFrame(s, frame);
    }
  });
  if (!s.worker || s.worker->state() == Worker::State::kExiting) return;
  if (status == Worker::ReadStatus::kTooLarge) {
    Evict(s, "sent a frame over the size limit");
  } else if (status == Worker::ReadStatus::kClosed) {
    // It closed its result pipe: it is exiting. SIGCHLD tells us how; one
    // that lives on can never answer again and is killed after the grace.
    if (s.worker->state() == Worker::State::kCapturing) return;  // ptraced
    s.worker->Detach();
    if (s.worker->TryReap()) {
      Bury(slot);
    } else {
      s.closed_pipe = true;
      s.worker->KillAt(clock_.Now() + settings_.stop_grace);
    }
  }
}

void WorkerPool::OnWritable(int slot) {
  Slot& s = slots_[static_cast<std::size_t>(slot)];
  if (s.worker && !s.worker->Flush()) {
    // EPIPE: it is gone; the read side and SIGCHLD will report how.
    s.worker->CloseInput();
  }
}

void WorkerPool::OnCaptureReadable(int slot) {
  Slot& s = slots_[static_cast<std::size_t>(slot)];
  if (s.worker && s.worker->capture() && s.worker->capture()->ReadSome()) {
    FinishTimeout(s);
  }
}

void WorkerPool::HandleFrame(Slot& s, std::string_view frame) {
  Worker& w = *s.worker;
  auto message = decoder_.DecodeFromWorker(frame);
  if (!message.ok()) {
    Evict(s, "sent a malformed frame (" + message.status().message() + ")");
    return;
  }
  if (auto* hello = std::get_if<proto::WorkerHello>(&*message)) {
    if (w.state() != Worker::State::kStarting) {
      Evict(s, "said hello twice");
      return;
    }
    w.MarkIdle();
    if (!s.said_hello) {
      s.said_hello = true;
      ++ready_count_;
      if (ready()) ever_ready_ = true;
    }
    spdlog::debug("worker {} (pid {}) ready with {} functions", w.slot(),
                  w.pid(), hello->functions.size());
    listener_.OnWorkerReady(w, *hello);
    if (shutting_down_ || s.retired) Retire(s, "the pool shrinks");
    return;
  }
  if (auto* progress = std::get_if<proto::TaskProgress>(&*message)) {
    // Late progress of a task that timed out or was cancelled is dropped.
    if (w.state() == Worker::State::kBusy && w.task() == progress->task_id) {
      listener_.OnTaskProgress(w, *progress);
    }
    return;
  }
  const auto& result = std::get<proto::WorkerResult>(*message);
  if (w.state() == Worker::State::kCapturing) return;  // too late: timed out
  if (w.state() != Worker::State::kBusy || *w.task() != result.task_id) {
    Evict(s, "sent a result for task " + std::to_string(result.task_id) +
                 " it was not running");
    return;
  }
  listener_.OnTaskResult(w, result);
  w.Finish();
  AfterTask(s);
}

void WorkerPool::AfterTask(Slot& s) {
  Worker& w = *s.worker;
  if (shutting_down_ || s.retired) {
    Retire(s, "the pool shrinks");
    return;
  }
  if (settings_.max_tasks_per_worker != 0 &&
      w.tasks_done() >= settings_.max_tasks_per_worker) {
    Retire(s, "recycled after max_tasks_per_worker tasks");
    return;
  }
  if (settings_.max_rss_bytes != 0) {
    w.set_rss_bytes(ReadRssBytes(w.pid()));
    if (w.rss_bytes() > settings_.max_rss_bytes) {
      spdlog::info("worker {} (pid {}) at {} RSS, over max_rss_per_worker {}; recycling",
                   w.slot(), w.pid(), MiB(w.rss_bytes()), MiB(settings_.max_rss_bytes));
      Retire(s, nullptr);
    }
  }
}

void WorkerPool::Retire(Slot& s, const char* why) {
  if (why != nullptr && !shutting_down_) {
    spdlog::info("worker {} (pid {}): {}", s.worker->slot(), s.worker->pid(), why);
  }
  s.expected_exit = true;
  // It exits on EOF; SIGCHLD reports it. Not idle any more: nothing may be
  // dispatched to it, and there is nothing left to read from it.
  s.worker->Detach();
}

void WorkerPool::Evict(Slot& s, const std::string& reason) {
  Worker& w = *s.worker;
  spdlog::warn("worker {} (pid {}) {}; killing it", w.slot(), w.pid(), reason);
  s.kill_reason = reason;
  if (w.capture()) (void)w.capture()->Finish();
  w.Kill(SIGKILL);
  w.Detach();
}

void WorkerPool::FinishTimeout(Slot& s) {
  Worker& w = *s.worker;
  std::string stack;
  if (w.capture()) {
    stack = w.capture()->Finish();
    w.capture().reset();
  }
  const auto now = clock_.Now();
  const base::Duration ran_for = now - w.task_started_at();
  const pid_t pid = w.pid();
  const std::uint64_t rss = std::max(w.rss_bytes(), ReadRssBytes(pid));
  std::optional<std::uint64_t> task = w.TakeTask();
  s.expected_exit = true;
  w.Stop(now + settings_.stop_grace);
  if (task) listener_.OnTaskTimedOut(*task, pid, rss, ran_for, std::move(stack));
}

bool WorkerPool::StopTask(std::uint64_t task_id) {
  for (Slot& s : slots_) {
    if (!s.worker || s.worker->task() != task_id) continue;
    Worker& w = *s.worker;
    if (w.capture()) {
      (void)w.capture()->Finish();
      w.capture().reset();
    }
    (void)w.TakeTask();
    s.expected_exit = true;
    w.Stop(clock_.Now() + settings_.stop_grace);
    return true;
  }
  return false;
}

void WorkerPool::ReapExited() {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if (!s.worker || !s.worker->TryReap()) continue;
    // A result written just before death is still in the pipe: read it
    // before declaring the task lost.
    if (s.worker->state() != Worker::State::kExiting) {
      OnReadable(static_cast<int>(i));
      if (!s.worker) continue;  // OnReadable buried it
    }
    Bury(static_cast<int>(i));
  }
}

DeathCause WorkerPool::CauseOfDeath(const Slot& s, const Worker& w) {
  const base::ExitStatus exit = w.exit_status().value_or(base::ExitStatus{});
  DeathCause c;
  c.pid = w.pid();
  c.rss_bytes = w.rss_bytes();
  const std::string who = "worker " + std::to_string(c.pid) + " ";
  if (!s.kill_reason.empty()) {
    c.cause = "protocol";
    c.signal = SIGKILL;
    c.message = who + s.kill_reason + "; killed";
  } else if (exit.signaled) {
    c.signal = exit.signal;
    if (exit.signal == SIGKILL && oom_.IncreasedSinceLastCheck()) {
      c.cause = "oom";
      c.message = who + "killed by the kernel's OOM killer (signal 9)";
    } else {
      c.cause = "signal";
      c.message = who + exit.Describe();
    }
    if (c.rss_bytes != 0) c.message += "; RSS last seen " + MiB(c.rss_bytes);
  } else {
    c.cause = "exit";
    c.exit_code = exit.code;
    c.message = who + exit.Describe();
  }
  return c;
}

void WorkerPool::Bury(int slot) {
  Slot& s = slots_[static_cast<std::size_t>(slot)];
  Worker& w = *s.worker;
  if (w.capture()) (void)w.capture()->Finish();
  const DeathCause cause = CauseOfDeath(s, w);
  // A crash loop: it died before saying hello, or went on its own (not
  // killed from outside) soon after. More of the same would only spin.
  const bool quick = clock_.Now() - w.started_at() < kQuickDeath;
  const bool on_its_own = !(cause.signal && *cause.signal == SIGKILL);
  const bool crash_loop = !w.greeted() || (quick && on_its_own);
  // A worker that a task killed is replaced at once: the task is to blame
  // (and is buried if it keeps doing it). Backoff is for workers that die
  // on their own, which more workers would only repeat.
  bool task_killed_it = false;
  if (auto task = w.TakeTask()) {
    task_killed_it = true;
    listener_.OnTaskLost(*task, cause);
  }
  s.kill_reason.clear();
  s.worker.reset();

  if (shutting_down_ || s.retired) {
    spdlog::debug("{}; not replaced", cause.message);
    return;
  }
  if (!s.said_hello && !s.expected_exit && !ever_ready_ && start_failure_.empty()) {
    // Before the pool ever served, a dying worker means a broken set-up
    // (bad plugin, wrong worker program): report it instead of looping.
    start_failure_ = cause.message + " before saying hello";
    return;
  }
  base::Duration delay{0};
  if (s.expected_exit || task_killed_it) {
    s.quick_deaths = 0;
    if (task_killed_it) spdlog::info("worker {} ({}); replacing it", slot, cause.message);
  } else {
    s.quick_deaths = crash_loop ? s.quick_deaths + 1 : 0;
    if (s.quick_deaths > 0) {
      delay = std::min<base::Duration>(
          kFirstBackoff * (1 << std::min(s.quick_deaths - 1, 7)), kMaxBackoff);
    }
    spdlog::warn("worker {} ({}); respawning in {} ms", slot, cause.message,
                 Ms(delay));
  }
  if (delay == base::Duration{0}) {
    SpawnInto(slot);
  } else {
    s.respawn_at = clock_.Now() + delay;
  }
}

void WorkerPool::RunExpired() {
  const auto now = clock_.Now();
  const bool sample = now >= next_rss_sample_;
  if (sample) next_rss_sample_ = now + kRssSampleInterval;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if (!s.worker) {
      if (s.respawn_at && *s.respawn_at <= now && !shutting_down_ && !s.retired) {
        SpawnInto(static_cast<int>(i));
      }
      continue;
    }
    Worker& w = *s.worker;
    switch (w.state()) {
      case Worker::State::kStarting:
        if (now - w.started_at() >= command_.start_timeout) {
          Evict(s, "did not say hello within " +
                       std::to_string(command_.start_timeout.count()) + " ms");
        }
        break;
      case Worker::State::kBusy:
        if (sample) w.set_rss_bytes(ReadRssBytes(w.pid()));
        if (w.deadline() && *w.deadline() <= now) {
          auto capture = settings_.stack_tool.empty()
                             ? proto::Result<StackCapture>(proto::Status(
                                   proto::ErrorCode::kConfig, "no stack tool"))
                             : StackCapture::Start(settings_.stack_tool, w.pid(),
                                                   now + settings_.capture_timeout);
          if (capture.ok()) {
            w.set_rss_bytes(std::max(w.rss_bytes(), ReadRssBytes(w.pid())));
            w.BeginCapture(std::move(*capture));
          } else {
            FinishTimeout(s);
          }
        }
        break;
      case Worker::State::kCapturing:
        if (w.capture() && w.capture()->deadline() <= now) FinishTimeout(s);
        break;
      case Worker::State::kExiting:
        if (w.kill_at() && *w.kill_at() <= now) {
          if (s.closed_pipe) s.kill_reason = "closed its result pipe but did not exit";
          w.KillNow();
        }
        break;
      case Worker::State::kIdle:
        break;
    }
  }
}

std::optional<base::Duration> WorkerPool::TimeUntilNextDeadline() const {
  std::optional<base::Duration> next;
  const auto now = clock_.Now();
  auto consider = [&](base::TimePoint at) {
    const auto d = std::max<base::Duration>(at - now, {});
    if (!next || d < *next) next = d;
  };
  bool any_busy = false;
  for (const Slot& s : slots_) {
    if (!s.worker) {
      if (s.respawn_at) consider(*s.respawn_at);
      continue;
    }
    const Worker& w = *s.worker;
    switch (w.state()) {
      case Worker::State::kStarting:
        consider(w.started_at() + command_.start_timeout);
        break;
      case Worker::State::kBusy:
        any_busy = true;
        if (w.deadline()) consider(*w.deadline());
        break;
      case Worker::State::kCapturing:
        if (w.capture()) consider(w.capture()->deadline());
        break;
      case Worker::State::kExiting:
        if (w.kill_at()) consider(*w.kill_at());
        break;
      case Worker::State::kIdle:
        break;
    }
  }
  if (any_busy) consider(next_rss_sample_);
  return next;
}

Worker* WorkerPool::FindIdle() {
  for (Slot& s : slots_) {
    if (s.worker && !s.retired && s.worker->state() == Worker::State::kIdle) {
      return &*s.worker;
    }
  }
  return nullptr;
}

void WorkerPool::Dispatch(Worker& worker, const proto::TaskAssignment& task,
                          std::chrono::milliseconds timeout) {
  proto::Buffer& out = worker.out();
  const std::size_t start = proto::BeginFrame(out);
  proto::Encode(task, out);
  proto::EndFrame(out, start);
  const auto now = clock_.Now();
  worker.Assign(task.task_id, now,
                timeout.count() > 0 ? std::optional(now + timeout) : std::nullopt);
  if (!worker.Flush()) worker.CloseInput();  // death is reported via reap
}

void WorkerPool::BeginShutdown() {
  shutting_down_ = true;
  for (Slot& s : slots_) {
    s.respawn_at.reset();
    if (s.worker && (s.worker->state() == Worker::State::kIdle ||
                     s.worker->state() == Worker::State::kStarting)) {
      Retire(s, nullptr);
    }
  }
}

void WorkerPool::SignalAll(int signal) {
  for (Slot& s : slots_) {
    if (s.worker) s.worker->Kill(signal);
  }
}

bool WorkerPool::AllExited() const {
  return std::none_of(slots_.begin(), slots_.end(),
                      [](const Slot& s) { return s.worker.has_value(); });
}

std::size_t WorkerPool::live() const {
  return static_cast<std::size_t>(std::count_if(
      slots_.begin(), slots_.end(), [](const Slot& s) { return s.worker.has_value(); }));
}

}  // namespace tq::daemon
