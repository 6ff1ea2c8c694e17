// Scheduler: which queued task runs next. Pure logic: no I/O, no clock.
//
// Strict FIFO over task ids, bounded by max_queued so that a full queue is
// refused at submit (QUEUE_FULL) instead of growing without limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

namespace tq::daemon {

class Scheduler {
 public:
  explicit Scheduler(std::size_t max_queued) : max_queued_(max_queued) {}

  bool full() const { return queue_.size() >= max_queued_; }
  std::size_t size() const { return queue_.size(); }
  std::size_t max_queued() const { return max_queued_; }

  // Callers check full() first.
  void Push(std::uint64_t task_id) { queue_.push_back(task_id); }
  // The next task to run, if any.
  std::optional<std::uint64_t> Pop() {
    if (queue_.empty()) return std::nullopt;
    const std::uint64_t id = queue_.front();
    queue_.pop_front();
    return id;
  }
  // Empties the queue, oldest first.
  std::vector<std::uint64_t> TakeAll() {
    std::vector<std::uint64_t> all(queue_.begin(), queue_.end());
    queue_.clear();
    return all;
  }

 private:
  std::size_t max_queued_;
  std::deque<std::uint64_t> queue_;
};

}  // namespace tq::daemon
