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

// Its size is most of tqd's memory per queued task (bench: RSS per queued
// task), hence the views and the pointers below, and the members in
// groups of one size (8, 4, then 1 byte), so that none is padded:
// TaskSizeTest holds it to 256 bytes.
struct Task {
  std::uint64_t id = 0;
  // fn views tqd's set of function names (which never shrinks); key, the
  // idempotency key, is the TaskTable's copy in its key index, or null;
  // name is the TaskTable's interned copy, or null.
  std::string_view fn;
  const std::string* key = nullptr;
  const std::string* name = nullptr;
  // The msgpack args array as the client sent it, until the task ends;
  // then its value if it is done. No task needs both: a buried task
  // keeps its args for a kick, and has no value.
  std::string payload;
  const std::string& args() const { return payload; }
  const std::string& value() const { return payload; }

  // Options from SUBMIT, defaults applied (with priority, max_retries,
  // retry_on and the flags below).
  std::chrono::milliseconds timeout{0};  // 0: none
  std::chrono::milliseconds retry_backoff{1000};
  // Of a durable task, insert_seq is the journal batch that wrote it
  // first, and write_seq the latest batch with a write of it: replies
  // about it wait until write_seq is on disk.
  std::uint64_t insert_seq = 0;
  std::uint64_t write_seq = 0;

  // Who submitted it: the ipc:// client's uid and pid (SO_PEERCRED, via
  // ZeroMQ's Peer-Address); -1 and 0 when unknown (a tcp:// client).
  std::int64_t submitter_uid = -1;
  std::int64_t queued_at_ms = 0;    // Unix time
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  std::int64_t ready_at_ms = 0;     // Unix time it may run from (delay, backoff)
  base::TimePoint finished_at{};    // steady clock, for the result TTL
  // Steady clock, for the metrics: while queued, when it may run (its
  // delay or retry backoff over); while running, when it started.
  base::TimePoint since{};

  WaiterList waiters;
  // Allocated on the first report only: most tasks never report progress.
  std::unique_ptr<TaskProgressState> progress;
  // Why it did not end done; also while a retry waits. A pointer: most
  // tasks never fail.
  std::unique_ptr<TaskError> error;

  std::int32_t priority = 0;
  std::uint32_t max_retries = 0;
  std::uint32_t attempts = 0;       // runs started
  std::uint32_t worker_deaths = 0;  // runs that killed their worker
  pid_t worker_pid = 0;             // current or last worker
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
};

}  // namespace tq::daemon
