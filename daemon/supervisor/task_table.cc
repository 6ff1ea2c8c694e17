// TaskTable.
#include "task_table.h"

namespace tq::daemon {

Task& TaskTable::Create() {
  const std::uint64_t id = next_id_++;
  Task& t = tasks_[id];
  t.id = id;
  return t;
}

Task* TaskTable::Find(std::uint64_t id) {
  auto it = tasks_.find(id);
  return it == tasks_.end() ? nullptr : &it->second;
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
  task.finished_at = now;
  ended_.push_back({task.id, now});
  ++retained_count_;
  retained_bytes_ += sizeof(Task) + task.HeapBytes();
}

void TaskTable::Revive(Task& task) {
  // Its ended_ entry goes stale: Evict skips it.
  task.finished_at = base::TimePoint{};
  --retained_count_;
  retained_bytes_ -= sizeof(Task) + task.HeapBytes();
}

std::size_t TaskTable::Evict(base::TimePoint now) {
  std::size_t evicted = 0;
  while (!ended_.empty()) {
    auto it = tasks_.find(ended_.front().id);
    if (it == tasks_.end() || it->second.finished_at != ended_.front().at) {
      ended_.pop_front();  // stale: revived, or ended again since
      continue;
    }
    const bool expired = now - it->second.finished_at >= limits_.ttl;
    const bool over = retained_count_ > limits_.max_results ||
                      retained_bytes_ > limits_.max_bytes;
    if (!expired && !over) break;
    ended_.pop_front();
    Erase(it);
    ++evicted;
  }
  return evicted;
}

void TaskTable::Erase(std::unordered_map<std::uint64_t, Task>::iterator it) {
  Task& t = it->second;
  --retained_count_;
  retained_bytes_ -= sizeof(Task) + t.HeapBytes();
  if (t.key != nullptr) {
    auto k = by_key_.find(*t.key);
    if (k != by_key_.end() && k->second == t.id) by_key_.erase(k);
  }
  tasks_.erase(it);
}

}  // namespace tq::daemon
