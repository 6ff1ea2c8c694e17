// Supervisor: tqd itself. One thread, one poll loop over the ROUTER socket,
// a signalfd and every worker's pipes; it owns all state.
//
//   while (!finished) {
//     BeforeSleep();        dispatch queued tasks to idle workers, retry sends
//     Poll(next deadline);
//     signals first (SIGCHLD frees workers), then worker pipes, then clients
//     timers: respawns, shutdown grace
//   }
//
// Lifecycle: Create() takes the endpoint lock, binds, and starts the pool;
// clients are read only once every worker has said hello (so the function
// list is known). SIGTERM/SIGINT stop intake, answer queued tasks
// "cancelled", let running tasks finish within shutdown_grace, reap every
// worker and remove the socket file. Not thread-safe: Run() is the only
// entry point after Create().
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <zmq.hpp>

#include "base/clock.h"
#include "base/signal_fd.h"
#include "config.h"
#include "endpoint_lock.h"
#include "router_socket.h"
#include "scheduler.h"
#include "task.h"
#include "tq/proto/codec.h"
#include "worker_pool.h"

namespace tq::daemon {

class Supervisor final : private WorkerPool::Listener {
 public:
  static proto::Result<std::unique_ptr<Supervisor>> Create(Config config);
  ~Supervisor() override;

  // Serves until shut down. Returns the process exit code.
  int Run();

 private:
  Supervisor(Config config, base::SignalFd signals, EndpointLock lock);
  proto::Status Init();

  // ---- the loop (supervisor.cc)
  void BeforeSleep();
  void Poll();
  std::chrono::milliseconds NextTimeout() const;
  void HandleSignals();
  void DrainRouter();
  void RunExpired();
  bool Finished() const;
  void BeginShutdown();

  // ---- requests (handlers/*.cc)
  void HandleMessage(const Incoming& in);
  void HandleSubmit(std::string_view client, const proto::SubmitRequest& m);
  void HandlePing(std::string_view client, const proto::PingRequest& m);

  // ---- replies (supervisor.cc)
  // Sends what reply_ holds to `client`, queueing it if the client is slow.
  void SendReply(std::string_view client);
  void SendError(std::string_view client, std::uint64_t request_id,
                 const proto::Status& status);
  // Routes a task's final result to its submitter and forgets the task.
  void Complete(std::uint64_t task_id, proto::TaskState state,
                std::string_view value, const proto::ErrorInfo& error);
  void RetryOutbox();

  // ---- WorkerPool::Listener
  void OnWorkerReady(Worker& worker, const proto::WorkerHello& hello) override;
  void OnTaskResult(Worker& worker, const proto::WorkerResult& result) override;
  void OnTaskLost(std::uint64_t task_id, const std::string& reason) override;

  // Replies a client's full queue would not take yet, oldest first.
  struct Outbox {
    std::deque<std::string> replies;
    std::size_t bytes = 0;
  };

  // Declared in construction order; destroyed in reverse: the pool (which
  // kills and reaps any remaining worker) and the socket go before the
  // context, and the endpoint lock removes the socket file after the
  // socket is closed.
  const Config config_;
  base::SteadyClock clock_;
  base::SignalFd signals_;
  EndpointLock lock_;
  zmq::context_t context_;
  std::optional<RouterSocket> router_;
  WorkerPool pool_;
  Scheduler scheduler_;
  proto::Decoder decoder_;

  std::unordered_map<std::uint64_t, Task> tasks_;
  std::uint64_t next_task_id_ = 1;
  std::set<std::string, std::less<>> functions_;  // offered by the workers
  proto::Buffer reply_;                           // reused for every reply
  // By client routing id; a client is here iff it has unsent replies.
  std::unordered_map<std::string, Outbox> outboxes_;

  bool serving_ = false;   // the pool was ready once; clients are read
  bool stopping_ = false;  // SIGTERM/SIGINT seen
  std::optional<base::TimePoint> term_at_;  // then SIGTERM running workers
  std::optional<base::TimePoint> kill_at_;  // then SIGKILL them
};

}  // namespace tq::daemon
