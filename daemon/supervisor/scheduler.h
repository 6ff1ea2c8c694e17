// Scheduler: which queued task runs next. Pure logic: no I/O, and time
// comes in as arguments, so it is tested without a clock or processes.
//
// Ready tasks run highest priority first, FIFO within a priority. A task
// with a not-before time (delay, retry backoff) waits apart until then. A
// task given out that never started (Requeue) gets its place back.
// Bounded by max_queued, counting ready and waiting tasks alike, so a full
// queue is refused at submit (QUEUE_FULL) instead of growing without limit.
// Removal (cancel) is lazy: the id is skipped when it comes up.
//
// Each task belongs to a user (its submitter's uid; -1 for unknown ones,
// who count as one user). With max_running_per_user set, a user with that
// many tasks running gets none more until one ends: the next task is the
// best one of the users below the cap, so one user's thousand tasks do not
// keep the others' waiting. The queue is kept per user, so a pop costs the
// number of users with work, not the number of tasks held back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>
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
  // Most tasks of one user running at once; 0: no cap. A lower cap stops
  // no running task: it holds the user's next ones back until it is met.
  void set_max_running_per_user(std::uint32_t n) { max_running_per_user_ = n; }

  // Queues a task of `user` to become ready at `ready_at` (now or earlier:
  // at once). Callers check full() first when the push comes from a client.
  void Push(std::uint64_t task_id, std::int32_t priority,
            base::TimePoint ready_at, base::TimePoint now, std::int64_t user = -1);
  // The next task to run at `now`, if any; from then on it counts as
  // running for its user until RunEnded.
  std::optional<std::uint64_t> Pop(base::TimePoint now);
  // What Pop would return, left queued.
  std::optional<std::uint64_t> Peek(base::TimePoint now);
  // A task Pop gave out stopped running (ended, or back to the queue). A
  // no-op for any other id.
  void RunEnded(std::uint64_t task_id);
  // A task Pop gave out, which never started, goes back to the queue ready
  // at once, in the place it had: ahead of every task of its priority made
  // ready after it. It stops counting as running. Any other id is pushed
  // as Push(task_id, priority, now, now, user) would.
  void Requeue(std::uint64_t task_id, std::int32_t priority, base::TimePoint now,
               std::int64_t user = -1);
  // Tasks of `user` given out by Pop and not ended.
  std::uint32_t running(std::int64_t user) const;
  // Forgets a queued task. False if it is not queued here.
  bool Remove(std::uint64_t task_id);
  // When the earliest waiting task becomes ready, if any waits.
  std::optional<base::TimePoint> NextReadyAt() const;
  // Empties the queue, ready tasks first in run order, then waiting ones.
  // Running tasks stay counted.
  std::vector<std::uint64_t> TakeAll();

 private:
  struct Entry {
    std::uint64_t seq;  // push order across users, for FIFO within a priority
    std::uint64_t task_id;
  };
  struct Run {
    std::int64_t user;
    std::uint64_t seq;  // its Entry's, for Requeue
  };
  struct Delayed {
    std::uint64_t task_id;
    std::int32_t priority;
    std::int64_t user;
  };
  struct User {
    std::map<std::int32_t, std::deque<Entry>, std::greater<>> ready;
    std::uint32_t running = 0;
  };
  void Promote(base::TimePoint now);
  void MakeReady(std::uint64_t task_id, std::int32_t priority, std::int64_t user);
  // Drops removed tasks from the front of `u`'s queue.
  void DropRemovedHeads(User& u);
  // Promotes what is due, then finds the user whose ready head Pop gives
  // out next (users_.end() for none).
  std::map<std::int64_t, User>::iterator Best(base::TimePoint now);

  std::size_t max_queued_;
  std::uint32_t max_running_per_user_ = 0;
  std::size_t size_ = 0;  // live entries: queued minus removed
  std::uint64_t next_seq_ = 0;
  // Users with ready or running tasks; a user with neither is erased.
  std::map<std::int64_t, User> users_;
  std::multimap<base::TimePoint, Delayed> waiting_;
  IdSet queued_;  // live ids, for Remove
  std::unordered_map<std::uint64_t, Run> running_;  // by task id
};

}  // namespace tq::daemon
