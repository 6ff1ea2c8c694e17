// WorkerPool: keeps `size` workers alive and tells the supervisor what they
// say and how they end.
//
// It spawns workers, reads and decodes their frames, notices their death
// (pipe EOF and SIGCHLD, whichever comes first; the process is reaped
// before its slot is reused) and respawns them, with exponential backoff
// when a worker dies young again and again. It enforces what is about
// processes: task deadlines (capturing the stack first), stopping a worker
// whose task was cancelled (SIGTERM, then SIGKILL after a grace), recycling
// after max_tasks_per_worker tasks or above max_rss_bytes, and resizing.
// Single-threaded; the supervisor calls in from its loop and receives
// events through Listener.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "proc_stats.h"
#include "tq/proto/codec.h"
#include "tq/proto/messages.h"
#include "worker.h"

namespace tq::daemon {

// How and why a worker ended while it ran a task.
struct DeathCause {
  std::string cause;  // "exit", "signal", "oom", "protocol"
  pid_t pid = 0;
  std::optional<int> exit_code;
  std::optional<int> signal;
  std::uint64_t rss_bytes = 0;  // last seen
  std::string message;          // "worker 1234 killed by signal 11 (SIGSEGV)"
};

// Settings that SIGHUP may change.
struct PoolSettings {
  std::uint64_t max_tasks_per_worker = 0;  // 0: no limit
  std::uint64_t max_rss_bytes = 0;         // 0: no limit; checked between tasks
  std::chrono::milliseconds stop_grace{2000};  // SIGTERM -> SIGKILL
  std::string stack_tool;                  // gdb or eu-stack; "" disables
  std::chrono::milliseconds capture_timeout{5000};
};

class WorkerPool {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // A worker said hello and is idle.
    virtual void OnWorkerReady(Worker& worker,
                               const proto::WorkerHello& hello) = 0;
    // The worker's task finished; the worker is idle again afterwards.
    virtual void OnTaskResult(Worker& worker,
                              const proto::WorkerResult& result) = 0;
    // The worker's task reported how far it has got.
    virtual void OnTaskProgress(Worker& worker,
                                const proto::TaskProgress& progress) = 0;
    // The worker running `task_id` died or misbehaved.
    virtual void OnTaskLost(std::uint64_t task_id, const DeathCause& cause) = 0;
    // `task_id` ran past its deadline; `stack` is where its worker was (""
    // if it could not be captured). The worker is stopped afterwards.
    virtual void OnTaskTimedOut(std::uint64_t task_id, pid_t pid,
                                std::uint64_t rss_bytes, base::Duration ran_for,
                                std::string stack) = 0;
  };

  WorkerPool(WorkerCommand command, int size, PoolSettings settings,
             const base::Clock& clock, Listener& listener);

  // Spawns every worker. Fails if one cannot be spawned at all.
  proto::Status Start();
  // Grows or shrinks the pool; extra workers leave once idle.
  void Resize(int size);
  void set_settings(PoolSettings settings) { settings_ = std::move(settings); }
  void set_command(WorkerCommand command) { command_ = std::move(command); }

  // Calls f(Worker&) for every live worker.
  template <typename F>
  void ForEach(F&& f) {
    for (Slot& s : slots_) {
      if (s.worker) f(*s.worker);
    }
  }

  void OnReadable(int slot);
  void OnWritable(int slot);
  void OnCaptureReadable(int slot);
  // Reaps exited workers (after SIGCHLD).
  void ReapExited();
  // Respawns, start timeouts, task deadlines, SIGKILL after grace, RSS
  // sampling: whatever is due now.
  void RunExpired();
  // Time until the next of those is due, if any is pending.
  std::optional<base::Duration> TimeUntilNextDeadline() const;

  // An idle worker, or nullptr.
  Worker* FindIdle();
  // Sends `task` to an idle worker; `timeout` 0 means none.
  void Dispatch(Worker& worker, const proto::TaskAssignment& task,
                std::chrono::milliseconds timeout);
  // Stops the worker running `task_id` (its task was cancelled); the caller
  // answers the task. False if no worker runs it.
  bool StopTask(std::uint64_t task_id);

  // Stops respawning; idle workers are told to exit now, busy ones after
  // their task.
  void BeginShutdown();
  // Sends `signal` to every live worker.
  void SignalAll(int signal);
  bool AllExited() const;

  // Every slot has said hello at least once (or did, before a resize).
  bool ready() const {
    return ever_ready_ || ready_count_ >= static_cast<std::size_t>(size_);
  }
  // Non-empty when a worker died before the pool was first ready: tqd
  // cannot serve (e.g. a plugin fails to load).
  const std::string& start_failure() const { return start_failure_; }
  int size() const { return size_; }
  std::size_t live() const;

 private:
  struct Slot {
    std::optional<Worker> worker;
    bool said_hello = false;             // at least once, for ready()
    int quick_deaths = 0;                // consecutive deaths soon after start
    std::optional<base::TimePoint> respawn_at;
    std::string kill_reason;             // why we killed it, if we did
    bool closed_pipe = false;            // closed its result pipe, still alive
    bool expected_exit = false;          // we asked it to go (not a crash)
    bool retired = false;                // beyond size(): not respawned
  };

  void SpawnInto(int slot);
  void HandleFrame(Slot& slot, std::string_view frame);
  // Kills the worker for breaking the protocol; its task is lost with why.
  void Evict(Slot& slot, const std::string& reason);
  // Lets the worker go between tasks (recycling, shrinking, shutdown).
  void Retire(Slot& slot, const char* why);
  // The worker finished a task: recycle it or keep it.
  void AfterTask(Slot& slot);
  // The timed-out task's stack is in (or given up on): report and stop.
  void FinishTimeout(Slot& slot);
  // The process is reaped: report its task and schedule the respawn.
  void Bury(int slot);
  DeathCause CauseOfDeath(const Slot& slot, const Worker& w);

  WorkerCommand command_;
  int size_;
  PoolSettings settings_;
  const base::Clock& clock_;
  Listener& listener_;
  std::vector<Slot> slots_;
  proto::Decoder decoder_;
  OomCounter oom_ = OomCounter::ForSelf();
  std::size_t ready_count_ = 0;
  bool ever_ready_ = false;  // ready() held once: start failures are over
  bool shutting_down_ = false;
  std::string start_failure_;
  base::TimePoint next_rss_sample_{};
};

}  // namespace tq::daemon
