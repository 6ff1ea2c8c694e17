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

// A worker that dies sooner than this after its start counts as a crash
// loop; its successor waits kFirstBackoff, doubling up to kMaxBackoff.
constexpr auto kQuickDeath = 1s;
constexpr auto kFirstBackoff = 100ms;
constexpr auto kMaxBackoff = 10s;

long long Ms(base::Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

WorkerPool::WorkerPool(WorkerCommand command, int size,
                       const base::Clock& clock, Listener& listener)
    : command_(std::move(command)),
      clock_(clock),
      listener_(listener),
      slots_(static_cast<std::size_t>(size)),
      decoder_(command_.limits) {}

proto::Status WorkerPool::Start() {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    auto w = Worker::Spawn(static_cast<int>(i), command_, clock_.Now());
    if (!w.ok()) return w.status();
    spdlog::debug("worker {} (pid {}) started", i, w->pid());
    slots_[i].worker.emplace(std::move(*w));
  }
  return proto::Status::Ok();
}

void WorkerPool::SpawnInto(int slot) {
  Slot& s = slots_[static_cast<std::size_t>(slot)];
  s.respawn_at.reset();
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
    // It closed its result pipe: it is exiting. SIGCHLD tells us how.
    s.worker->Detach();
    if (s.worker->TryReap()) Bury(slot);
  }
}

void WorkerPool::OnWritable(int slot) {
  Slot& s = slots_[static_cast<std::size_t>(slot)];
  if (s.worker && !s.worker->Flush()) {
    // EPIPE: it is gone; the read side and SIGCHLD will report how.
    s.worker->CloseInput();
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
    }
    spdlog::debug("worker {} (pid {}) ready with {} functions", w.slot(),
                  w.pid(), hello->functions.size());
    listener_.OnWorkerReady(w, *hello);
    if (shutting_down_) w.CloseInput();
    return;
  }
  const auto& result = std::get<proto::WorkerResult>(*message);
  if (w.state() != Worker::State::kBusy || *w.task() != result.task_id) {
    Evict(s, "sent a result for task " +
                 std::to_string(result.task_id) + " it was not running");
    return;
  }
  listener_.OnTaskResult(w, result);
  w.Finish();
  if (shutting_down_) w.CloseInput();
}

void WorkerPool::Evict(Slot& s, const std::string& reason) {
  Worker& w = *s.worker;
  spdlog::warn("worker {} (pid {}) {}; killing it", w.slot(), w.pid(), reason);
  s.kill_reason = reason;
  w.Kill(SIGKILL);
  w.Detach();
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

void WorkerPool::Bury(int slot) {
  Slot& s = slots_[static_cast<std::size_t>(slot)];
  Worker& w = *s.worker;
  const base::ExitStatus exit = w.exit_status().value_or(base::ExitStatus{});
  const pid_t pid = w.pid();
  const std::string how =
      s.kill_reason.empty() ? exit.Describe() : s.kill_reason + "; killed";
  const std::string cause = "worker " + std::to_string(pid) + " " + how;
  const auto lived = clock_.Now() - w.started_at();
  if (auto task = w.TakeTask()) listener_.OnTaskLost(*task, cause);
  s.kill_reason.clear();
  s.worker.reset();

  if (shutting_down_) {
    spdlog::debug("{} during shutdown", cause);
    return;
  }
  if (!s.said_hello && start_failure_.empty()) {
    // Before the pool ever served, a dying worker means a broken set-up
    // (bad plugin, wrong worker program): report it instead of looping.
    start_failure_ = cause + " before saying hello";
    return;
  }
  if (lived < kQuickDeath) {
    ++s.quick_deaths;
  } else {
    s.quick_deaths = 0;
  }
  base::Duration delay{0};
  if (s.quick_deaths > 0) {
    delay = kFirstBackoff * (1 << std::min(s.quick_deaths - 1, 7));
    delay = std::min<base::Duration>(delay, kMaxBackoff);
  }
  spdlog::warn("worker {} (pid {}) {}; respawning in {} ms", slot, pid, how,
               Ms(delay));
  s.respawn_at = clock_.Now() + delay;
  if (delay == base::Duration{0}) SpawnInto(slot);
}

void WorkerPool::RunExpired() {
  const auto now = clock_.Now();
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Slot& s = slots_[i];
    if (!s.worker && s.respawn_at && *s.respawn_at <= now && !shutting_down_) {
      SpawnInto(static_cast<int>(i));
    } else if (s.worker && s.worker->state() == Worker::State::kStarting &&
               now - s.worker->started_at() >= command_.start_timeout) {
      Evict(s, "did not say hello within " +
                   std::to_string(command_.start_timeout.count()) + " ms");
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
  for (const Slot& s : slots_) {
    if (!s.worker && s.respawn_at) consider(*s.respawn_at);
    if (s.worker && s.worker->state() == Worker::State::kStarting) {
      consider(s.worker->started_at() + command_.start_timeout);
    }
  }
  return next;
}

Worker* WorkerPool::FindIdle() {
  for (Slot& s : slots_) {
    if (s.worker && s.worker->state() == Worker::State::kIdle) {
      return &*s.worker;
    }
  }
  return nullptr;
}

void WorkerPool::Dispatch(Worker& worker, const proto::TaskAssignment& task) {
  proto::Buffer& out = worker.out();
  const std::size_t start = proto::BeginFrame(out);
  proto::Encode(task, out);
  proto::EndFrame(out, start);
  worker.Assign(task.task_id);
  if (!worker.Flush()) worker.CloseInput();  // death is reported via reap
}

void WorkerPool::BeginShutdown() {
  shutting_down_ = true;
  for (Slot& s : slots_) {
    s.respawn_at.reset();
    if (s.worker && s.worker->state() != Worker::State::kBusy) {
      s.worker->CloseInput();
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

}  // namespace tq::daemon
