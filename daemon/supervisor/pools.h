// Pools: tqd's own worker pool and the pools of its agents' sessions
// (agents/agent_hub.h), seen as one by the scheduling code: a task goes to
// an idle slot of whichever pool has the most idle slots, is sent ahead to
// any pool's busy worker, and is found, signalled or fed by id wherever it
// runs. Each pool keeps its own state machine; this only fans calls out.
#pragma once

#include <cstddef>
#include <optional>

#include "agents/agent_hub.h"
#include "worker_pool.h"

namespace tq::daemon {

class Pools {
 public:
  // A slot of one of the pools.
  struct Slot {
    WorkerPool* pool;
    int index;
  };

  explicit Pools(WorkerPool& local) : local_(local) {}
  void set_agents(AgentHub* agents) { agents_ = agents; }

  // Calls f(WorkerPool&) for tqd's pool, then every agent session's.
  template <typename F>
  void ForEach(F&& f) const {
    f(local_);
    if (agents_ != nullptr) agents_->ForEachPool(f);
  }
  // Calls f(const WorkerView&) for every worker of every pool.
  template <typename F>
  void ForEachWorker(F&& f) const {
    ForEach([&](const WorkerPool& p) { p.ForEachWorker(f); });
  }

  std::optional<Slot> FindIdle() const;
  std::size_t idle() const;
  std::optional<Slot> FindPrefetchSlot(base::Duration expected, std::size_t max_depth) const;
  std::size_t prefetched() const;
  // Slots of every pool.
  std::size_t size() const;

  // As WorkerPool's, for the pool that holds `task_id`.
  bool SendToTask(std::uint64_t task_id, const proto::PipeMessage& message);
  std::optional<std::size_t> PendingBytes(std::uint64_t task_id) const;
  bool StopTask(std::uint64_t task_id);
  bool DropPrefetched(std::uint64_t task_id);

  // As WorkerPool's, for every pool.
  void RunExpired();
  std::optional<base::Duration> TimeUntilNextDeadline() const;
  void BeginShutdown();
  void SignalAll(int signal);
  bool AllExited() const;

 private:
  WorkerPool& local_;
  AgentHub* agents_ = nullptr;
};

}  // namespace tq::daemon
