// WorkerPool: keeps `size` workers alive and tells the supervisor what they
// say.
//
// It spawns workers, reads and decodes their frames, notices their death
// (pipe EOF and SIGCHLD, whichever comes first; the process is reaped
// before its slot is reused) and respawns them, with exponential backoff
// when a worker dies young again and again. A task whose worker dies is
// reported lost with the reason. Single-threaded; the supervisor calls in
// from its loop and receives events through Listener.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "tq/proto/codec.h"
#include "tq/proto/messages.h"
#include "worker.h"

namespace tq::daemon {

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
    // The worker running `task_id` died or misbehaved; `reason` says how.
    virtual void OnTaskLost(std::uint64_t task_id, const std::string& reason) = 0;
  };

  WorkerPool(WorkerCommand command, int size, const base::Clock& clock,
             Listener& listener);

  // Spawns every worker. Fails if one cannot be spawned at all.
  proto::Status Start();

  // Calls f(Worker&) for every live worker.
  template <typename F>
  void ForEach(F&& f) {
    for (Slot& s : slots_) {
      if (s.worker) f(*s.worker);
    }
  }

  void OnReadable(int slot);
  void OnWritable(int slot);
  // Reaps exited workers (after SIGCHLD).
  void ReapExited();
  // Respawns workers whose backoff has elapsed; kills workers that did not
  // say hello within the start timeout.
  void RunExpired();
  // Time until the next respawn or start timeout, if any is pending.
  std::optional<base::Duration> TimeUntilNextDeadline() const;

  // An idle worker, or nullptr.
  Worker* FindIdle();
  // Sends `task` to an idle worker.
  void Dispatch(Worker& worker, const proto::TaskAssignment& task);

  // Stops respawning; idle workers are told to exit now, busy ones after
  // their task.
  void BeginShutdown();
  // Sends `signal` to every live worker.
  void SignalAll(int signal);
  bool AllExited() const;

  // Every slot has said hello at least once.
  bool ready() const { return ready_count_ == slots_.size(); }
  // Non-empty when a worker died before the pool was first ready: tqd
  // cannot serve (e.g. a plugin fails to load).
  const std::string& start_failure() const { return start_failure_; }
  std::size_t size() const { return slots_.size(); }

 private:
  struct Slot {
    std::optional<Worker> worker;
    bool said_hello = false;             // at least once, for ready()
    int quick_deaths = 0;                // consecutive deaths soon after start
    std::optional<base::TimePoint> respawn_at;
    std::string kill_reason;             // why we killed it, if we did
  };

  void SpawnInto(int slot);
  void HandleFrame(Slot& slot, std::string_view frame);
  // Kills the worker for breaking the protocol; its task is lost with why.
  void Evict(Slot& slot, const std::string& reason);
  // The process is reaped: report its task and schedule the respawn.
  void Bury(int slot);

  WorkerCommand command_;
  const base::Clock& clock_;
  Listener& listener_;
  std::vector<Slot> slots_;
  proto::Decoder decoder_;
  std::size_t ready_count_ = 0;
  bool shutting_down_ = false;
  std::string start_failure_;
};

}  // namespace tq::daemon
