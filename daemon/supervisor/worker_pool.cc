// WorkerPool: the slot state machine.
#include "worker_pool.h"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "check.h"

namespace tq::daemon {
namespace {

using namespace std::chrono_literals;

// A worker that dies on its own sooner than this after its start (or before
// its hello) counts as a crash loop (RespawnBackoff).
constexpr auto kQuickDeath = 1s;
// How often busy workers' RSS is sampled, so a worker the kernel kills
// for memory is reported with the size it had reached.
constexpr auto kRssSampleInterval = 1s;

long long Ms(base::Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

std::string MiB(std::uint64_t bytes) {
  return std::to_string((bytes + (1 << 19)) >> 20) + " MiB";
}

template <typename T, typename State>
bool Is(const State& state) {
  return std::holds_alternative<T>(state);
}

}  // namespace

WorkerPool::WorkerPool(WorkerCommand command, int size, PoolSettings settings,
                       WorkerSpawner& spawner, const base::Clock& clock,
                       Listener& listener, OomCounter oom)
    : command_(std::move(command)),
      size_(size),
      settings_(std::move(settings)),
      spawner_(spawner),
      clock_(clock),
      listener_(listener),
      oom_(std::move(oom)),
      slots_(static_cast<std::size_t>(size)),
      decoder_(command_.limits) {
  for (std::size_t i = 0; i < slots_.size(); ++i) slots_[i].index = static_cast<int>(i);
  (void)oom_.IncreasedSinceLastCheck();  // the baseline
}

proto::Status WorkerPool::Start() {
  for (Slot& s : slots_) TQ_RETURN_IF_ERROR(Spawn(s));
  return proto::Status::Ok();
}

// ---- transitions ----------------------------------------------------------

proto::Status WorkerPool::Spawn(Slot& s) {
  TQ_CHECK(!s.worker && (Is<Empty>(s.state) || Is<RespawnWait>(s.state)));
  auto spawned = spawner_.Spawn(command_);
  if (!spawned.ok()) return spawned.status();
  s.worker.emplace(s.index, next_serial_++, std::move(*spawned),
                   command_.limits.max_message_bytes, clock_.Now());
  s.state = Starting{};
  spdlog::debug("worker {} (pid {}) started", s.index, s.worker->pid());
  return proto::Status::Ok();
}

void WorkerPool::Respawn(Slot& s) {
  if (const proto::Status status = Spawn(s); !status.ok()) {
    // fd or process exhaustion: try again later rather than shrink for good.
    spdlog::error("cannot start worker {}: {}; retrying in {} ms", s.index,
                  status.message(), Ms(RespawnBackoff::kMax));
    s.state = RespawnWait{clock_.Now() + RespawnBackoff::kMax};
  }
}

void WorkerPool::BeginStop(Slot& s, StopReason reason, std::string why) {
  TQ_CHECK(s.worker && !Is<Stopping>(s.state));
  Worker& w = *s.worker;
  // Lost tasks are reported when the worker is reaped, with how it died; a
  // stopped task was answered by whoever stopped it; a retired worker has
  // none.
  std::optional<Assignment> task;
  if (reason == StopReason::kExpel || reason == StopReason::kVanished) {
    if (const Assignment* t = TaskOf(s)) task = *t;
  }
  TQ_CHECK((reason != StopReason::kRetire && reason != StopReason::kRecycle) ||
           TaskOf(s) == nullptr);
  std::deque<Assignment> prefetched;
  if (auto* busy = std::get_if<Busy>(&s.state)) prefetched = std::move(busy->prefetched);
  std::optional<base::Subprocess> tool;
  if (auto* capturing = std::get_if<Capturing>(&s.state)) {
    tool = capturing->capture.ReleaseTool();
    tool->Kill(SIGKILL);
    // No local tool (a remote worker's): nothing holds the worker.
    if (reason != StopReason::kStopTask || tool->pid() <= 0 || tool->TryReap()) {
      helpers_.Add(std::move(*tool), SIGKILL);
      tool.reset();
    }
  }
  std::optional<base::TimePoint> kill_at = clock_.Now() + settings_.stop_grace;
  switch (reason) {
    case StopReason::kRetire:
    case StopReason::kRecycle:
      if (!why.empty() && !shutting_down_) {
        spdlog::info("worker {} (pid {}): {}", s.index, w.pid(), why);
      }
      break;  // it exits on EOF of its task pipe
    case StopReason::kStopTask:
      if (tool) {
        kill_at.reset();  // set when the SIGTERM goes (ReapExited)
      } else {
        w.process().Signal(SIGTERM);
      }
      break;
    case StopReason::kExpel:
      spdlog::warn("worker {} (pid {}) {}; killing it", s.index, w.pid(), why);
      w.process().Signal(SIGKILL);
      kill_at.reset();
      break;
    case StopReason::kVanished:
      break;  // it is exiting on its own
  }
  w.CloseIo();
  s.state = Stopping{reason, std::move(why), kill_at, task, std::move(prefetched),
                     std::move(tool)};
}

void WorkerPool::NextTask(Slot& s) {
  auto& busy = std::get<Busy>(s.state);
  if (busy.prefetched.empty()) {
    AfterTask(s);
    return;
  }
  busy.task = busy.prefetched.front();
  busy.prefetched.pop_front();
  busy.task.started_at = clock_.Now();
  // A dropping one may never start: the worker says which (OnDropped, or
  // a frame of it).
  if (!busy.task.dropping) listener_.OnPrefetchedStarted(*s.worker, busy.task.task_id);
}

void WorkerPool::ConfirmStarted(Slot& s) {
  auto& busy = std::get<Busy>(s.state);
  if (!busy.task.dropping) return;
  busy.task.dropping = false;
  listener_.OnPrefetchedStarted(*s.worker, busy.task.task_id);
}

void WorkerPool::AfterTask(Slot& s) {
  Worker& w = *s.worker;
  s.state = Idle{};
  if (shutting_down_ || s.index >= size_) {
    BeginStop(s, StopReason::kRetire, "the pool shrinks");
  } else if (settings_.max_tasks_per_worker != 0 &&
             w.tasks_done() >= settings_.max_tasks_per_worker) {
    BeginStop(s, StopReason::kRecycle, "recycled after max_tasks_per_worker tasks");
  } else if (settings_.max_rss_bytes != 0 && w.SampleRss() > settings_.max_rss_bytes) {
    BeginStop(s, StopReason::kRecycle,
              "at " + MiB(w.rss_bytes()) + " RSS, over max_rss_per_worker " +
                  MiB(settings_.max_rss_bytes) + "; recycling");
  }
}

void WorkerPool::TimeOutTask(Slot& s) {
  Worker& w = *s.worker;
  std::string stack;
  if (auto* capturing = std::get_if<Capturing>(&s.state)) {
    stack = capturing->capture.TakeText();
  }
  const Assignment task = *TaskOf(s);
  const std::uint64_t seen = w.rss_bytes();
  const std::uint64_t rss = std::max(seen, w.SampleRss());
  const pid_t pid = w.pid();
  BeginStop(s, StopReason::kStopTask);
  listener_.OnTaskTimedOut(task.task_id, pid, rss, clock_.Now() - task.started_at,
                           std::move(stack));
}

void WorkerPool::Reap(Slot& s, const base::ExitStatus& exit) {
  // A result written just before death is still in the pipe: read it
  // before declaring the task lost.
  if (Reading(s)) OnReadable(s);
  const auto* stopping = std::get_if<Stopping>(&s.state);
  const bool expected = stopping != nullptr && (stopping->reason == StopReason::kRetire ||
                                                stopping->reason == StopReason::kRecycle ||
                                                stopping->reason == StopReason::kStopTask);
  const Worker& w = *s.worker;
  // A crash loop: it died before saying hello, or went on its own (not
  // killed from outside) soon after. More of the same would only spin.
  const bool young = clock_.Now() - w.started_at() < kQuickDeath;
  const bool on_its_own = !(exit.signaled && exit.signal == SIGKILL);
  const bool crash_loop = !w.greeted() || (young && on_its_own);
  const Death death = ReportDeath(s, exit);
  ScheduleRespawn(s, death, expected, crash_loop);
}

WorkerPool::Death WorkerPool::ReportDeath(Slot& s, const base::ExitStatus& exit) {
  Death death{DescribeDeath(s, exit), std::nullopt};
  if (const Assignment* task = TaskOf(s)) death.lost_task = task->task_id;
  // What it was sent ahead and had not started (its result pipe, read to
  // the end above, says so) goes back: it is dead and starts nothing more.
  std::deque<Assignment> returned;
  if (auto* busy = std::get_if<Busy>(&s.state)) {
    returned = std::move(busy->prefetched);
  } else if (auto* stopping = std::get_if<Stopping>(&s.state)) {
    returned = std::move(stopping->prefetched);
  }
  const std::optional<proto::RestartCause> restart = RestartCauseOf(s, death.cause);
  if (auto* capturing = std::get_if<Capturing>(&s.state)) {
    (void)AbandonCapture(capturing->capture);
  } else if (auto* stopping = std::get_if<Stopping>(&s.state); stopping && stopping->tool) {
    helpers_.Add(std::move(*stopping->tool), SIGKILL);
  }
  // Reaped: destroying the handle kills nothing.
  s.worker.reset();
  s.state = Empty{};
  if (death.lost_task) listener_.OnTaskLost(*death.lost_task, death.cause);
  for (const Assignment& task : returned) listener_.OnTaskReturned(task.task_id);
  if (restart) listener_.OnWorkerRestarted(*restart);
  return death;
}

std::optional<proto::RestartCause> WorkerPool::RestartCauseOf(const Slot& s,
                                                              const DeathCause& death) {
  if (const auto* stopping = std::get_if<Stopping>(&s.state)) {
    if (stopping->reason == StopReason::kRetire) return std::nullopt;
    if (stopping->reason == StopReason::kRecycle) return proto::RestartCause::kRecycled;
    if (stopping->reason == StopReason::kStopTask) return proto::RestartCause::kStopped;
  }
  // Otherwise it died as DescribeDeath says, and the names are the same.
  return proto::ParseRestartCause(death.cause).value_or(proto::RestartCause::kExit);
}

DeathCause WorkerPool::DescribeDeath(const Slot& s, const base::ExitStatus& exit) {
  const Worker& w = *s.worker;
  DeathCause c;
  c.pid = w.pid();
  c.rss_bytes = w.rss_bytes();
  const std::string who = "worker " + std::to_string(c.pid) +
                          (host_.empty() ? " " : " on " + host_ + " ");
  const auto* stopping = std::get_if<Stopping>(&s.state);
  if (std::string lost = w.process().LostHow(); !lost.empty()) {
    c.cause = "unreachable";
    c.message = who + "lost: " + lost;
    c.requeue = w.process().Requeue();
  } else if (stopping != nullptr && stopping->reason == StopReason::kExpel) {
    c.cause = "protocol";
    c.signal = SIGKILL;
    c.message = who + stopping->why + "; killed";
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

void WorkerPool::ScheduleRespawn(Slot& s, const Death& death, bool expected,
                                 bool crash_loop) {
  TQ_CHECK(Is<Empty>(s.state));
  if (shutting_down_ || s.index >= size_) {
    spdlog::debug("{}; not replaced", death.cause.message);
    return;
  }
  if (s.hellos == 0 && !expected && !ever_ready_ && start_failure_.empty()) {
    // Before the pool ever served, a dying worker means a broken set-up
    // (bad plugin, wrong worker program): report it instead of looping.
    start_failure_ = death.cause.message + " before saying hello";
    return;
  }
  // A worker that a task killed is replaced at once: the task is to blame
  // (and is buried if it keeps doing it). Backoff is for workers that die
  // on their own, which more workers would only repeat.
  if (expected || death.lost_task) {
    s.backoff.Reset();
    if (death.lost_task) {
      spdlog::info("worker {} ({}); replacing it", s.index, death.cause.message);
    }
    Respawn(s);
    return;
  }
  const base::Duration delay = s.backoff.AfterDeath(crash_loop);
  spdlog::warn("worker {} ({}); respawning in {} ms", s.index, death.cause.message,
               Ms(delay));
  if (delay == base::Duration{0}) {
    Respawn(s);
  } else {
    s.state = RespawnWait{clock_.Now() + delay};
  }
}

// ---- events ---------------------------------------------------------------

void WorkerPool::AppendPollFds(std::vector<PollFd>* out) const {
  for (const Slot& s : slots_) {
    if (!s.worker) continue;
    const Worker& w = *s.worker;
    if (Reading(s) && w.read_fd() >= 0) {
      out->push_back({w.read_fd(), PollFd::Role::kRead, s.index, w.serial()});
    }
    if (w.wants_write()) {
      // A pipe has one fd per direction: the write end is polled apart.
      out->push_back({w.write_fd(), PollFd::Role::kWrite, s.index, w.serial()});
    }
    if (const auto* capturing = std::get_if<Capturing>(&s.state)) {
      out->push_back({capturing->capture.fd(), PollFd::Role::kCapture, s.index, w.serial()});
    }
  }
}

void WorkerPool::OnPollEvent(const PollFd& fd) {
  Slot& s = slot(fd.slot);
  // Polled for a worker that has since been reaped and replaced (SIGCHLD is
  // handled first): the descriptor, maybe its number too, is not this one's.
  if (!s.worker || s.worker->serial() != fd.serial) return;
  switch (fd.role) {
    case PollFd::Role::kRead: OnReadable(s); break;
    case PollFd::Role::kWrite: OnWritable(s); break;
    case PollFd::Role::kCapture: OnCaptureReadable(s); break;
  }
}

bool WorkerPool::Reading(const Slot& s) const {
  return Is<Starting>(s.state) || Is<Idle>(s.state) || Is<Busy>(s.state) ||
         Is<Capturing>(s.state);
}

void WorkerPool::OnReadable(Slot& s) {
  if (!Reading(s)) return;
  Worker& w = *s.worker;
  const auto status = w.ReadFrames([&](std::string_view frame) {
    if (Reading(s)) HandleFrame(s, frame);
  });
  if (!Reading(s)) return;  // a frame got it stopped
  if (status == Worker::ReadStatus::kTooLarge) {
    BeginStop(s, StopReason::kExpel, "sent a frame over the size limit");
  } else if (status == Worker::ReadStatus::kClosed) {
    if (Is<Capturing>(s.state)) {
      // The stack tool holds it; the capture ends with the timeout anyway.
      w.CloseIo();
      return;
    }
    // It closed its result pipe, so it is exiting: SIGCHLD tells how. One
    // that lives on can never answer again and is killed after the grace.
    BeginStop(s, StopReason::kVanished);
  }
}

void WorkerPool::OnWritable(Slot& s) {
  // On EPIPE the worker is gone: the read side and SIGCHLD report how.
  (void)s.worker->Flush();
}

void WorkerPool::OnCaptureReadable(Slot& s) {
  auto* capturing = std::get_if<Capturing>(&s.state);
  if (capturing != nullptr && capturing->capture.ReadSome()) TimeOutTask(s);
}

void WorkerPool::HandleFrame(Slot& s, std::string_view frame) {
  auto message = decoder_.DecodeFromWorker(frame);
  if (!message.ok()) {
    BeginStop(s, StopReason::kExpel,
              "sent a malformed frame (" + message.status().message() + ")");
    return;
  }
  if (const auto* hello = std::get_if<proto::WorkerHello>(&*message)) {
    OnHello(s, *hello);
  } else if (const auto* progress = std::get_if<proto::TaskProgress>(&*message)) {
    // Late progress of a task that timed out or was cancelled is dropped.
    const auto* busy = std::get_if<Busy>(&s.state);
    if (busy != nullptr && busy->task.task_id == progress->task_id) {
      ConfirmStarted(s);
      listener_.OnTaskProgress(*s.worker, *progress);
    }
  } else if (const auto* pipe = std::get_if<proto::PipeMessage>(&*message)) {
    // Like progress: only the running task's; a late one is dropped.
    const auto* busy = std::get_if<Busy>(&s.state);
    if (busy != nullptr && busy->task.task_id == pipe->task_id) {
      listener_.OnTaskPipe(*s.worker, *pipe);
    }
  } else if (const auto* dropped = std::get_if<proto::TaskDropped>(&*message)) {
    OnDropped(s, *dropped);
  } else {
    OnResult(s, std::get<proto::WorkerResult>(*message));
  }
}

void WorkerPool::OnHello(Slot& s, const proto::WorkerHello& hello) {
  if (!Is<Starting>(s.state)) {
    BeginStop(s, StopReason::kExpel, "said hello twice");
    return;
  }
  Worker& w = *s.worker;
  w.MarkGreeted();
  w.set_takes_prefetch(hello.prefetch);
  s.state = Idle{};
  if (s.hellos++ == 0) {
    ++slots_greeted_;
    if (ready()) ever_ready_ = true;
  }
  spdlog::debug("worker {} (pid {}) ready with {} functions", s.index, w.pid(),
                hello.functions.size());
  listener_.OnWorkerReady(w, hello);
  if (shutting_down_ || s.index >= size_) BeginStop(s, StopReason::kRetire);
}

void WorkerPool::OnResult(Slot& s, const proto::WorkerResult& result) {
  if (Is<Capturing>(s.state)) return;  // too late: it timed out
  const auto* busy = std::get_if<Busy>(&s.state);
  if (busy == nullptr || busy->task.task_id != result.task_id) {
    BeginStop(s, StopReason::kExpel,
              "sent a result for task " + std::to_string(result.task_id) +
                  " it was not running");
    return;
  }
  ConfirmStarted(s);
  listener_.OnTaskResult(*s.worker, result);
  s.worker->CountTaskDone();
  ++tasks_done_;
  NextTask(s);
}

void WorkerPool::OnDropped(Slot& s, const proto::TaskDropped& dropped) {
  auto* busy = std::get_if<Busy>(&s.state);
  if (busy != nullptr && busy->task.task_id == dropped.task_id && busy->task.dropping) {
    listener_.OnTaskDropped(dropped.task_id);
    NextTask(s);
    return;
  }
  if (busy != nullptr) {
    const auto it = std::find_if(
        busy->prefetched.begin(), busy->prefetched.end(),
        [&](const Assignment& a) { return a.task_id == dropped.task_id && a.dropping; });
    if (it != busy->prefetched.end()) {
      busy->prefetched.erase(it);
      listener_.OnTaskDropped(dropped.task_id);
      return;
    }
  }
  BeginStop(s, StopReason::kExpel,
            "said it dropped task " + std::to_string(dropped.task_id) +
                ", which it was not asked to drop");
}

void WorkerPool::OnDeadline(Slot& s) {
  Worker& w = *s.worker;
  const Assignment task = std::get<Busy>(s.state).task;
  if (settings_.stack_tool.empty()) {
    TimeOutTask(s);
    return;
  }
  auto capture = w.process().CaptureStack(settings_.stack_tool,
                                          clock_.Now() + settings_.capture_timeout);
  if (!capture.ok()) {
    TimeOutTask(s);
    return;
  }
  (void)w.SampleRss();  // before the tool stops it
  s.state = Capturing{task, std::move(*capture)};
}

std::string WorkerPool::AbandonCapture(StackCapture& capture) {
  helpers_.Add(capture.ReleaseTool(), SIGKILL);
  return capture.TakeText();
}

void WorkerPool::ReapExited() {
  helpers_.ReapExited();
  for (Slot& s : slots_) {
    if (!s.worker) continue;
    if (auto* stopping = std::get_if<Stopping>(&s.state);
        stopping && stopping->tool && stopping->tool->TryReap()) {
      // The stack tool has let go of the worker: now it can be stopped.
      stopping->tool.reset();
      s.worker->process().Signal(SIGTERM);
      stopping->kill_at = clock_.Now() + settings_.stop_grace;
    }
    // Reap() may put a new worker into `s`; the loop moves on, so the new
    // one is never mistaken for the one that died.
    if (const std::optional<base::ExitStatus> exit = s.worker->process().TryReap()) {
      Reap(s, *exit);
    }
  }
}

void WorkerPool::RunExpired() {
  const auto now = clock_.Now();
  const bool sample = now >= next_rss_sample_;
  if (sample) next_rss_sample_ = now + kRssSampleInterval;
  for (Slot& s : slots_) {
    if (const auto* wait = std::get_if<RespawnWait>(&s.state)) {
      if (wait->at <= now && !shutting_down_ && s.index < size_) Respawn(s);
    } else if (Is<Starting>(s.state)) {
      if (now - s.worker->started_at() >= command_.start_timeout) {
        BeginStop(s, StopReason::kExpel,
                  "did not say hello within " +
                      std::to_string(command_.start_timeout.count()) + " ms");
      }
    } else if (const auto* busy = std::get_if<Busy>(&s.state)) {
      if (sample) (void)s.worker->SampleRss();
      if (busy->task.deadline && *busy->task.deadline <= now) OnDeadline(s);
    } else if (const auto* capturing = std::get_if<Capturing>(&s.state)) {
      if (capturing->capture.deadline() <= now) TimeOutTask(s);
    } else if (auto* stopping = std::get_if<Stopping>(&s.state)) {
      if (stopping->kill_at && *stopping->kill_at <= now) {
        stopping->kill_at.reset();
        if (stopping->reason == StopReason::kVanished) {
          stopping->reason = StopReason::kExpel;
          stopping->why = "closed its result pipe but did not exit";
        }
        s.worker->process().Signal(SIGKILL);
      }
    }
  }
}

std::optional<base::Duration> WorkerPool::TimeUntilNextDeadline() const {
  std::optional<base::TimePoint> next;
  auto consider = [&](base::TimePoint at) {
    if (!next || at < *next) next = at;
  };
  bool any_busy = false;
  for (const Slot& s : slots_) {
    if (const auto* wait = std::get_if<RespawnWait>(&s.state)) {
      consider(wait->at);
    } else if (Is<Starting>(s.state)) {
      consider(s.worker->started_at() + command_.start_timeout);
    } else if (const auto* busy = std::get_if<Busy>(&s.state)) {
      any_busy = true;
      if (busy->task.deadline) consider(*busy->task.deadline);
    } else if (const auto* capturing = std::get_if<Capturing>(&s.state)) {
      consider(capturing->capture.deadline());
    } else if (const auto* stopping = std::get_if<Stopping>(&s.state)) {
      if (stopping->kill_at) consider(*stopping->kill_at);
    }
  }
  if (any_busy) consider(next_rss_sample_);
  if (!next) return std::nullopt;
  return std::max<base::Duration>(*next - clock_.Now(), {});
}

// ---- the supervisor's requests ----------------------------------------------

std::optional<int> WorkerPool::FindIdle() const {
  for (const Slot& s : slots_) {
    if (Is<Idle>(s.state) && s.index < size_) return s.index;
  }
  return std::nullopt;
}

std::size_t WorkerPool::idle() const {
  return static_cast<std::size_t>(std::count_if(slots_.begin(), slots_.end(), [&](const Slot& s) {
    return Is<Idle>(s.state) && s.index < size_;
  }));
}

void WorkerPool::Dispatch(int index, const proto::TaskAssignment& task,
                          std::chrono::milliseconds timeout, base::Duration expected) {
  Slot& s = slot(index);
  TQ_CHECK(Is<Idle>(s.state));
  Worker& w = *s.worker;
  proto::Buffer& out = w.out();
  const std::size_t start = proto::BeginFrame(out);
  proto::Encode(task, out);
  proto::EndFrame(out, start);
  const auto now = clock_.Now();
  s.state = Busy{{task.task_id, now,
                  timeout.count() > 0 ? std::optional(now + timeout) : std::nullopt,
                  expected, task.pipe},
                 {}};
  (void)w.Flush();  // EPIPE: its death is reported when it is reaped
}

std::optional<int> WorkerPool::FindPrefetchSlot(base::Duration expected,
                                                std::size_t max_depth) const {
  if (settings_.prefetch_budget <= base::Duration{0} || shutting_down_ ||
      expected <= base::Duration{0}) {
    return std::nullopt;
  }
  std::optional<int> best;
  base::Duration best_load{};
  for (const Slot& s : slots_) {
    const auto* busy = std::get_if<Busy>(&s.state);
    if (busy == nullptr || s.index >= size_ || !s.worker->takes_prefetch()) continue;
    const Assignment& running = busy->task;
    // A task of unknown length could hold what waits behind it for good; a
    // pipe task reads the pipe itself.
    if (running.expected <= base::Duration{0} || running.deadline || running.pipe) continue;
    // Nothing waits behind a task longer than the budget, and what waits
    // behind a shorter one stays within the budget: a task sent ahead
    // starts within about twice the budget, and a task as long as the
    // budget still has one sent ahead of it. "As long": with an eighth's
    // slack, since a task that runs for the budget measures a little over
    // it (bench: 1 ms tasks were never sent ahead at the 1 ms default).
    const base::Duration limit = settings_.prefetch_budget + settings_.prefetch_budget / 8;
    if (running.expected > limit) continue;
    if (busy->prefetched.size() >= max_depth) continue;
    base::Duration queued{};
    for (const Assignment& a : busy->prefetched) queued += a.expected;
    if (queued + expected > limit) continue;
    // Due to be recycled before this one would run: it must not be sent.
    const Worker& w = *s.worker;
    if (settings_.max_tasks_per_worker != 0 &&
        w.tasks_done() + busy->prefetched.size() + 2 > settings_.max_tasks_per_worker) {
      continue;
    }
    if (settings_.max_rss_bytes != 0 && w.rss_bytes() > settings_.max_rss_bytes) continue;
    // The least loaded: the one the task would wait least behind.
    const base::Duration load = running.expected + queued;
    if (!best || load < best_load) {
      best = s.index;
      best_load = load;
    }
  }
  return best;
}

void WorkerPool::Prefetch(int index, const proto::TaskAssignment& task,
                          base::Duration expected) {
  Slot& s = slot(index);
  auto& busy = std::get<Busy>(s.state);
  TQ_CHECK(!task.pipe);
  Worker& w = *s.worker;
  proto::Buffer& out = w.out();
  const std::size_t start = proto::BeginFrame(out);
  proto::Encode(task, out);
  proto::EndFrame(out, start);
  busy.prefetched.push_back({task.task_id, {}, std::nullopt, expected, false, false});
  (void)w.Flush();  // EPIPE: its death is reported when it is reaped
}

bool WorkerPool::DropPrefetched(std::uint64_t task_id) {
  for (Slot& s : slots_) {
    auto* busy = std::get_if<Busy>(&s.state);
    if (busy == nullptr) continue;
    if (busy->task.task_id == task_id && busy->task.dropping) return true;  // asked already
    for (Assignment& a : busy->prefetched) {
      if (a.task_id != task_id) continue;
      if (!a.dropping) {
        a.dropping = true;
        Worker& w = *s.worker;
        proto::Buffer& out = w.out();
        const std::size_t start = proto::BeginFrame(out);
        proto::Encode(proto::TaskDrop{task_id}, out);
        proto::EndFrame(out, start);
        (void)w.Flush();
      }
      return true;
    }
  }
  return false;
}

std::size_t WorkerPool::prefetched() const {
  std::size_t n = 0;
  for (const Slot& s : slots_) {
    if (const auto* busy = std::get_if<Busy>(&s.state)) n += busy->prefetched.size();
    if (const auto* stopping = std::get_if<Stopping>(&s.state)) n += stopping->prefetched.size();
  }
  return n;
}

pid_t WorkerPool::pid(int index) const { return slot(index).worker->pid(); }

WorkerPool::Slot* WorkerPool::BusyWith(std::uint64_t task_id) {
  for (Slot& s : slots_) {
    const auto* busy = std::get_if<Busy>(&s.state);
    if (busy != nullptr && busy->task.task_id == task_id) return &s;
  }
  return nullptr;
}

const WorkerPool::Slot* WorkerPool::BusyWith(std::uint64_t task_id) const {
  return const_cast<WorkerPool*>(this)->BusyWith(task_id);
}

bool WorkerPool::SendToTask(std::uint64_t task_id, const proto::PipeMessage& message) {
  Slot* s = BusyWith(task_id);
  if (s == nullptr) return false;
  Worker& w = *s->worker;
  proto::Buffer& out = w.out();
  const std::size_t start = proto::BeginFrame(out);
  proto::Encode(message, out);
  proto::EndFrame(out, start);
  (void)w.Flush();  // EPIPE: its death is reported when it is reaped
  return true;
}

std::optional<std::size_t> WorkerPool::PendingBytes(std::uint64_t task_id) const {
  const Slot* s = BusyWith(task_id);
  if (s == nullptr) return std::nullopt;
  return s->worker->pending_bytes();
}

bool WorkerPool::StopTask(std::uint64_t task_id) {
  for (Slot& s : slots_) {
    if (auto* stopping = std::get_if<Stopping>(&s.state)) {
      // Already on its way out: the task is answered by the caller, not
      // reported lost.
      if (stopping->task && stopping->task->task_id == task_id) {
        stopping->task.reset();
        return true;
      }
      continue;
    }
    const Assignment* task = TaskOf(s);
    if (task == nullptr || task->task_id != task_id) continue;
    BeginStop(s, StopReason::kStopTask);
    return true;
  }
  return false;
}

void WorkerPool::Resize(int size) {
  const auto n = static_cast<std::size_t>(size);
  while (slots_.size() < n) {
    slots_.emplace_back();
    slots_.back().index = static_cast<int>(slots_.size() - 1);
  }
  size_ = size;
  for (Slot& s : slots_) {
    if (static_cast<std::size_t>(s.index) < n) {
      if (Is<Empty>(s.state) && !shutting_down_) Respawn(s);
    } else if (Is<RespawnWait>(s.state)) {
      s.state = Empty{};
    } else if (Is<Idle>(s.state) || Is<Starting>(s.state)) {
      BeginStop(s, StopReason::kRetire, "the pool shrinks");
    }
    // Busy ones leave after their task (AfterTask).
  }
}

void WorkerPool::BeginShutdown() {
  shutting_down_ = true;
  for (Slot& s : slots_) {
    if (Is<RespawnWait>(s.state)) {
      s.state = Empty{};
    } else if (Is<Idle>(s.state) || Is<Starting>(s.state)) {
      BeginStop(s, StopReason::kRetire);
    }
  }
}

void WorkerPool::SignalAll(int signal) {
  for (Slot& s : slots_) {
    if (s.worker) s.worker->process().Signal(signal);
  }
}

std::size_t WorkerPool::live() const {
  return static_cast<std::size_t>(std::count_if(
      slots_.begin(), slots_.end(), [](const Slot& s) { return s.worker.has_value(); }));
}

const WorkerPool::Assignment* WorkerPool::TaskOf(const Slot& s) {
  if (const auto* busy = std::get_if<Busy>(&s.state)) return &busy->task;
  if (const auto* capturing = std::get_if<Capturing>(&s.state)) return &capturing->task;
  if (const auto* stopping = std::get_if<Stopping>(&s.state)) {
    return stopping->task ? &*stopping->task : nullptr;
  }
  return nullptr;
}

WorkerView WorkerPool::View(const Slot& s) {
  WorkerView v;
  v.slot = s.index;
  v.pid = s.worker->pid();
  v.rss_bytes = s.worker->rss_bytes();
  if (Is<Starting>(s.state)) {
    v.state = "starting";
  } else if (Is<Idle>(s.state)) {
    v.state = "idle";
  } else if (Is<Busy>(s.state)) {
    v.state = "busy";
  } else {
    v.state = "stopping";
  }
  if (const Assignment* task = TaskOf(s)) {
    v.task_id = task->task_id;
    v.task_started_at = task->started_at;
  }
  v.tasks_done = s.worker->tasks_done();
  v.started_at = s.worker->started_at();
  return v;
}

}  // namespace tq::daemon
