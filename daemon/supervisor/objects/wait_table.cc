// WaitTable.
#include "wait_table.h"

#include "check.h"

namespace tq::daemon::objects {

WaitId WaitTable::Add(Waiter w) {
  const WaitId id = next_id_++;
  if (w.deadline) deadlines_.emplace(*w.deadline, id);
  by_client_[w.caller.client].insert(id);
  if (w.caller.task_id != 0) by_task_[w.caller.task_id].insert(id);
  waiters_.emplace(id, std::move(w));
  return id;
}

Waiter WaitTable::Take(WaitId id) {
  auto it = waiters_.find(id);
  TQ_CHECK(it != waiters_.end());
  Waiter w = std::move(it->second);
  waiters_.erase(it);
  if (w.deadline) deadlines_.erase({*w.deadline, id});
  if (auto c = by_client_.find(w.caller.client); c != by_client_.end()) {
    c->second.erase(id);
    if (c->second.empty()) by_client_.erase(c);
  }
  if (w.caller.task_id != 0) {
    if (auto t = by_task_.find(w.caller.task_id); t != by_task_.end()) {
      t->second.erase(id);
      if (t->second.empty()) by_task_.erase(t);
    }
  }
  return w;
}

std::optional<base::TimePoint> WaitTable::NextDeadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

std::vector<WaitId> WaitTable::Expired(base::TimePoint now) const {
  std::vector<WaitId> out;
  for (const auto& [at, id] : deadlines_) {
    if (at > now) break;
    out.push_back(id);
  }
  return out;
}

std::vector<WaitId> WaitTable::OfClient(std::string_view client) const {
  auto it = by_client_.find(client);
  if (it == by_client_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

std::vector<WaitId> WaitTable::OfTask(std::uint64_t task_id) const {
  auto it = by_task_.find(task_id);
  if (it == by_task_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

std::size_t WaitTable::CountFor(std::string_view client) const {
  auto it = by_client_.find(client);
  return it == by_client_.end() ? 0 : it->second.size();
}

}  // namespace tq::daemon::objects
