// TaskTable.
#include "task_table.h"

namespace tq::daemon {

Task& TaskTable::Create() {
  const std::uint64_t id = next_id_++;
  Task& t = tasks_[id];
  t.id = id;
  return t;
}

Task& TaskTable::Restore(std::uint64_t id) {
  Task& t = tasks_[id];
  t.id = id;
  if (id >= next_id_) next_id_ = id + 1;
  return t;
}

void TaskTable::Forget(std::uint64_t id) {
  Task* t = tasks_.find(id);
  if (t == nullptr) return;
  ReleaseKey(*t);
  ReleaseName(*t);
  tasks_.erase(id);
}

void TaskTable::ReleaseKey(Task& task) {
  if (task.key == nullptr) return;
  auto k = by_key_.find(*task.key);
  if (k != by_key_.end() && k->second == task.id) by_key_.erase(k);
  task.key = nullptr;
}

void TaskTable::SetName(Task& task, std::string_view name) {
  ReleaseName(task);
  if (name.empty()) return;
  auto it = names_.try_emplace(std::string(name), 0).first;
  ++it->second;
  task.name = &it->first;
}

void TaskTable::ReleaseName(Task& task) {
  if (task.name == nullptr) return;
  auto it = names_.find(*task.name);
  if (it != names_.end() && --it->second == 0) names_.erase(it);
  task.name = nullptr;
}

Task* TaskTable::Find(std::uint64_t id) {
  return tasks_.find(id);
}

Task* TaskTable::FindByKey(const std::string& key) {
  auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : Find(it->second);
}

void TaskTable::IndexKey(Task& task, std::string_view key) {
  if (key.empty()) return;
  // Keys name one live task at a time (a submit with a known key gets the
  // existing task), so this entry lives exactly as long as the task.
  auto it = by_key_.insert_or_assign(std::string(key), task.id).first;
  task.key = &it->first;
}

void TaskTable::Retain(Task& task, base::TimePoint now) {
  task.mutable_extras().finished_at = now;
  ended_.push_back({task.id, now});
  ++retained_count_;
  retained_bytes_ += sizeof(Task) + task.HeapBytes();
}

void TaskTable::Revive(Task& task) {
  // Its ended_ entry goes stale: Evict skips it.
  task.mutable_extras().finished_at = base::TimePoint{};
  --retained_count_;
  retained_bytes_ -= sizeof(Task) + task.HeapBytes();
}

std::size_t TaskTable::Evict(base::TimePoint now) {
  std::size_t evicted = 0;
  while (!ended_.empty()) {
    Task* t = tasks_.find(ended_.front().id);
    if (t == nullptr || t->extras().finished_at != ended_.front().at) {
      ended_.pop_front();  // stale: revived, or ended again since
      continue;
    }
    const bool expired = now - t->extras().finished_at >= limits_.ttl;
    const bool over = retained_count_ > limits_.max_results ||
                      retained_bytes_ > limits_.max_bytes;
    if (!expired && !over) break;
    ended_.pop_front();
    if (on_evict_) on_evict_(*t);
    Erase(*t);
    ++evicted;
  }
  return evicted;
}

void TaskTable::Erase(Task& t) {
  --retained_count_;
  retained_bytes_ -= sizeof(Task) + t.HeapBytes();
  ReleaseKey(t);
  ReleaseName(t);
  tasks_.erase(t.id);
}

}  // namespace tq::daemon
