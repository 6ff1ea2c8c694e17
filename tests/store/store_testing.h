// Helpers shared by the store's tests: tasks to put, opening a store that
// must open, and reading a store's file with a connection of its own.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "store/batch.h"
#include "store/sqlite.h"
#include "store/task_store.h"

namespace tq::store {

// A queued task as tqd would put it, with `args` of `args_bytes` bytes.
inline TaskRecord QueuedTask(std::uint64_t id, std::size_t args_bytes = 50) {
  TaskRecord t;
  t.id = id;
  t.fn = "inc";
  t.args = std::string(args_bytes, static_cast<char>('a' + id % 26));
  t.queued_at_ms = 1'700'000'000'000 + static_cast<std::int64_t>(id);
  t.life.ready_at_ms = t.queued_at_ms;
  return t;
}

// Puts tasks first, first+1, ..., first+count-1.
inline Batch Puts(std::uint64_t first, std::size_t count, std::size_t args_bytes = 50) {
  Batch batch;
  for (std::size_t i = 0; i < count; ++i) batch.Put(QueuedTask(first + i, args_bytes));
  return batch;
}

// The store at `dir`, or null after recording the failure.
inline std::unique_ptr<TaskStore> MustOpen(const std::string& dir,
                                           const StoreOptions& options = {}) {
  auto store = TaskStore::Open(dir, options);
  if (!store.ok()) {
    ADD_FAILURE() << "open " << dir << ": " << store.status().ToString();
    return nullptr;
  }
  return std::move(*store);
}

// The ids in the store, in LoadTasks order.
inline std::vector<std::uint64_t> Ids(TaskStore& store) {
  std::vector<std::uint64_t> ids;
  Status status = store.ForEachTask([&](TaskRecord& t) {
    ids.push_back(t.id);
    return Status::Ok();
  });
  EXPECT_TRUE(status.ok()) << status.ToString();
  return ids;
}

// Runs `sql` on the file at `path` through a connection of its own (as an
// older tqd, or another program, would).
inline void RawExec(const std::string& path, const std::string& sql) {
  auto db = Database::Open(path);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  Status status = db->Exec(sql, "test SQL");
  ASSERT_TRUE(status.ok()) << status.ToString();
}

// The first column of the first row of `sql`, as text, read through a
// connection of its own.
inline std::string RawQuery(const std::string& path, const std::string& sql) {
  auto db = Database::Open(path);
  if (!db.ok()) return "open failed: " + db.status().ToString();
  auto stmt = db->Prepare(sql, "test query");
  if (!stmt.ok()) return "prepare failed: " + stmt.status().ToString();
  auto row = stmt->Step();
  if (!row.ok()) return "step failed: " + row.status().ToString();
  return *row ? std::string(stmt->ColumnText(0)) : "(no row)";
}

}  // namespace tq::store
