// TaskStore: opening (checks, settings, migrations), committing batches and
// loading tasks.
//
// Open's order matters: the state directory must exist before the lock
// file in it; the lock must be held before the database is touched (a
// second tqd must not even run its checks on a file another one writes).
// The lock is an flock on DIR/tq.db.lock holding the owner's pid; it dies
// with its process, and the file is never removed (removing a locked
// file would let a newcomer lock a fresh file at the same path while the
// old one is still held). Then the file must read as a database before
// its schema version means anything; and the durability settings are
// read back, because SQLite answers a journal_mode it cannot honour with
// the mode it kept instead.
#include "store/task_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "base/pid_lock_file.h"
#include "store/schema.h"

namespace tq::store {
namespace {

using proto::ErrorCode;

// Ids per DELETE statement. A shorter run repeats its last id to fill the
// statement: deleting an id twice is harmless.
constexpr int kDeleteChunk = 128;

// After a large batch the WAL is truncated back to this at the next
// checkpoint instead of keeping its largest size forever.
constexpr int kJournalSizeLimitBytes = 16 << 20;

Status StoreError(std::string message) {
  return Status(ErrorCode::kIo, std::move(message));
}

std::string DeleteChunkSql() {
  std::string sql = "DELETE FROM tasks WHERE id IN (";
  for (int i = 1; i <= kDeleteChunk; ++i) {
    sql += (i > 1 ? ",?" : "?") + std::to_string(i);
  }
  return sql + ")";
}

// Creates `dir` and its missing parents with mode 0700 (the XDG rule for
// state directories); appends the ones it created to `created`.
Status MakeDirs(const std::string& dir, std::vector<std::string>* created) {
  for (std::size_t i = dir.find('/', 1);; i = dir.find('/', i + 1)) {
    const std::string part = dir.substr(0, i);
    if (::mkdir(part.c_str(), 0700) == 0) {
      created->push_back(part);
    } else if (errno != EEXIST) {
      return StoreError("cannot create state directory " + dir + ": " +
                        std::strerror(errno) +
                        (part == dir ? std::string() : " (" + part + ")"));
    }
    if (i == std::string::npos) break;
  }
  struct stat st;
  if (::stat(dir.c_str(), &st) < 0 || !S_ISDIR(st.st_mode)) {
    return StoreError("state directory " + dir + " is not a directory");
  }
  return Status::Ok();
}

// Makes a new directory entry durable: fsync the directory holding it.
Status SyncDir(const std::string& dir) {
  base::Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || ::fsync(fd.get()) < 0) return Status::FromErrno("fsync " + dir, errno);
  return Status::Ok();
}

std::string Parent(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// SQLite opens a file it may not write read-only, and fails late and
// vaguely when it cannot create the -wal file; ask the kernel first, so
// the refusal names the cause (EACCES, EROFS).
Status CheckWritable(const std::string& dir, const std::string& db_path) {
  const std::string paths[] = {dir, db_path, db_path + "-wal", db_path + "-shm",
                               db_path + ".lock"};
  for (const std::string& path : paths) {
    if (path != dir && ::access(path.c_str(), F_OK) < 0) continue;  // absent
    const int mode = path == dir ? W_OK | X_OK : R_OK | W_OK;
    if (::faccessat(AT_FDCWD, path.c_str(), mode, AT_EACCESS) < 0) {
      return StoreError("cannot write " + db_path + ": " + std::strerror(errno) +
                        (path == db_path ? std::string() : " (" + path + ")"));
    }
  }
  return Status::Ok();
}

std::uint64_t FileBytes(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

// The lifecycle columns, in TaskLifecycle's order, as statement parameters
// first..first+7 and as result columns first..first+7.
constexpr const char* kLifecycleColumns =
    "state, attempts, worker_deaths, ready_at_ms, started_at_ms, finished_at_ms, value, error";

void BindLifecycle(Statement& s, int first, const TaskLifecycle& life) {
  s.BindInt64(first, life.state);
  s.BindInt64(first + 1, life.attempts);
  s.BindInt64(first + 2, life.worker_deaths);
  s.BindInt64(first + 3, life.ready_at_ms);
  s.BindInt64(first + 4, life.started_at_ms);
  s.BindInt64(first + 5, life.finished_at_ms);
  s.BindBlob(first + 6, life.value);
  s.BindBlob(first + 7, life.error);
}

void ReadLifecycle(const Statement& s, int first, TaskLifecycle& life) {
  life.state = static_cast<std::uint8_t>(s.ColumnInt64(first));
  life.attempts = static_cast<std::uint32_t>(s.ColumnInt64(first + 1));
  life.worker_deaths = static_cast<std::uint32_t>(s.ColumnInt64(first + 2));
  life.ready_at_ms = s.ColumnInt64(first + 3);
  life.started_at_ms = s.ColumnInt64(first + 4);
  life.finished_at_ms = s.ColumnInt64(first + 5);
  life.value = s.ColumnBlob(first + 6);
  life.error = s.ColumnBlob(first + 7);
}

// A failed statement about task `id` says which.
Status ForTask(Status status, std::uint64_t id) {
  if (status.ok()) return status;
  return StoreError(status.message() + " (task " + std::to_string(id) + ")");
}

int CountCommit(void* counter) {
  static_cast<std::atomic<std::uint64_t>*>(counter)->fetch_add(1, std::memory_order_relaxed);
  return 0;  // let it commit
}

}  // namespace

Result<std::unique_ptr<TaskStore>> TaskStore::Open(const std::string& dir_arg,
                                                   const StoreOptions& options) {
  std::string dir = dir_arg;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (dir.empty()) return StoreError("state directory: empty path");
  const std::string db_path = dir + "/tq.db";

  std::vector<std::string> created;
  TQ_RETURN_IF_ERROR(MakeDirs(dir, &created));
  TQ_RETURN_IF_ERROR(CheckWritable(dir, db_path));
  auto lock = base::TryLockPidFile(db_path + ".lock");
  if (!lock.ok()) return lock.status();
  if (!lock->fd) {
    return StoreError("state directory " + dir + " is in use by another tqd (pid " +
                      lock->holder + ")");
  }
  const bool new_file = FileBytes(db_path) == 0;

  auto db = Database::Open(db_path);
  if (!db.ok()) return db.status();
  std::unique_ptr<TaskStore> store(new TaskStore(db_path, std::move(lock->fd)));
  store->db_ = std::move(*db);
  TQ_RETURN_IF_ERROR(store->Setup(options));

  // New directory entries reach the disk with their directory's fsync;
  // SQLite fsyncs the directory of a new WAL, not of a new database file.
  if (new_file) TQ_RETURN_IF_ERROR(SyncDir(dir));
  for (const std::string& d : created) TQ_RETURN_IF_ERROR(SyncDir(Parent(d)));
  return store;
}

TaskStore::TaskStore(std::string db_path, base::Fd lock)
    : db_path_(std::move(db_path)), lock_(std::move(lock)) {}

TaskStore::~TaskStore() = default;

Status TaskStore::Setup(const StoreOptions& options) {
  sqlite3* db = db_.get();
  sqlite3_commit_hook(db, CountCommit, &commits_);
  // tqd holds the directory's lock: nobody else writes, so never wait.
  TQ_RETURN_IF_ERROR(db_.Exec("PRAGMA busy_timeout = 0; PRAGMA foreign_keys = OFF",
                              "configure"));

  // A file that is not a database, or a damaged one, fails here first.
  const auto corrupt = [&](const Status& failed) {
    const int rc = db_.last_error_code() & 0xff;
    if (rc != SQLITE_NOTADB && rc != SQLITE_CORRUPT) return failed;
    return StoreError(db_path_ + " is corrupt (" + sqlite3_errmsg(db) +
                      "): restore it from a backup, or move it away to start "
                      "with an empty store");
  };
  auto version = QueryPragma("user_version");
  if (!version.ok()) return corrupt(version.status());
  const int from = std::atoi(version->c_str());
  auto app_id = QueryPragma("application_id");
  if (!app_id.ok()) return corrupt(app_id.status());
  auto tables = db_.Prepare("SELECT count(*) FROM sqlite_schema", "read the schema");
  if (!tables.ok()) return corrupt(tables.status());
  auto row = tables->Step();
  if (!row.ok()) return corrupt(row.status());
  const bool has_tables = tables->ColumnInt64(0) > 0;
  tables->Reset();
  if (from < 0 || (from == 0 && has_tables) ||
      (from != 0 && std::atoll(app_id->c_str()) != kApplicationId)) {
    return StoreError(db_path_ + " is an SQLite database but not a tq store");
  }
  if (from > kSchemaVersion) {
    return StoreError(db_path_ + " was written by a newer tqd (schema " +
                      std::to_string(from) + "; this tqd knows up to " +
                      std::to_string(kSchemaVersion) + ")");
  }

  auto check = db_.Prepare("PRAGMA quick_check", "check integrity");
  if (!check.ok()) return corrupt(check.status());
  row = check->Step();
  if (!row.ok()) return corrupt(row.status());
  if (*row && check->ColumnText(0) != "ok") {
    return StoreError(db_path_ + " is corrupt (quick_check: " +
                      std::string(check->ColumnText(0)) +
                      "): restore it from a backup, or move it away to start "
                      "with an empty store");
  }
  check->Reset();

  // The durability the contract promises, or no store at all.
  auto mode = QueryPragma("journal_mode = WAL");
  if (!mode.ok()) return corrupt(mode.status());
  if (*mode != "wal") {
    return StoreError("cannot use write-ahead logging on " + db_path_ +
                      " (SQLite kept journal_mode " + *mode + ")");
  }
  TQ_RETURN_IF_ERROR(db_.Exec("PRAGMA synchronous = FULL; PRAGMA journal_size_limit = " +
                                  std::to_string(kJournalSizeLimitBytes),
                              "configure durability"));
  auto sync = QueryPragma("synchronous");
  if (!sync.ok()) return sync.status();
  if (*sync != "2") {
    return StoreError("cannot set synchronous=FULL on " + db_path_ + " (it reads " +
                      *sync + ")");
  }

  TQ_RETURN_IF_ERROR(Migrate(db_, from));
  if (options.max_page_count > 0) {
    auto limit = QueryPragma("max_page_count = " + std::to_string(options.max_page_count));
    if (!limit.ok()) return limit.status();
  }
  TQ_RETURN_IF_ERROR(PrepareStatements());

  auto ceiling = db_.Prepare(
      "SELECT max((SELECT value FROM meta WHERE name = 'id_ceiling'),"
      " (SELECT coalesce(max(id), 0) FROM tasks))",
      "read the id ceiling");
  if (!ceiling.ok()) return ceiling.status();
  row = ceiling->Step();
  if (!row.ok()) return row.status();
  id_ceiling_ = static_cast<std::uint64_t>(ceiling->ColumnInt64(0));
  ceiling->Reset();
  return Status::Ok();
}

Status TaskStore::PrepareStatements() {
  // Submit-time columns, then the lifecycle: ApplyPut and ForEachTask
  // number them in this order.
  const std::string submitted =
      "id, fn, args, priority, timeout_ms, max_retries, retry_on, retry_backoff_ms, chunk,"
      " key, queued_at_ms, name, submitter_uid, submitter_pid";
  const std::string columns = submitted + ", " + kLifecycleColumns;
  auto insert = db_.Prepare("INSERT INTO tasks (" + columns +
                                ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
                                " ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
                            "insert task");
  if (!insert.ok()) return insert.status();
  auto update = db_.Prepare(
      "UPDATE tasks SET (" + std::string(kLifecycleColumns) +
          ") = (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) WHERE id = ?1",
      "update task");
  if (!update.ok()) return update.status();
  auto remove = db_.Prepare(DeleteChunkSql(), "delete tasks");
  if (!remove.ok()) return remove.status();
  auto ceiling = db_.Prepare(
      "UPDATE meta SET value = max(value, ?1) WHERE name = 'id_ceiling'",
      "set the id ceiling");
  if (!ceiling.ok()) return ceiling.status();
  auto select = db_.Prepare("SELECT " + columns + " FROM tasks ORDER BY id", "load tasks");
  if (!select.ok()) return select.status();
  insert_ = std::move(*insert);
  update_ = std::move(*update);
  delete_chunk_ = std::move(*remove);
  set_ceiling_ = std::move(*ceiling);
  select_all_ = std::move(*select);
  return Status::Ok();
}

// --- Committing

Status TaskStore::ApplyPut(const TaskRecord& t) {
  Statement& s = insert_;
  s.BindInt64(1, static_cast<std::int64_t>(t.id));
  s.BindText(2, t.fn);
  s.BindBlob(3, t.args);
  s.BindInt64(4, t.priority);
  s.BindInt64(5, t.timeout_ms);
  s.BindInt64(6, t.max_retries);
  s.BindInt64(7, t.retry_on);
  s.BindInt64(8, t.retry_backoff_ms);
  s.BindInt64(9, t.chunk ? 1 : 0);
  s.BindTextOrNull(10, t.key);
  s.BindInt64(11, t.queued_at_ms);
  s.BindTextOrNull(12, t.name);
  if (t.submitter_uid >= 0) s.BindInt64(13, t.submitter_uid);  // else NULL
  if (t.submitter_pid > 0) s.BindInt64(14, t.submitter_pid);
  BindLifecycle(s, 15, t.life);
  return ForTask(s.Run(), t.id);
}

Status TaskStore::ApplyUpdate(const TaskUpdate& u) {
  update_.BindInt64(1, static_cast<std::int64_t>(u.id));
  BindLifecycle(update_, 2, u.life);
  return ForTask(update_.Run(), u.id);
}

Status TaskStore::ApplyDeletes(const std::vector<std::uint64_t>& ids, std::size_t first,
                               std::size_t last) {
  for (std::size_t begin = first; begin < last; begin += kDeleteChunk) {
    const std::size_t end = std::min(last, begin + kDeleteChunk);
    for (int i = 0; i < kDeleteChunk; ++i) {
      const std::size_t at = std::min(begin + static_cast<std::size_t>(i), end - 1);
      delete_chunk_.BindInt64(i + 1, static_cast<std::int64_t>(ids[at]));
    }
    TQ_RETURN_IF_ERROR(delete_chunk_.Run());
  }
  return Status::Ok();
}

Status TaskStore::CommitNow(const Batch& batch) {
  if (batch.empty()) return Status::Ok();
  Status status = [&]() -> Status {
    auto tx = Transaction::Begin(db_);
    if (!tx.ok()) return tx.status();
    const auto& ops = batch.ops_;
    for (std::size_t i = 0; i < ops.size();) {
      switch (ops[i].kind) {
        case Batch::Kind::kPut:
          TQ_RETURN_IF_ERROR(ApplyPut(batch.puts_[ops[i].index]));
          ++i;
          break;
        case Batch::Kind::kUpdate:
          TQ_RETURN_IF_ERROR(ApplyUpdate(batch.updates_[ops[i].index]));
          ++i;
          break;
        case Batch::Kind::kDelete: {
          // A run of deletes has consecutive indexes into deletes_.
          std::size_t j = i;
          while (j < ops.size() && ops[j].kind == Batch::Kind::kDelete) ++j;
          TQ_RETURN_IF_ERROR(
              ApplyDeletes(batch.deletes_, ops[i].index, ops[j - 1].index + 1));
          i = j;
          break;
        }
      }
    }
    if (batch.id_ceiling_) {
      set_ceiling_.BindInt64(1, static_cast<std::int64_t>(*batch.id_ceiling_));
      TQ_RETURN_IF_ERROR(set_ceiling_.Run());
    }
    return tx->Commit();
  }();
  if (!status.ok()) {
    return StoreError(status.message() + "; the batch of " + std::to_string(batch.size()) +
                      " operations was rolled back");
  }
  id_ceiling_ = std::max(id_ceiling_, batch.id_ceiling_.value_or(0));
  for (const TaskRecord& t : batch.puts_) id_ceiling_ = std::max(id_ceiling_, t.id);
  return status;
}

// --- Reading

Status TaskStore::ForEachTask(const std::function<Status(TaskRecord&)>& visit) {
  Statement& s = select_all_;
  TaskRecord t;
  Status status;
  for (;;) {
    auto row = s.Step();
    if (!row.ok()) {
      status = row.status();
      break;
    }
    if (!*row) break;
    t.id = static_cast<std::uint64_t>(s.ColumnInt64(0));
    t.fn = s.ColumnText(1);
    t.args = s.ColumnBlob(2);
    t.priority = static_cast<std::int32_t>(s.ColumnInt64(3));
    t.timeout_ms = s.ColumnInt64(4);
    t.max_retries = static_cast<std::uint32_t>(s.ColumnInt64(5));
    t.retry_on = static_cast<std::uint8_t>(s.ColumnInt64(6));
    t.retry_backoff_ms = s.ColumnInt64(7);
    t.chunk = s.ColumnInt64(8) != 0;
    t.key = s.ColumnText(9);
    t.queued_at_ms = s.ColumnInt64(10);
    t.name = s.ColumnText(11);
    t.submitter_uid = s.ColumnIsNull(12) ? -1 : s.ColumnInt64(12);
    t.submitter_pid = s.ColumnIsNull(13) ? 0 : s.ColumnInt64(13);
    ReadLifecycle(s, 14, t.life);
    status = visit(t);
    if (!status.ok()) break;
  }
  s.Reset();
  return status;
}

Result<std::vector<TaskRecord>> TaskStore::LoadTasks() {
  std::vector<TaskRecord> tasks;
  Status status = ForEachTask([&](TaskRecord& t) {
    tasks.push_back(std::move(t));
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return tasks;
}

Result<StoreStats> TaskStore::Stats() {
  StoreStats stats;
  stats.db_bytes = FileBytes(db_path_);
  stats.wal_bytes = FileBytes(db_path_ + "-wal");
  stats.file_bytes = stats.db_bytes + stats.wal_bytes;
  auto count = db_.Prepare("SELECT state, count(*) FROM tasks GROUP BY state",
                           "count tasks");
  if (!count.ok()) return count.status();
  for (;;) {
    auto row = count->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    const auto n = static_cast<std::uint64_t>(count->ColumnInt64(1));
    stats.rows_by_state[static_cast<std::uint8_t>(count->ColumnInt64(0))] = n;
    stats.rows += n;
  }
  return stats;
}

Result<std::string> TaskStore::QueryPragma(std::string_view name) {
  auto pragma = db_.Prepare("PRAGMA " + std::string(name), "read PRAGMA " + std::string(name));
  if (!pragma.ok()) return pragma.status();
  auto row = pragma->Step();
  if (!row.ok()) return row.status();
  return *row ? std::string(pragma->ColumnText(0)) : std::string();
}

}  // namespace tq::store
