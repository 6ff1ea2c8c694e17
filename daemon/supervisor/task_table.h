// TaskTable: every task tqd knows, by id and by idempotency key, and the
// result store's retention rule. Pure logic; times come in as arguments.
//
// A task lives here from SUBMIT until its result is evicted. Ended tasks
// are kept for result_ttl so any client can WAIT/STATUS them by id, but
// the store is bounded: beyond max_results ended tasks, or max_result_bytes
// of their data, the oldest ended tasks go first, TTL or not. Queued and
// running tasks are never evicted.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>

#include "id_slots.h"
#include "task.h"

namespace tq::daemon {

struct RetentionLimits {
  std::chrono::milliseconds ttl{std::chrono::minutes(10)};
  std::size_t max_results = 100000;
  std::size_t max_bytes = 256 * 1024 * 1024;
};

class TaskTable {
 public:
  explicit TaskTable(RetentionLimits limits) : limits_(limits) {}

  void set_limits(RetentionLimits limits) { limits_ = limits; }

  // A new task with the next id.
  Task& Create();
  // A task with a given id, as recovered from the store; ids after it are
  // higher.
  Task& Restore(std::uint64_t id);
  std::uint64_t next_id() const { return next_id_; }
  void set_next_id(std::uint64_t id) { next_id_ = id; }
  // Removes a task that was never accepted (its durable submit could not be
  // written): not an ended one, which Evict removes.
  void Forget(std::uint64_t id);
  Task* Find(std::uint64_t id);
  // The task holding `key` (queued, running or kept), if any.
  Task* FindByKey(const std::string& key);
  // Indexes the task by `key` (nothing if it is empty); task.key then
  // points at the index's copy.
  void IndexKey(Task& task, std::string_view key);
  // Drops the task's key from the index: the key may name a new task.
  void ReleaseKey(Task& task);
  // Names the task `name` ("" for none): Task::name then points at the
  // table's one copy, kept while any task has that name.
  void SetName(Task& task, std::string_view name);

  // Moves the task into the result store; call after it reached a final
  // state. A buried task that is kicked leaves it again via Revive().
  void Retain(Task& task, base::TimePoint now);
  void Revive(Task& task);
  // Drops ended tasks past the TTL or beyond the bounds. Returns how many.
  std::size_t Evict(base::TimePoint now);
  // Called with each task Evict drops, just before it goes.
  void set_on_evict(std::function<void(const Task&)> fn) { on_evict_ = std::move(fn); }

  // Calls f(const Task&) for every task, in no particular order.
  template <typename F>
  void ForEach(F&& f) const {
    tasks_.for_each([&](const Task& task) { f(task); });
  }

  std::size_t size() const { return tasks_.size(); }
  std::size_t retained() const { return retained_count_; }
  std::size_t retained_bytes() const { return retained_bytes_; }

 private:
  void Erase(Task& task);
  void ReleaseName(Task& task);

  RetentionLimits limits_;
  // By id: ids are handed out in increasing order (bench: RSS per
  // queued task).
  IdSlots<Task> tasks_;
  std::unordered_map<std::string, std::uint64_t> by_key_;
  // Task::name values, with how many tasks hold each.
  std::unordered_map<std::string, std::size_t> names_;
  std::function<void(const Task&)> on_evict_;
  // Ended tasks in the order they ended, with when. An entry whose time no
  // longer matches its task (kicked, ended again) is stale and skipped.
  struct Ended {
    std::uint64_t id;
    base::TimePoint at;
  };
  std::deque<Ended> ended_;
  std::size_t retained_count_ = 0;
  std::size_t retained_bytes_ = 0;
  std::uint64_t next_id_ = 1;
};

}  // namespace tq::daemon
