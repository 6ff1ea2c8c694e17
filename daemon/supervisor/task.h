// Task: what tqd keeps about one accepted task, from SUBMIT until its
// result is evicted from the result store.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "tq/proto/messages.h"
#include "waiter_list.h"

namespace tq::daemon {

// Now as Unix time in milliseconds, for the times status reports.
inline std::int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// An owning copy of proto::ErrorInfo.
struct TaskError {
  std::string type;
  std::string message;
  std::string cause;
  std::uint32_t pid = 0;
  std::optional<std::int32_t> exit_code;
  std::optional<std::int32_t> signal;
  std::uint64_t rss_bytes = 0;
  std::uint64_t timeout_ms = 0;
  std::string stack;

  static TaskError From(const proto::ErrorInfo& e);
  proto::ErrorInfo View() const;
};

// The last progress a running task reported.
struct TaskProgressState {
  double done = 0;
  double total = 0;
  std::string message;
};

// What a Task needs only once it has run, or with options few tasks set
// (durable, a timeout, a retry backoff, a delay): allocated on first need,
// so a task queued without them does not carry it (bench: RSS per queued
// task).
struct TaskExtras {
  std::chrono::milliseconds timeout{0};  // 0: none
  std::chrono::milliseconds retry_backoff{1000};
  // Of a durable task, insert_seq is the journal batch that wrote it
  // first, and write_seq the latest batch with a write of it: replies
  // about it wait until write_seq is on disk.
  std::uint64_t insert_seq = 0;
  std::uint64_t write_seq = 0;
  std::int64_t started_at_ms = 0;   // Unix time
  std::int64_t finished_at_ms = 0;  // Unix time
  base::TimePoint finished_at{};    // steady clock, for the result TTL
  std::uint32_t worker_deaths = 0;  // runs that killed their worker
  pid_t worker_pid = 0;             // current or last worker
  // While queued: the Unix time it may run from (delay, backoff), or 0.
  std::int64_t ready_at_ms = 0;
  // The last progress it reported while it runs, if it did.
  std::unique_ptr<TaskProgressState> progress;
  // Why it did not end done; also while a retry waits.
  std::unique_ptr<TaskError> error;

  bool operator==(const TaskExtras&) const = default;
};

// Its size is most of tqd's memory per queued task (bench: RSS per queued
// task), hence the views and the pointers below, the members in groups of
// one size (8, 4, then 1 byte), so that none is padded, and TaskExtras:
// TaskSizeTest holds it to 168 bytes.
struct Task {
  std::uint64_t id = 0;
  // fn_name is in tqd's set of function names (which never shrinks); key,
  // the idempotency key, is the TaskTable's copy in its key index, or
  // null; name is the TaskTable's interned copy, or null.
  const std::string* fn_name = nullptr;
  std::string_view fn() const {
    return fn_name != nullptr ? std::string_view(*fn_name) : std::string_view();
  }
  const std::string* key = nullptr;
  const std::string* name = nullptr;
  // The msgpack args array as the client sent it, until the task ends;
  // then its value if it is done. No task needs both: a buried task
  // keeps its args for a kick, and has no value.
  std::string payload;
  const std::string& args() const { return payload; }
  const std::string& value() const { return payload; }

  // Who submitted it: the ipc:// client's uid and pid (SO_PEERCRED, via
  // ZeroMQ's Peer-Address); -1 and 0 when unknown (a tcp:// client).
  std::int64_t submitter_uid = -1;
  std::int64_t queued_at_ms = 0;    // Unix time
  // Steady clock, for the metrics: while queued, when it may run (its
  // delay or retry backoff over); while running, when it started.
  base::TimePoint since{};

  WaiterList waiters;
  // Its TaskExtras as they are (defaults if it has none), and to set.
  const TaskExtras& extras() const { return extras_ ? *extras_ : kNoExtras; }
  TaskExtras& mutable_extras();
  // Sets them all, allocating nothing if they are all defaults.
  void set_extras(TaskExtras x);

  // Options from SUBMIT, defaults applied (with retry_on, the flags
  // below, and in extras timeout and retry_backoff).
  std::int32_t priority = 0;
  std::uint32_t max_retries = 0;
  std::uint32_t attempts = 0;       // runs started
  pid_t submitter_pid = 0;

  proto::TaskState state = proto::TaskState::kQueued;
  std::uint8_t retry_on = 0;  // proto::RetryOn bits
  bool chunk = false;         // args is a chunk of calls (§4.9)
  // Cancelled when its submitter's connection goes; never durable.
  bool daemon = false;
  bool pipe = false;  // has a pipe (Supervisor::pipes_) while it lives
  // Kept in the store (PROTOCOL.md §4.11).
  bool durable = false;
  // A durable task taken from the queue whose start is being written
  // (state kRunning on disk and here, no worker yet): users see it queued.
  bool claimed = false;
  // Sent to a busy worker ahead of need and not known to have started
  // (state kRunning, not counted as an attempt yet): users see it queued.
  bool prefetched = false;

  // Bytes this task holds beyond sizeof(Task), for the result store bound.
  std::size_t HeapBytes() const;
  // Whether an attempt that ended in `outcome` is retried (retry_on; by
  // default lost and timed_out), retries left or not.
  bool RetriesOn(proto::TaskState outcome) const;

 private:
  static const TaskExtras kNoExtras;
  std::unique_ptr<TaskExtras> extras_;
};

}  // namespace tq::daemon
