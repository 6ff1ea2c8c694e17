// Supervisor: tqd itself. One thread, one poll loop over the ROUTER socket,
// a signalfd and every worker's pipes; it owns all state.
//
//   while (!ShutdownFinished()) {
//     BeforeSleep();   retry sends to slow clients, trim the heap, dispatch
//                      ready tasks to idle workers
//     Poll();          until the next deadline: signalfd, worker pipes, ROUTER
//       HandleSignals()            first: SIGCHLD reaps (and replaces) workers
//       pool_.OnPollEvent(fd)      each ready worker pipe; events polled for a
//                                  worker replaced meanwhile are dropped
//       DrainRouter()              at most 256 client messages
//     RunExpired();    respawns, start timeouts, task deadlines, kill graces,
//                      shutdown escalation, result TTLs
//   }
//
// Every accepted task ends exactly once: done, failed, timed_out, cancelled,
// lost or buried (retries happen before that, inside the task's life), and
// each request waiting on it (the submitter, a duplicate submit, a WAIT)
// gets one RESULT. Ended tasks stay in the result store for status/wait.
//
// Lifecycle: Create() takes the endpoint lock, binds (or serves the socket
// systemd passed), and starts the pool; clients are read only once every
// worker has said hello (so the function list is known). SIGTERM/SIGINT
// stop intake, answer queued tasks "cancelled", let running tasks finish
// within shutdown_grace, reap every worker and remove the socket file (not
// systemd's). SIGHUP reloads the configuration. systemd hears of each step
// (service_notifier.h). Not thread-safe: Run() is the only entry point
// after Create().
#pragma once

#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <zmq.hpp>

#include "base/clock.h"
#include "base/signal_fd.h"
#include "client_watch.h"
#include "config.h"
#include "endpoint_lock.h"
#include "journal.h"
#include "objects/object_store.h"
#include "pools.h"
#include "metrics.h"
#include "metrics_endpoint.h"
#include "router_socket.h"
#include "run_time_estimates.h"
#include "store/start_log.h"
#include "store/task_store.h"
#include "scheduler.h"
#include "service_notifier.h"
#include "task_pipe.h"
#include "task_table.h"
#include "tq/proto/codec.h"
#include "worker_pool.h"

namespace tq::daemon {

// Builds the configuration anew (file and flags), for SIGHUP.
using ConfigLoader = std::function<proto::Result<Config>()>;

class Supervisor final : private WorkerPool::Listener, private objects::ReplySink {
 public:
  static proto::Result<std::unique_ptr<Supervisor>> Create(Config config,
                                                           ConfigLoader reload);
  ~Supervisor() override;

  // Serves until shut down. Returns the process exit code.
  int Run();

 private:
  Supervisor(Config config, ConfigLoader reload, base::SignalFd signals,
             EndpointLock lock, std::unique_ptr<store::TaskStore> store);
  proto::Status Init();

  // ---- the loop (supervisor.cc)
  void BeforeSleep();
  // Queued tasks to idle workers. A durable task is first claimed: its
  // start is written, and it goes to a worker once that is on disk. Tasks
  // are claimed a little ahead of the workers (claim_ahead_), so that one
  // commit starts many and workers never wait on the disk between tasks.
  void Dispatch();
  // The task Dispatch hands out next, left where it is: a claim whose
  // start is on disk (*claim set), or the queue's head if it is not
  // durable; null if there is none or it must wait.
  Task* NextToStart(base::TimePoint now, bool claims_blocked, bool* claim);
  // Hands `task` to the idle worker of `slot`.
  void StartOn(Pools::Slot slot, Task& task, base::Duration expected);
  // Sends `task` ahead to the busy worker of `slot` (prefetch): it runs
  // there after what that worker has, and users see it queued meanwhile.
  void PrefetchOn(Pools::Slot slot, Task& task, base::Duration expected);
  // Its attempt starts now: times, metrics.
  void MarkStarted(Task& task);
  // What a run of it is expected to take; 0 when no run of its function
  // has been seen.
  base::Duration ExpectedRunTime(const Task& task) const;
  // Whether it may be sent ahead at all, whatever its function costs.
  static bool Prefetchable(const Task& task);
  // Cancels of tasks sent ahead that turned out to have started: they are
  // cancelled as running ones, outside the pool's reports.
  void CancelLate();
  // Whether the queue's next task has a higher priority than the claim.
  bool OutrankedByQueued(std::uint64_t claimed_id, base::TimePoint now);
  // Whether `task` has a higher priority than the last live claim (none
  // left: true): it is claimed even past claim_ahead_.
  bool OutranksLastClaim(const Task& task);
  void Poll();
  std::chrono::milliseconds NextTimeout() const;
  void HandleSignals();
  void DrainRouter();
  void RunExpired();
  bool ShutdownFinished() const;
  void BeginShutdown();
  void Reload();

  // ---- requests (handlers/*.cc)
  // One client message: a lone request, or a batch (PROTOCOL.md §1) whose
  // every request is answered on its own, in order.
  void HandleMessage(const Incoming& in);
  void HandleBatch(std::string_view client, const Incoming& in);
  // Decodes one request (a lone message, or one frame of a batch) and
  // hands it to its handler; a bad one gets its error, by its req.
  void HandleRequest(std::string_view client, std::string_view frame, bool in_batch);
  // The req of a client message, or the one its decoder could read (0).
  std::uint64_t RequestIdOf(std::string_view frame);
  void HandleSubmit(std::string_view client, const proto::SubmitRequest& m);
  void HandlePing(std::string_view client, const proto::PingRequest& m);
  void HandleTaskRequest(std::string_view client, const proto::TaskRequest& m);
  void HandleList(std::string_view client, const proto::ListRequest& m);
  // The task of `task_id`, or null after answering NOT_FOUND.
  Task* FindOrSayNotFound(std::string_view client, std::uint64_t request_id,
                          std::uint64_t task_id);
  void HandleUnwait(std::string_view client, const proto::UnwaitRequest& m);
  void HandleJob(std::string_view client, const proto::JobRequest& m);
  void HandleObject(std::string_view client, const proto::ObjectRequest& m);
  void HandlePipe(std::string_view client, const proto::PipeMessage& m);
  // Sends `to` the task's latest progress report, if it is running and has
  // made one: every request that joins a running task is caught up.
  void ReplayProgress(const Task& task, const Waiter& to);
  // Ends the task cancelled, stopping its worker if it runs. False if it
  // was sent ahead to a worker: the worker is asked to drop it first, and
  // the task ends once it answers (drops_).
  bool Cancel(Task& task, const std::string& why);
  void Kick(Task& task);

  // ---- task lifecycle (task_lifecycle.cc)
  // Where Enqueue puts a task among those of its priority.
  enum class Place : std::uint8_t {
    kLast,    // behind every one queued
    kItsOwn,  // a task given out that never started (a worker went with it
              // sent ahead): where it was, ahead of those queued after it;
              // ready at once
  };
  // Queues a task to run at `ready_at`.
  void Enqueue(Task& task, base::TimePoint ready_at, Place place = Place::kLast);
  // An attempt ended without a value: retry, bury or end the task.
  void AttemptFailed(Task& task, proto::TaskState state, TaskError error);
  // Ends the task: RESULT to every waiter, then into the result store.
  void EndTask(Task& task, proto::TaskState state, std::string value,
              TaskError error);
  void SendResult(const Task& task, const Waiter& to);
  void SendStatus(const Task& task, std::string_view client,
                  std::uint64_t request_id);

  // ---- durability (durability.cc)
  // Brings back the store's tasks (start-up): queued ones queued again in
  // their order and with what is left of their delay, running ones retried
  // or lost, results kept for what is left of their TTL; and reserves ids.
  proto::Status Recover();
  // Writes a new durable task / its lifecycle now / its removal into this
  // turn's batch.
  void PersistNew(Task& task, std::string_view args, std::string_view key);
  void Persist(Task& task);
  // Keeps the store's id ceiling ahead of the ids handed out.
  void ReserveIds();
  // Sends what reply_ holds about `task` to `client`, or, while a write of
  // the durable task is not on disk yet, once it is.
  void ReplyAbout(const Task& task, std::string_view client, std::uint64_t request_id);
  // The durable submit that wrote a task in batch `seq` could not be
  // committed: its requests get STORE_FAILED and the task is forgotten.
  void RefuseTask(std::uint64_t task_id, std::uint64_t seq, const proto::Status& why);
  // One request's STORE_FAILED, once.
  void Refuse(std::string_view client, std::uint64_t request_id, const proto::Status& why);
  // Takes a queued durable task out of the queue and writes its start.
  void Claim(Task& task);
  // Writes the start of a claimed task to the start log, before it goes
  // to its worker; false (and the operator told once) if it cannot.
  bool LogStart(const Task& task);
  // Rewrites the start log with only the entries still needed.
  void TrimStartLog();
  // A claimed task got its worker, ended, or goes back to the queue.
  void Unclaim(Task& task);
  // Claimed tasks not handed to a worker go back to queued (shutdown).
  void ReturnClaims();
  // Tasks waiting for a worker as users count them: the queue's and the
  // claimed ones.
  std::size_t queued() const {
    return scheduler_.size() + claims_ + pools_.prefetched();
  }
  // After each commit: tells the operator when the store starts or stops
  // failing.
  void OnCommitted();
  std::uint64_t StoreBytes() const;

  // Replies a client's full queue would not take yet, oldest first.
  struct Outbox {
    std::deque<std::string> replies;
    std::size_t bytes = 0;
    std::size_t dropped = 0;  // replies dropped since it overflowed; logged once
  };

  // ---- replies (supervisor.cc)
  // Sends what reply_ holds to `client`, queueing it if the client is slow.
  void SendReply(std::string_view client);
  void SendBytes(std::string_view client, std::string_view bytes);
  // Puts `bytes` behind a slow client's unsent replies, dropping its
  // oldest past --max-unread-reply-bytes.
  void Hold(Outbox& box, std::string_view bytes);
  // Sends the replies this loop turn held for clients that batch, each
  // client's as one message (end of every turn).
  void FlushTurnReplies();
  void SendError(std::string_view client, std::uint64_t request_id,
                 const proto::Status& status);
  void RetryOutbox();

  // ---- WorkerPool::Listener (task_lifecycle.cc)
  void OnWorkerReady(const Worker& worker, const proto::WorkerHello& hello) override;
  void OnTaskResult(const Worker& worker, const proto::WorkerResult& result) override;
  void OnTaskProgress(const Worker& worker, const proto::TaskProgress& progress) override;
  void OnTaskLost(std::uint64_t task_id, const DeathCause& cause) override;
  void OnTaskTimedOut(std::uint64_t task_id, pid_t pid, std::uint64_t rss_bytes,
                      base::Duration ran_for, std::string stack) override;
  void OnWorkerRestarted(proto::RestartCause cause) override;
  void OnTaskPipe(const Worker& worker, const proto::PipeMessage& message) override;
  void OnPrefetchedStarted(const Worker& worker, std::uint64_t task_id) override;
  void OnTaskReturned(std::uint64_t task_id) override;
  void OnTaskDropped(std::uint64_t task_id) override;
  // Sends each request waiting on the cancel of `task`, sent ahead, its
  // status, now that the task has ended one way or another.
  void AnswerDrop(const Task& task);

  // ---- the figures of stats, metrics and /metrics (handlers/listing.cc)
  proto::StatsReply Stats();
  std::string PrometheusText() const;

  // ---- what systemd is told (service_status.cc)
  ServiceCounts ServiceCountsNow() const;

  // ---- objects::ReplySink (handlers/objects.cc)
  void Reply(const objects::Caller& to, const proto::ObjectReply& reply) override;
  void Fail(const objects::Caller& to, const proto::Status& error) override;

  // ---- what goes with a connection or a task (connection_ties.cc)
  // Watches the connection of the message being handled, whose client is
  // `client`; false if that connection is already gone (drop the request).
  bool WatchCaller(std::string_view client);
  // Reads the connection events waiting: gone clients are cleaned up.
  void DrainWatch();
  void OnClientGone(const std::string& client);
  // A new task's daemon and pipe options (SUBMIT).
  void TieToSubmitter(Task& task, std::string_view client, const proto::SubmitRequest& m);
  // An attempt of `task` is over (retried or not) / the task has ended:
  // what it held is released, its pipe closed.
  void OnAttemptOver(const Task& task);
  void OnTaskOver(const Task& task);
  // `task` was just handed to a worker: what its pipe holds follows it.
  void OnTaskStarted(const Task& task);
  // Sends pipe_close for the client's end to the worker running `task_id`.
  void ClosePipeToTask(std::uint64_t task_id, TaskPipe& pipe);

  PoolSettings MakePoolSettings() const;
  WorkerCommand MakeWorkerCommand() const;

  // Declared in construction order; destroyed in reverse: the pool (which
  // kills and waits for any worker still alive: only when tqd exits without
  // draining) and the socket go before the
  // context, and the endpoint lock removes the socket file after the
  // socket is closed.
  Config config_;
  ConfigLoader reload_;
  base::SteadyClock clock_;
  // Before the context: it takes NOTIFY_SOCKET out of the environment while
  // tqd has one thread.
  ServiceNotifier notifier_;
  std::string stack_tool_;  // gdb or eu-stack, found once at start
  base::SignalFd signals_;
  EndpointLock lock_;
  std::unique_ptr<store::TaskStore> store_;
  std::unique_ptr<Journal> journal_;  // after Init(); commits for store_
  base::Fd activated_socket_;  // from systemd (tqd.socket); given to router_
  zmq::context_t context_;
  std::optional<RouterSocket> router_;
  std::optional<ClientWatch> watch_;  // disconnects of the clients that hold things
  std::string worker_endpoint_;       // the endpoint as bound: workers' TQ_ENDPOINT
  std::optional<MetricsEndpoint> metrics_endpoint_;  // iff --metrics is set
  ProcessSpawner spawner_;
  WorkerPool pool_;
  // Worker agents' sessions and their pools, iff `agents` is set; and
  // every pool, tqd's and theirs, as scheduling sees them.
  std::unique_ptr<AgentHub> agents_;
  Pools pools_{pool_};
  Scheduler scheduler_;
  TaskTable tasks_;
  proto::Decoder decoder_;
  // Who sent the client message being handled (HandleMessage sets it for
  // its handler): what SUBMIT records as the task's submitter.
  PeerCredentials sender_;
  objects::ObjectStore objects_;
  // Pipes of tasks submitted with `pipe`, by task id, until the task ends.
  std::unordered_map<std::uint64_t, TaskPipe> pipes_;
  // Unfinished daemon tasks by the connection that submitted them.
  std::unordered_map<std::string, std::vector<std::uint64_t>> daemon_tasks_;
  const Incoming* incoming_ = nullptr;  // the client message being handled
  // Connections that have sent a batch: their replies of one loop turn go
  // out together, as a batch; a client that never batches gets every
  // reply as a lone message. Watched, so forgotten when they disconnect.
  std::unordered_set<std::string> batching_clients_;
  // This loop turn's replies to those clients (not slow ones: theirs wait
  // in their outbox), until FlushTurnReplies.
  std::unordered_map<std::string, ReplyBatch> turn_replies_;

  // Offered by the workers, by name, with the plugin that offers each (""
  // for builtins).
  std::map<std::string, std::string, std::less<>> functions_;
  // Every function name a task has had: those offered, and those of tasks
  // recovered from the store. Never shrinks: every Task::fn views one.
  std::set<std::string, std::less<>> fn_names_;
  // This start of tqd, for pong: 32 random hex digits, and when.
  const std::string instance_;
  const std::int64_t started_at_ms_;
  proto::Buffer reply_;                           // reused for every reply
  // By client routing id; a client is here iff it has unsent replies.
  std::unordered_map<std::string, Outbox> outboxes_;
  // Most tasks and unsent replies held at once since the heap was last
  // trimmed (see BeforeSleep).
  std::size_t held_peak_ = 0;
  std::size_t received_since_trim_ = 0;  // requests read since then
  base::TimePoint trimmed_at_{};

  // For `stats`, `metrics` and /metrics; the last tasks to end.
  Metrics metrics_{clock_};
  std::deque<std::uint64_t> recent_;  // task ids, newest first

  // Prefetch: what each function's runs take; cancels of tasks sent ahead
  // that wait for their worker's answer (the why, and the cancel requests
  // to answer); and those of them found running meanwhile.
  // 32, not 8: for trivial tasks each worker round trip then carries 4x
  // as many, and tqd's CPU per task fell from 9-12 to 6-7 us (bench:
  // throughput, window 1000); the budget, not the depth, bounds the wait.
  static constexpr std::size_t kMaxPrefetch = 32;
  // Durable tasks sent ahead are lost, not run, when tqd is killed (their
  // start is on disk): fewer of them.
  static constexpr std::size_t kMaxDurablePrefetch = 2;
  RunTimeEstimates run_times_;
  struct PendingDrop {
    std::string why;
    std::vector<Waiter> answer;
  };
  std::unordered_map<std::uint64_t, PendingDrop> drops_;
  std::vector<std::uint64_t> late_cancels_;

  // Durability: the id ceiling on disk (ids above it were never handed
  // out), whether a higher one is being written, durable tasks known, why
  // the store last failed to commit ("" while it works), and the requests
  // already told STORE_FAILED since.
  std::uint64_t id_ceiling_ = 0;
  bool raising_ceiling_ = false;
  // Durable tasks claimed (their start written) and not yet on a worker, in
  // claim order; how many to keep claimed ahead of the workers; and how many
  // started since the last commit, which sets that.
  std::deque<std::uint64_t> claimed_;
  // Which claimed tasks went to a worker (store/start_log.h), and whether
  // it last failed to be written.
  std::optional<store::StartLog> start_log_;
  bool start_log_failing_ = false;
  std::size_t claims_ = 0;  // of claimed_, the tasks still claimed
  std::size_t claim_ahead_ = 0;
  std::size_t durable_starts_ = 0;
  std::uint64_t durable_tasks_ = 0;
  std::string store_error_;
  std::set<std::pair<std::string, std::uint64_t>> refused_;

  bool serving_ = false;   // the pool was ready once; clients are read
  bool stopping_ = false;  // SIGTERM/SIGINT seen
  std::optional<base::TimePoint> term_at_;  // then SIGTERM running workers
  std::optional<base::TimePoint> kill_at_;  // then SIGKILL them
  bool shutdown_kill_sent_ = false;  // the grace ran out; workers were signalled
};

}  // namespace tq::daemon
