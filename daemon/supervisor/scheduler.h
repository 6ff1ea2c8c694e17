// Scheduler: which queued task runs next. Pure logic: no I/O, and time
// comes in as arguments, so it is tested without a clock or processes.
//
// Ready tasks run highest priority first, FIFO within a priority. A task
// with a not-before time (delay, retry backoff) waits apart until then.
// Bounded by max_queued, counting ready and waiting tasks alike, so a full
// queue is refused at submit (QUEUE_FULL) instead of growing without limit.
// Removal (cancel) is lazy: the id is skipped when it comes up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "base/clock.h"
#include "id_set.h"

namespace tq::daemon {

class Scheduler {
 public:
  explicit Scheduler(std::size_t max_queued) : max_queued_(max_queued) {}

  bool full() const { return size_ >= max_queued_; }
  std::size_t size() const { return size_; }
  std::size_t max_queued() const { return max_queued_; }
  void set_max_queued(std::size_t n) { max_queued_ = n; }

  // Queues a task to become ready at `ready_at` (now or earlier: at once).
  // Callers check full() first when the push comes from a client.
  void Push(std::uint64_t task_id, std::int32_t priority,
            base::TimePoint ready_at, base::TimePoint now);
  // The next task to run at `now`, if any.
  std::optional<std::uint64_t> Pop(base::TimePoint now);
  // What Pop would return, left queued.
  std::optional<std::uint64_t> Peek(base::TimePoint now);
  // Forgets a queued task. False if it is not queued here.
  bool Remove(std::uint64_t task_id);
  // When the earliest waiting task becomes ready, if any waits.
  std::optional<base::TimePoint> NextReadyAt() const;
  // Empties the queue, ready tasks first in run order, then waiting ones.
  std::vector<std::uint64_t> TakeAll();

 private:
  struct Delayed {
    std::uint64_t task_id;
    std::int32_t priority;
  };
  void Promote(base::TimePoint now);

  std::size_t max_queued_;
  std::size_t size_ = 0;  // live entries: queued minus removed
  std::map<std::int32_t, std::deque<std::uint64_t>, std::greater<>> ready_;
  std::multimap<base::TimePoint, Delayed> waiting_;
  IdSet queued_;  // live ids, for Remove
};

}  // namespace tq::daemon
