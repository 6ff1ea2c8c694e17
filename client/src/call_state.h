// CallState: what a RawResult handle and the I/O thread share about one
// request. Internal to libtq.
//
// Written by the I/O thread (task id, completion) and read by any thread;
// everything below `mu` is guarded by it. Completion happens exactly once.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "callback_runner.h"
#include "in_flight_limit.h"
#include "tq/raw_client.h"

namespace tq::detail {

struct CallState {
  // Set at creation, then immutable.
  std::shared_ptr<CompletionQueue> queue;
  std::size_t tag = 0;
  std::weak_ptr<CallbackRunner> runner;
  std::weak_ptr<CallOwner> owner;
  // The max_in_flight slot this call holds, given back on completion;
  // null when the client has no limit or the call is not a submit.
  std::shared_ptr<InFlightLimit> slot;

  mutable std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::uint64_t task_id = 0;
  Outcome outcome;
  ServerInfo server;  // for pings
  TaskInfo status;    // for status, cancel and kick
  std::vector<WorkerStatus> workers;  // for workers
  std::vector<FunctionInfo> functions;  // for functions
  JobStatus job;                        // for job
  QueueStats stats;                   // for stats
  ObjectAnswer answer;                // for object calls
  // A piped submit's messages from the task, not yet read, and whether
  // the task's end has closed (pipe_close, or the call ended).
  std::deque<std::string> pipe_in;
  bool pipe_closed = false;
  std::string text;                   // for metrics
  std::optional<Progress> progress;
  std::vector<std::function<void(const Progress&)>> progress_callbacks;
  bool cancel_requested = false;  // before tqd said which task it is
  bool forget_requested = false;  // likewise
  std::uint64_t request_id = 0;   // set when queued; immutable after
  std::vector<std::function<void()>> callbacks;

  // Ends the call with `outcome` unless it already ended; wakes waiters,
  // the completion queue and the callbacks.
  void Complete(Outcome outcome_in);
  // Records a progress report and hands it to the progress callbacks.
  void Report(Progress p);
  // A message on the call's pipe, or its end (close).
  void PipeIn(std::string data);
  void PipeClosed();
};

}  // namespace tq::detail
