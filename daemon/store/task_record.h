// TaskRecord and TaskUpdate: one task as the store keeps it, and the change
// of its lifecycle that a state transition writes.
//
// Plain values. The store never parses payloads: args, value and error are
// opaque bytes (msgpack, as tqd got them), fn/key/name are text. Times are
// Unix milliseconds; 0 means "not yet" (never started, not finished).
#pragma once

#include <cstdint>
#include <string>

namespace tq::store {

// What changes while a task lives: all that an Update rewrites.
struct TaskLifecycle {
  std::uint8_t state = 0;  // a proto::TaskState
  std::uint32_t attempts = 0;
  std::uint32_t worker_deaths = 0;
  std::int64_t ready_at_ms = 0;  // may not run before (delay, retry backoff)
  std::int64_t started_at_ms = 0;
  std::int64_t finished_at_ms = 0;
  std::string value;  // opaque bytes; "" = none
  std::string error;  // an encoded error map, opaque; "" = none

  bool operator==(const TaskLifecycle&) const = default;
};

struct TaskRecord {
  std::uint64_t id = 0;  // < 2^63 (an SQLite rowid)
  std::string fn;
  std::string args;  // opaque bytes

  // Set at submit, never changed afterwards.
  std::int32_t priority = 0;
  std::int64_t timeout_ms = 0;  // 0: none
  std::uint32_t max_retries = 0;
  std::uint8_t retry_on = 0;  // proto::RetryOn bits
  std::int64_t retry_backoff_ms = 0;
  bool chunk = false;
  std::string key;  // idempotency key; "" = none
  std::int64_t queued_at_ms = 0;
  // Schema v2 (rows written by a v1 store read as these defaults).
  std::string name;                 // a job name (resumable map); "" = none
  std::int64_t submitter_uid = -1;  // -1: unknown (tcp client, v1 row)
  std::int64_t submitter_pid = 0;   // 0: unknown

  TaskLifecycle life;

  bool operator==(const TaskRecord&) const = default;
};

// Rewrites the lifecycle of task `id`; every other column (args above all)
// stays as it was put.
struct TaskUpdate {
  std::uint64_t id = 0;
  TaskLifecycle life;
};

}  // namespace tq::store
