// Scheduler.
#include "scheduler.h"

namespace tq::daemon {

void Scheduler::Push(std::uint64_t task_id, std::int32_t priority,
                     base::TimePoint ready_at, base::TimePoint now) {
  if (!queued_.insert(task_id)) return;  // already queued
  ++size_;
  if (ready_at <= now) {
    ready_[priority].push_back(task_id);
  } else {
    waiting_.emplace(ready_at, Delayed{task_id, priority});
  }
}

void Scheduler::Promote(base::TimePoint now) {
  while (!waiting_.empty() && waiting_.begin()->first <= now) {
    const Delayed d = waiting_.begin()->second;
    waiting_.erase(waiting_.begin());
    if (queued_.contains(d.task_id)) ready_[d.priority].push_back(d.task_id);
  }
}

std::optional<std::uint64_t> Scheduler::Peek(base::TimePoint now) {
  Promote(now);
  while (!ready_.empty()) {
    auto level = ready_.begin();
    std::deque<std::uint64_t>& fifo = level->second;
    // Drop what was removed, so the front is the answer.
    while (!fifo.empty() && !queued_.contains(fifo.front())) fifo.pop_front();
    if (!fifo.empty()) return fifo.front();
    ready_.erase(level);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> Scheduler::Pop(base::TimePoint now) {
  Promote(now);
  while (!ready_.empty()) {
    auto level = ready_.begin();
    std::deque<std::uint64_t>& fifo = level->second;
    while (!fifo.empty()) {
      const std::uint64_t id = fifo.front();
      fifo.pop_front();
      if (queued_.erase(id)) {
        --size_;
        if (fifo.empty()) ready_.erase(level);
        return id;
      }
    }
    ready_.erase(level);
  }
  return std::nullopt;
}

bool Scheduler::Remove(std::uint64_t task_id) {
  if (!queued_.erase(task_id)) return false;
  --size_;
  return true;
}

std::optional<base::TimePoint> Scheduler::NextReadyAt() const {
  for (const auto& [at, d] : waiting_) {
    if (queued_.contains(d.task_id)) return at;
  }
  return std::nullopt;
}

std::vector<std::uint64_t> Scheduler::TakeAll() {
  std::vector<std::uint64_t> all;
  all.reserve(size_);
  for (auto& [priority, fifo] : ready_) {
    for (std::uint64_t id : fifo) {
      if (queued_.erase(id)) all.push_back(id);
    }
  }
  for (auto& [at, d] : waiting_) {
    if (queued_.erase(d.task_id)) all.push_back(d.task_id);
  }
  ready_.clear();
  waiting_.clear();
  size_ = 0;
  return all;
}

}  // namespace tq::daemon
