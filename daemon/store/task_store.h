// TaskStore: tqd's durable tasks, in one SQLite file DIR/tq.db.
//
// Durability contract. The store runs SQLite in WAL mode with
// synchronous=FULL (Open refuses to run with less). When CommitNow returns
// OK — or StoreWriter reports a batch's completion as OK — every operation
// of the batch is in the write-ahead log and the log has been fsynced: it
// survives kill -9, a kernel crash and a power loss (as far as the disk
// honours fsync). A batch that fails left nothing behind: it was rolled
// back, all or nothing. A batch whose commit was interrupted by a crash is
// found after restart either whole or not at all.
//
// What Open refuses, each with a message naming the file and the cause:
//   corrupt     "DIR/tq.db is corrupt (file is not a database); ..."
//   locked      "state directory DIR is in use by another tqd (pid N)"
//   unwritable  "cannot write DIR/tq.db: Permission denied"
//   newer       "DIR/tq.db was written by a newer tqd (schema N; this tqd
//                knows up to M)"
//   foreign     "DIR/tq.db is an SQLite database but not a tq store"
// All store errors carry proto::ErrorCode::kIo.
//
// Thread-compatible, not thread-safe: one thread at a time. While a
// StoreWriter commits for it, only that writer's thread may use the store;
// the owner may use it again once the writer is idle() (the writer's
// mutex orders the two).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/fd.h"
#include "store/batch.h"
#include "store/sqlite.h"
#include "store/task_record.h"

namespace tq::store {

struct StoreOptions {
  // 0: no limit. Otherwise PRAGMA max_page_count: once the file would grow
  // past this many pages (4 KiB each), writes fail with SQLITE_FULL
  // ("database or disk is full") exactly as on a full disk. For tests of
  // that path without a full filesystem, and for a hard size cap.
  std::int64_t max_page_count = 0;
};

struct StoreStats {
  std::uint64_t file_bytes = 0;  // db_bytes + wal_bytes
  std::uint64_t db_bytes = 0;    // DIR/tq.db
  std::uint64_t wal_bytes = 0;   // DIR/tq.db-wal (0 when absent)
  std::uint64_t rows = 0;
  std::map<std::uint8_t, std::uint64_t> rows_by_state;  // proto::TaskState
};

class TaskStore {
 public:
  // Opens DIR/tq.db, creating DIR (mode 0700, parents too) and the file
  // when missing, and migrating an older schema to kSchemaVersion. Blocks
  // on the disk: start-up only. Runs PRAGMA quick_check, so its time grows
  // with the file (a million tasks: under a second, bench/store/).
  static Result<std::unique_ptr<TaskStore>> Open(const std::string& dir,
                                                  const StoreOptions& options = {});
  ~TaskStore();
  TaskStore(const TaskStore&) = delete;
  TaskStore& operator=(const TaskStore&) = delete;

  // DIR/tq.db
  const std::string& path() const { return db_path_; }

  // The largest id ceiling ever committed, or the largest task id in the
  // store if that is larger; 0 for a new store. Ids at or below it may
  // have been handed out before: a new tqd starts above it. Updated by
  // each successful commit.
  std::uint64_t id_ceiling() const { return id_ceiling_; }

  // Calls `visit` for every task, in increasing id order, reusing one
  // record (so the visitor may move fields out of it). A non-OK Status
  // from `visit` stops the scan and is returned; `visit` must not call
  // the store. Memory: one row at a time, where LoadTasks holds them all
  // (a million queued tasks: ~7 MiB peak against ~350 MiB, bench/store/).
  Status ForEachTask(const std::function<Status(TaskRecord&)>& visit);
  // Every task, in increasing id order.
  Result<std::vector<TaskRecord>> LoadTasks();

  // Applies `batch` in one transaction and returns when it is durable (see
  // the contract above), or with the failure after rolling it back. Blocks
  // on the disk (one fsync, more on a checkpoint): call it from start-up,
  // shutdown or StoreWriter's thread. An empty batch returns at once.
  Status CommitNow(const Batch& batch);

  // File sizes and row counts. Counting scans the table (0.4 s for a
  // million rows here): for `tq status` now and then, not every loop turn;
  // tqd can count the states of the tasks it holds in memory instead.
  Result<StoreStats> Stats();

  // Transactions committed on this connection since Open (migrations
  // included), counted by SQLite's commit hook, which also counts a
  // commit that then fails to write. Safe from any thread.
  std::uint64_t commits() const { return commits_.load(std::memory_order_relaxed); }

  // The first column of "PRAGMA <name>" as text, e.g. "wal" for
  // journal_mode, "2" for synchronous: to check the settings in effect.
  Result<std::string> QueryPragma(std::string_view name);

 private:
  TaskStore(std::string db_path, base::Fd lock);
  Status Setup(const StoreOptions& options);
  Status PrepareStatements();
  Status ApplyPut(const TaskRecord& task);
  Status ApplyUpdate(const TaskUpdate& update);
  // Deletes ids[first, last) with the chunked statement.
  Status ApplyDeletes(const std::vector<std::uint64_t>& ids, std::size_t first,
                      std::size_t last);

  const std::string db_path_;
  // The flock on DIR/tq.db.lock that keeps a second tqd out (see Open).
  // Declared before db_: released after the connection is closed.
  base::Fd lock_;
  Database db_;
  // Destroyed before db_ (reverse order), as SQLite requires.
  Statement insert_;
  Statement update_;
  Statement delete_chunk_;  // kDeleteChunk placeholders
  Statement set_ceiling_;
  Statement select_all_;
  std::uint64_t id_ceiling_ = 0;
  std::atomic<std::uint64_t> commits_{0};
};

}  // namespace tq::store
