// Batch: the durable changes of one loop turn, committed together.
//
// tqd appends to a Batch while it handles a turn's messages, and hands the
// whole of it to TaskStore::CommitNow or StoreWriter::Submit, which apply
// the operations in the order they were added, in ONE transaction: all of
// them reach the disk or none does.
//
// A plain value: move it, do not share it between threads.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "store/task_record.h"

namespace tq::store {

class Batch {
 public:
  // Inserts a new task. An id already in the store fails the whole batch
  // (ids never repeat).
  void Put(TaskRecord task) {
    ops_.push_back({Kind::kPut, puts_.size()});
    puts_.push_back(std::move(task));
  }
  // Rewrites the lifecycle columns of a task. An id not in the store (or
  // deleted earlier in the batch) changes nothing; that is not an error.
  void Update(TaskUpdate update) {
    ops_.push_back({Kind::kUpdate, updates_.size()});
    updates_.push_back(std::move(update));
  }
  // Removes a task (result eviction). Consecutive deletes are applied
  // together, many ids per statement. An absent id is not an error.
  void Delete(std::uint64_t id) {
    ops_.push_back({Kind::kDelete, deletes_.size()});
    deletes_.push_back(id);
  }
  // Records that ids up to `ceiling` may have been handed out. The store
  // keeps the largest value it was ever given: a lower one changes nothing.
  void SetIdCeiling(std::uint64_t ceiling) {
    id_ceiling_ = std::max(id_ceiling_.value_or(0), ceiling);
  }

  // No operation and no ceiling: committing it would do nothing.
  bool empty() const { return ops_.empty() && !id_ceiling_; }
  // Operations added, a ceiling counting as one.
  std::size_t size() const { return ops_.size() + (id_ceiling_ ? 1 : 0); }
  void Clear() { *this = Batch(); }

 private:
  friend class TaskStore;
  enum class Kind : std::uint8_t { kPut, kUpdate, kDelete };
  struct Op {
    Kind kind;
    std::size_t index;  // into the vector of its kind
  };

  std::vector<Op> ops_;  // in the order added
  std::vector<TaskRecord> puts_;
  std::vector<TaskUpdate> updates_;
  std::vector<std::uint64_t> deletes_;
  std::optional<std::uint64_t> id_ceiling_;
};

}  // namespace tq::store
