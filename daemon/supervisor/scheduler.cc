// Scheduler.
#include "scheduler.h"

#include <algorithm>
#include <tuple>

namespace tq::daemon {

void Scheduler::Push(std::uint64_t task_id, std::int32_t priority,
                     base::TimePoint ready_at, base::TimePoint now, std::int64_t user) {
  if (!queued_.insert(task_id)) return;  // already queued
  ++size_;
  if (ready_at <= now) {
    MakeReady(task_id, priority, user);
  } else {
    waiting_.emplace(ready_at, Delayed{task_id, priority, user});
  }
}

void Scheduler::MakeReady(std::uint64_t task_id, std::int32_t priority, std::int64_t user) {
  users_[user].ready[priority].push_back({next_seq_++, task_id});
}

void Scheduler::Promote(base::TimePoint now) {
  while (!waiting_.empty() && waiting_.begin()->first <= now) {
    const Delayed d = waiting_.begin()->second;
    waiting_.erase(waiting_.begin());
    if (queued_.contains(d.task_id)) MakeReady(d.task_id, d.priority, d.user);
  }
}

void Scheduler::DropRemovedHeads(User& u) {
  while (!u.ready.empty()) {
    auto level = u.ready.begin();
    std::deque<Entry>& fifo = level->second;
    while (!fifo.empty() && !queued_.contains(fifo.front().task_id)) fifo.pop_front();
    if (!fifo.empty()) return;
    u.ready.erase(level);
  }
}

std::optional<std::uint64_t> Scheduler::Peek(base::TimePoint now) {
  const auto best = Best(now);
  if (best == users_.end()) return std::nullopt;
  return best->second.ready.begin()->second.front().task_id;
}

std::map<std::int64_t, Scheduler::User>::iterator Scheduler::Best(base::TimePoint now) {
  Promote(now);
  // The best head among the users below the cap: highest priority, then
  // the earliest pushed.
  auto best = users_.end();
  for (auto it = users_.begin(); it != users_.end();) {
    User& u = it->second;
    DropRemovedHeads(u);
    if (u.ready.empty() && u.running == 0) {
      it = users_.erase(it);
      continue;
    }
    if (!u.ready.empty() &&
        (max_running_per_user_ == 0 || u.running < max_running_per_user_)) {
      const auto& head = *u.ready.begin();
      if (best == users_.end()) {
        best = it;
      } else {
        const auto& top = *best->second.ready.begin();
        if (std::make_tuple(-head.first, head.second.front().seq) <
            std::make_tuple(-top.first, top.second.front().seq)) {
          best = it;
        }
      }
    }
    ++it;
  }
  return best;
}

std::optional<std::uint64_t> Scheduler::Pop(base::TimePoint now) {
  const auto best = Best(now);
  if (best == users_.end()) return std::nullopt;
  User& u = best->second;
  auto level = u.ready.begin();
  const Entry head = level->second.front();
  const std::uint64_t id = head.task_id;
  level->second.pop_front();
  if (level->second.empty()) u.ready.erase(level);
  queued_.erase(id);
  --size_;
  ++u.running;
  running_[id] = Run{best->first, head.seq};
  return id;
}

void Scheduler::RunEnded(std::uint64_t task_id) {
  const auto run = running_.find(task_id);
  if (run == running_.end()) return;
  const auto user = users_.find(run->second.user);
  running_.erase(run);
  if (user == users_.end()) return;
  if (--user->second.running == 0 && user->second.ready.empty()) users_.erase(user);
}

void Scheduler::Requeue(std::uint64_t task_id, std::int32_t priority, base::TimePoint now,
                        std::int64_t user) {
  const auto run = running_.find(task_id);
  if (run == running_.end()) {
    Push(task_id, priority, now, now, user);
    return;
  }
  const Run was = run->second;
  RunEnded(task_id);
  if (!queued_.insert(task_id)) return;  // already queued
  ++size_;
  // Each FIFO is in seq order (seqs grow as tasks become ready), so its
  // place is found by seq; it is near the front, where a deque inserts
  // cheaply.
  std::deque<Entry>& fifo = users_[was.user].ready[priority];
  const auto at = std::upper_bound(
      fifo.begin(), fifo.end(), was.seq,
      [](std::uint64_t seq, const Entry& e) { return seq < e.seq; });
  fifo.insert(at, Entry{was.seq, task_id});
}

std::uint32_t Scheduler::running(std::int64_t user) const {
  const auto it = users_.find(user);
  return it == users_.end() ? 0 : it->second.running;
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
  // Run order: priority, then push order, whoever the user.
  std::vector<std::tuple<std::int32_t, std::uint64_t, std::uint64_t>> ready;
  for (auto& [user, u] : users_) {
    for (auto& [priority, fifo] : u.ready) {
      for (const Entry& e : fifo) {
        if (queued_.erase(e.task_id)) ready.emplace_back(-priority, e.seq, e.task_id);
      }
    }
    u.ready.clear();
  }
  std::sort(ready.begin(), ready.end());
  std::vector<std::uint64_t> all;
  all.reserve(size_);
  for (const auto& [priority, seq, id] : ready) all.push_back(id);
  for (auto& [at, d] : waiting_) {
    if (queued_.erase(d.task_id)) all.push_back(d.task_id);
  }
  std::erase_if(users_, [](const auto& entry) { return entry.second.running == 0; });
  waiting_.clear();
  size_ = 0;
  return all;
}

}  // namespace tq::daemon
