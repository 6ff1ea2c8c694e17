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

// What the answers to requests other than a submit carry, and a piped
// submit's messages. On the heap, made by the first reply that needs it:
// the calls of a bulk submit, a million at a time, only ever wait for a
// result, and stay a few hundred bytes each instead of a few KiB.
struct CallAnswers {
  ServerInfo server;                    // for pings
  TaskInfo status;                      // for status, cancel and kick
  std::vector<WorkerStatus> workers;    // for workers
  std::vector<FunctionInfo> functions;  // for functions
  JobStatus job;                        // for job
  QueueStats stats;                     // for stats
  ObjectAnswer answer;                  // for object calls
  std::string text;                     // for metrics
  // A piped submit's messages from the task, not yet read.
  std::deque<std::string> pipe_in;
};

struct CallState {
  // Set at creation, then immutable.
  std::shared_ptr<CompletionQueue> queue;
  std::size_t tag = 0;
  std::weak_ptr<CallbackRunner> runner;
  std::weak_ptr<CallOwner> owner;
  // The max_in_flight slot this call holds, given back on completion;
  // null when the client has no limit or the call is not a submit.
  std::shared_ptr<InFlightLimit> slot;
  // Submitted with SubmitOptions::ack false: no ACCEPTED comes, and the
  // task id only with the result.
  bool ack_less = false;

  mutable std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  std::uint64_t task_id = 0;
  Outcome outcome;
  // What replies other than a task's result carry; null until one does.
  // Immutable once done.
  std::unique_ptr<CallAnswers> answers;
  bool pipe_closed = false;  // the task's end of a piped submit has closed
  std::optional<Progress> progress;
  std::vector<std::function<void(const Progress&)>> progress_callbacks;
  bool cancel_requested = false;  // before tqd said which task it is
  bool forget_requested = false;  // likewise
  std::uint64_t request_id = 0;   // set when queued; immutable after
  std::vector<std::function<void()>> callbacks;

  // Ends the call with `outcome` unless it already ended; wakes waiters,
  // the completion queue and the callbacks.
  // `answers`, made if there are none yet; hold mu.
  CallAnswers& Answers();
  // `answers`, or an empty set if none came; for a call that is done.
  const CallAnswers& AnswersOrNone() const;
  // Whether a piped submit's messages wait to be read; hold mu.
  bool PipeWaiting() const { return answers && !answers->pipe_in.empty(); }

  void Complete(Outcome outcome_in);
  // Records a progress report and hands it to the progress callbacks.
  void Report(Progress p);
  // A message on the call's pipe, or its end (close).
  void PipeIn(std::string data);
  void PipeClosed();
};

}  // namespace tq::detail
