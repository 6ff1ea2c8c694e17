// WorkerPool: keeps `size` workers alive and tells the supervisor what they
// say and how they end.
//
// Each slot of the pool is one explicit state machine. Its states hold
// exactly the data that is true in them, and each transition happens in one
// named function:
//
//                     Respawn()         hello              Dispatch()
//   Empty, RespawnWait ──────▶ Starting ─────▶ Idle ◀─────────────▶ Busy
//                                 │              │   result (AfterTask) │ deadline
//                                 │              │                      ▼
//                                 │              │                  Capturing
//                                 └──────────────┴──────────┬───────────┘
//                                                 BeginStop(reason, why)
//                                                           ▼
//                                                       Stopping ── kill_at: SIGKILL
//
//   Reap(), after SIGCHLD, from any state that has a worker:
//     ReportDeath()      its task, if it still had one, ends lost with the cause;
//     ScheduleRespawn()  Starting (at once), RespawnWait (crash-loop backoff)
//                        or Empty (beyond the pool's size, shutdown, start failure).
//
// A worker's pid has one owner, the slot: the process is signalled through
// its WorkerProcess, learnt dead only by Reap() (never by pipe EOF, which
// only moves a slot to Stopping), and its handle destroyed only once
// reaped, so nothing blocks in waitpid inside the loop and a stale handle
// can never act on its successor. Respawn() is the only way a worker enters
// a slot. Events about pipes carry the worker's serial number, so an event
// polled for a worker that has since been replaced is dropped.
//
// Prefetch: a Busy slot may hold, behind its running task, a few tasks
// already written to the worker's pipe (Prefetch()), when the worker said
// it takes them, its running task is expected to take at most
// PoolSettings::prefetch_budget, and the expected run time of what waits
// behind it stays within that budget too. The result of the running task
// starts the next (OnPrefetchedStarted). Ones that never started go back to the
// caller (OnTaskReturned) when the worker dies or is stopped; one being
// dropped (DropPrefetched) is reported OnTaskDropped when the worker says
// it has not run it. A slot with tasks sent ahead is never recycled or
// retired until they are done: it takes no more once it is due to be.
//
// It enforces what is about processes: task deadlines (capturing the stack
// first), stopping a worker whose task was cancelled (SIGTERM, SIGKILL after
// a grace), recycling after max_tasks_per_worker tasks or above
// max_rss_bytes, and resizing. Single-threaded; the supervisor calls in from
// its loop and hears back through Listener. Time comes from the Clock and
// processes from the WorkerSpawner, so it is unit-tested without either.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/clock.h"
#include "proc_stats.h"
#include "reap_queue.h"
#include "respawn_backoff.h"
#include "stack_capture.h"
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
  bool requeue = false;  // its task goes back to the queue, as never run
};

// Settings that SIGHUP may change.
struct PoolSettings {
  std::uint64_t max_tasks_per_worker = 0;  // 0: no limit
  std::uint64_t max_rss_bytes = 0;         // 0: no limit; checked between tasks
  std::chrono::milliseconds stop_grace{2000};  // SIGTERM (or EOF) -> SIGKILL
  std::string stack_tool;                  // gdb or eu-stack; "" disables
  std::chrono::milliseconds capture_timeout{5000};
  // Most expected run time waiting behind a worker's running task, which
  // must itself be expected to take no longer, for tasks to be sent ahead
  // of need; 0 disables prefetch.
  base::Duration prefetch_budget = std::chrono::milliseconds(1);
};

// What a listing shows of one worker.
struct WorkerView {
  std::string_view host;  // the agent's host; "" for tqd's own workers
  int slot = 0;
  pid_t pid = 0;
  std::string_view state;  // "starting", "idle", "busy", "stopping"
  std::optional<std::uint64_t> task_id;
  std::uint64_t tasks_done = 0;
  base::TimePoint started_at{};
  base::TimePoint task_started_at{};  // when task_id started, if it is set
  std::uint64_t rss_bytes = 0;        // when last sampled
  base::TimePoint heard_at{};         // an agent's: when it was last heard from
};

class WorkerPool {
 public:
  // The pool's reports, made from inside its methods: a listener must not
  // call back into the pool.
  class Listener {
   public:
    virtual ~Listener() = default;
    // A worker said hello and is idle.
    virtual void OnWorkerReady(const Worker& worker,
                               const proto::WorkerHello& hello) = 0;
    // The worker's task finished; the worker is idle again afterwards
    // unless it is recycled.
    virtual void OnTaskResult(const Worker& worker,
                              const proto::WorkerResult& result) = 0;
    // A task sent ahead (Prefetch) has started: the one before it ended.
    virtual void OnPrefetchedStarted(const Worker&, std::uint64_t /*task_id*/) {}
    // A task sent ahead never started and never will on that worker (it
    // died, or was stopped): the caller owns it again.
    virtual void OnTaskReturned(std::uint64_t /*task_id*/) {}
    // The worker answered a DropPrefetched: the task was not run.
    virtual void OnTaskDropped(std::uint64_t /*task_id*/) {}
    // The worker's task reported how far it has got.
    virtual void OnTaskProgress(const Worker& worker,
                                const proto::TaskProgress& progress) = 0;
    // The worker's task sent a message on its pipe, or closed its end.
    virtual void OnTaskPipe(const Worker&, const proto::PipeMessage&) {}
    // The worker running `task_id` died or broke the protocol.
    virtual void OnTaskLost(std::uint64_t task_id, const DeathCause& cause) = 0;
    // `task_id` ran past its deadline; `stack` is where its worker was (""
    // if it could not be captured). Its worker is being stopped.
    virtual void OnTaskTimedOut(std::uint64_t task_id, pid_t pid,
                                std::uint64_t rss_bytes, base::Duration ran_for,
                                std::string stack) = 0;
    // A worker was reaped that was not retired (pool shrink, shutdown):
    // it died, broke the protocol, was recycled or had its task stopped.
    virtual void OnWorkerRestarted(proto::RestartCause cause) = 0;
  };

  // What the supervisor polls for a slot, and hands back in OnPollEvent.
  struct PollFd {
    enum class Role : std::uint8_t { kRead, kWrite, kCapture };
    int fd;
    Role role;
    int slot;
    std::uint64_t serial;  // of the worker the fd belongs to
  };

  // `spawner` and `clock` must outlive the pool. `oom` reads the memory
  // cgroup's OOM-kill count for the "oom" verdict.
  WorkerPool(WorkerCommand command, int size, PoolSettings settings,
             WorkerSpawner& spawner, const base::Clock& clock,
             Listener& listener, OomCounter oom = OomCounter::ForSelf());

  // Spawns every worker. Fails if one cannot be spawned at all.
  proto::Status Start();
  // Grows the pool at once; extra workers leave once idle.
  void Resize(int size);
  void set_settings(PoolSettings settings) { settings_ = std::move(settings); }
  void set_command(WorkerCommand command) { command_ = std::move(command); }

  // The descriptors to poll now, appended to `out`.
  void AppendPollFds(std::vector<PollFd>* out) const;
  // `fd` was reported ready by poll.
  void OnPollEvent(const PollFd& fd);
  // Reaps exited workers (and helper processes). Call after SIGCHLD.
  void ReapExited();
  // Respawns, start timeouts, task deadlines, SIGKILL after grace, RSS
  // sampling: whatever is due now.
  void RunExpired();
  // Time until the next of those is due, if any is pending.
  std::optional<base::Duration> TimeUntilNextDeadline() const;

  // An idle slot, or nullopt.
  std::optional<int> FindIdle() const;
  // How many slots are idle.
  std::size_t idle() const;
  // Sends `task` to the idle worker of `slot`; `timeout` 0 means none.
  // `expected`: its expected run time, zero when unknown (nothing is then
  // prefetched behind it).
  void Dispatch(int slot, const proto::TaskAssignment& task,
                std::chrono::milliseconds timeout, base::Duration expected = {});
  // The busy slot to send a task expected to run `expected` (> 0) ahead
  // to, if one may take it: its worker takes prefetch, its running task
  // has an expected time within the budget, no deadline and no pipe, fewer
  // than `max_depth` are queued behind it, and with this one what is queued
  // stays within the budget. It is not due to be retired or recycled. The
  // least loaded of those (running and queued expected time).
  std::optional<int> FindPrefetchSlot(base::Duration expected, std::size_t max_depth) const;
  // Writes `task` (no timeout, no pipe) to the worker of `slot`, as
  // FindPrefetchSlot chose, behind what it has.
  void Prefetch(int slot, const proto::TaskAssignment& task, base::Duration expected);
  // Asks the worker holding `task_id` sent ahead not to run it. False if
  // no worker holds it as such.
  bool DropPrefetched(std::uint64_t task_id);
  // Tasks sent ahead that have not started, on all workers.
  std::size_t prefetched() const;
  // The pid of the worker in `slot`, which must have one.
  pid_t pid(int slot) const;
  // Writes `message` (a pipe frame) to the worker running `task_id`.
  // False if no worker runs it.
  bool SendToTask(std::uint64_t task_id, const proto::PipeMessage& message);
  // Bytes buffered for the worker running `task_id` that its pipe has not
  // taken yet; nullopt if no worker runs it.
  std::optional<std::size_t> PendingBytes(std::uint64_t task_id) const;
  // Stops the worker running `task_id` (its task was cancelled); the caller
  // answers the task. False if no worker runs it.
  bool StopTask(std::uint64_t task_id);

  // Stops respawning; idle workers are told to exit now, busy ones after
  // their task.
  void BeginShutdown();
  // Sends `signal` to every live worker, whatever its state (shutdown's
  // escalation); states follow from what the workers then do.
  void SignalAll(int signal);
  bool AllExited() const { return live() == 0; }

  // Calls f(const WorkerView&) for every slot that has a worker.
  template <typename F>
  void ForEachWorker(F&& f) const {
    for (const Slot& s : slots_) {
      if (!s.worker) continue;
      WorkerView v = View(s);
      v.host = host_;
      v.heard_at = heard_at_;
      f(v);
    }
  }

  // The host its workers run on, for listings and causes of death: "" for
  // tqd's own, an agent's host name for the pool of an agent session.
  void set_host(std::string host) { host_ = std::move(host); }
  const std::string& host() const { return host_; }
  // When the agent of this pool was last heard from, for listings.
  void set_heard_at(base::TimePoint at) { heard_at_ = at; }
  // Tasks its workers have finished (results), over its whole life.
  std::uint64_t tasks_done() const { return tasks_done_; }

  // Every slot has had a worker say hello (or did, before a resize).
  bool ready() const {
    return ever_ready_ || slots_greeted_ >= static_cast<std::size_t>(size_);
  }
  // Non-empty when a worker died before the pool was first ready: tqd
  // cannot serve (e.g. a plugin fails to load).
  const std::string& start_failure() const { return start_failure_; }
  int size() const { return size_; }
  std::size_t live() const;

 private:
  struct Assignment {
    std::uint64_t task_id = 0;
    base::TimePoint started_at{};  // once it runs
    std::optional<base::TimePoint> deadline;
    base::Duration expected{};  // its expected run time; 0: unknown
    bool pipe = false;
    bool dropping = false;  // sent ahead, then dropped: its fate is unknown
  };
  enum class StopReason : std::uint8_t {
    kRetire,    // between tasks (shrink, shutdown): input closed, it
                // exits on EOF; SIGKILL after stop_grace
    kRecycle,   // as kRetire, after max_tasks_per_worker or max_rss_bytes
    kStopTask,  // its task timed out or was cancelled, and was answered:
                // SIGTERM now, SIGKILL after stop_grace
    kExpel,     // it broke the protocol: SIGKILL now; its task is lost
                // with `why` as the cause
    kVanished,  // it closed its result pipe on its own, so it is exiting;
                // SIGKILL after stop_grace, then it counts as expelled
  };

  // The states. Only Starting..Stopping have a worker.
  struct Empty {};
  struct RespawnWait {
    base::TimePoint at;
  };
  struct Starting {};
  struct Idle {};
  struct Busy {
    Assignment task;  // running (or, if dropping, maybe never started)
    std::deque<Assignment> prefetched;  // written behind it, in order
  };
  struct Capturing {
    Assignment task;
    StackCapture capture;
  };
  struct Stopping {
    StopReason reason;
    std::string why;  // what the worker did, for kExpel
    std::optional<base::TimePoint> kill_at;
    // Its task, if it is still to be reported lost when the worker is reaped.
    std::optional<Assignment> task;
    // Tasks it was sent ahead, returned once it is reaped (never before:
    // until then it might still start one).
    std::deque<Assignment> prefetched;
    // kStopTask of a task whose stack was being captured: the tool, killed.
    // The worker gets its SIGTERM once the tool is reaped, as a signal sent
    // while the tool still traces it could be swallowed.
    std::optional<base::Subprocess> tool;
  };
  using State =
      std::variant<Empty, RespawnWait, Starting, Idle, Busy, Capturing, Stopping>;

  struct Slot {
    int index = 0;
    State state;
    std::optional<Worker> worker;  // iff the state is Starting..Stopping
    RespawnBackoff backoff;        // across this slot's workers
    std::uint64_t hellos = 0;      // workers of this slot that said hello
  };

  Slot& slot(int index) { return slots_[static_cast<std::size_t>(index)]; }
  const Slot& slot(int index) const { return slots_[static_cast<std::size_t>(index)]; }
  bool Reading(const Slot& s) const;
  static WorkerView View(const Slot& s);
  // The slot's task, in the states that have one.
  static const Assignment* TaskOf(const Slot& s);
  // The slot whose worker is Busy with `task_id`, or null.
  Slot* BusyWith(std::uint64_t task_id);
  const Slot* BusyWith(std::uint64_t task_id) const;

  // ---- transitions
  // The only way a worker enters a slot: Empty or RespawnWait -> Starting.
  proto::Status Spawn(Slot& s);
  // Spawn(), or RespawnWait when the spawn fails.
  void Respawn(Slot& s);
  // Any state with a worker -> Stopping, doing what `reason` says.
  void BeginStop(Slot& s, StopReason reason, std::string why = {});
  // Busy -> Idle after its result, or -> Stopping to recycle it.
  void AfterTask(Slot& s);
  // Capturing (or Busy, without a stack tool) -> Stopping, reporting the
  // task timed out.
  void TimeOutTask(Slot& s);

  // How a reaped worker ended, and the task it took with it.
  struct Death {
    DeathCause cause;
    std::optional<std::uint64_t> lost_task;
  };
  // The worker of `s` was reaped with `exit`: ReportDeath, then
  // ScheduleRespawn.
  void Reap(Slot& s, const base::ExitStatus& exit);
  // Any state with a worker -> Empty; its task, if any, is reported lost.
  Death ReportDeath(Slot& s, const base::ExitStatus& exit);
  DeathCause DescribeDeath(const Slot& s, const base::ExitStatus& exit);
  // Why the worker of `s` counts as restarted; nullopt if it was retired.
  static std::optional<proto::RestartCause> RestartCauseOf(const Slot& s,
                                                           const DeathCause& death);
  // Empty -> Starting, RespawnWait, or stays Empty.
  void ScheduleRespawn(Slot& s, const Death& death, bool expected, bool crash_loop);

  // ---- events
  void OnReadable(Slot& s);
  void OnWritable(Slot& s);
  void OnCaptureReadable(Slot& s);
  void HandleFrame(Slot& s, std::string_view frame);
  void OnHello(Slot& s, const proto::WorkerHello& hello);
  void OnResult(Slot& s, const proto::WorkerResult& result);
  void OnDropped(Slot& s, const proto::TaskDropped& dropped);
  // Busy: the running task is over; the next one sent ahead starts, or
  // AfterTask().
  void NextTask(Slot& s);
  // Busy with a dropping task that reports in: it had started after all.
  void ConfirmStarted(Slot& s);
  // Busy past its task's deadline -> Capturing, or TimeOutTask().
  void OnDeadline(Slot& s);
  // Stops a stack capture that is no longer wanted; its text, if any.
  std::string AbandonCapture(StackCapture& capture);

  WorkerCommand command_;
  int size_;
  PoolSettings settings_;
  WorkerSpawner& spawner_;
  const base::Clock& clock_;
  Listener& listener_;
  OomCounter oom_;
  std::vector<Slot> slots_;
  proto::Decoder decoder_;
  ReapQueue helpers_;  // stack-capture tools still to be reaped
  std::uint64_t next_serial_ = 1;
  std::size_t slots_greeted_ = 0;  // slots with hellos > 0
  bool ever_ready_ = false;  // ready() held once: start failures are over
  bool shutting_down_ = false;
  std::string start_failure_;
  std::string host_;
  base::TimePoint heard_at_{};
  std::uint64_t tasks_done_ = 0;
  base::TimePoint next_rss_sample_{};
};

}  // namespace tq::daemon
