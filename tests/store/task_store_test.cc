// TaskStore on real SQLite files: what is committed comes back, after a
// reopen too, field for field; a batch is one transaction; the durability
// settings are in effect; a size limit fails a commit like a full disk.
#include "store/task_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "store_testing.h"
#include "testing/temp_dir.h"

namespace tq::store {
namespace {

using std::string_literals::operator""s;

// Every field set, none to its default; payloads with NUL and high bytes.
TaskRecord FullTask(std::uint64_t id) {
  TaskRecord t;
  t.id = id;
  t.fn = "thumbnails.resize";
  t.args = "\x92\x01\x00\xff\xc4"s + std::string(300, '\0');
  t.priority = -7;
  t.timeout_ms = 30'000;
  t.max_retries = 3;
  t.retry_on = 1 | 4;
  t.retry_backoff_ms = 2'500;
  t.chunk = true;
  t.key = "nightly-2024-01-01";
  t.life.state = 3;
  t.life.attempts = 2;
  t.life.worker_deaths = 1;
  t.queued_at_ms = 1'700'000'000'123;
  t.life.ready_at_ms = 1'700'000'005'000;
  t.life.started_at_ms = 1'700'000'006'000;
  t.life.finished_at_ms = 1'700'000'007'000;
  t.life.value = "\xc0\x00"s;
  t.life.error = "\x83\xa4type\xa1x\x00"s;
  t.name = "resize-job";
  t.submitter_uid = 1000;
  t.submitter_pid = 4242;
  return t;
}

class TaskStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  // Closes the store and opens the directory again.
  void Reopen(const StoreOptions& options = {}) {
    store_.reset();
    store_ = MustOpen(dir_.path(), options);
    ASSERT_TRUE(store_);
  }
  Status Commit(const Batch& batch) { return store_->CommitNow(batch); }

  testing::TempDir dir_;
  std::unique_ptr<TaskStore> store_;
};

TEST_F(TaskStoreTest, ANewStoreIsEmptyWithIdCeilingZero) {
  EXPECT_EQ(store_->path(), dir_.File("tq.db"));
  EXPECT_EQ(store_->id_ceiling(), 0u);
  EXPECT_TRUE(Ids(*store_).empty());
}

TEST_F(TaskStoreTest, CreatesAMissingStateDirectoryWithMode0700) {
  const std::string state = dir_.File("state/tq");
  auto store = MustOpen(state);
  ASSERT_TRUE(store);
  struct stat st;
  ASSERT_EQ(::stat(state.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(dir_.File("state").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(TaskStoreTest, RoundTripsEveryFieldAcrossAReopen) {
  const TaskRecord plain = QueuedTask(1);  // the "none" values: "", -1, 0
  const TaskRecord full = FullTask(2);
  Batch batch;
  batch.Put(plain);
  batch.Put(full);
  ASSERT_TRUE(Commit(batch).ok());
  for (int open = 0; open < 2; ++open) {
    auto loaded = store_->LoadTasks();
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    ASSERT_EQ(loaded->size(), 2u);
    EXPECT_EQ((*loaded)[0], plain);
    EXPECT_EQ((*loaded)[1], full);
    ASSERT_NO_FATAL_FAILURE(Reopen());
  }
}

TEST_F(TaskStoreTest, AnUpdateChangesOnlyTheLifecycleColumns) {
  const TaskRecord put = FullTask(9);
  Batch first;
  first.Put(put);
  ASSERT_TRUE(Commit(first).ok());

  const TaskLifecycle life{.state = 2,
                           .attempts = 5,
                           .worker_deaths = 4,
                           .ready_at_ms = 11,
                           .started_at_ms = 12,
                           .finished_at_ms = 13,
                           .value = "\x01\x02"s,
                           .error = ""};
  Batch second;
  second.Update(TaskUpdate{.id = 9, .life = life});
  ASSERT_TRUE(Commit(second).ok());

  TaskRecord want = put;  // everything the submit set stays
  want.life = life;
  auto loaded = store_->LoadTasks();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0], want);
}

TEST_F(TaskStoreTest, UpdatesAndDeletesOfUnknownIdsChangeNothing) {
  ASSERT_TRUE(Commit(Puts(1, 3)).ok());
  Batch batch;
  batch.Update(TaskUpdate{.id = 77, .life = {.state = 2}});
  batch.Delete(78);
  Status status = Commit(batch);
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(Ids(*store_), (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST_F(TaskStoreTest, DeletesManyScatteredIdsInOneBatch) {
  ASSERT_TRUE(Commit(Puts(1, 1000)).ok());
  // Runs longer and shorter than one DELETE statement's worth, split by
  // other operations so that several runs are flushed.
  Batch batch;
  std::set<std::uint64_t> want;
  for (std::uint64_t id = 1; id <= 1000; ++id) want.insert(id);
  for (std::uint64_t id = 1; id <= 1000; id += 3) {
    batch.Delete(id);
    want.erase(id);
    if (id % 301 == 0) batch.Update(TaskUpdate{.id = 1000, .life = {.state = 1}});
  }
  batch.Delete(999);
  want.erase(999);
  ASSERT_TRUE(Commit(batch).ok());
  const auto ids = Ids(*store_);
  EXPECT_EQ(std::set<std::uint64_t>(ids.begin(), ids.end()), want);
}

TEST_F(TaskStoreTest, OperationsApplyInTheOrderTheyWereAdded) {
  Batch batch;
  batch.Put(QueuedTask(1));
  batch.Update(TaskUpdate{.id = 1, .life = {.state = 1, .attempts = 1}});
  batch.Put(QueuedTask(2));
  batch.Delete(2);  // submitted, finished and evicted in one turn
  batch.Update(TaskUpdate{.id = 2, .life = {.state = 2}});
  ASSERT_TRUE(Commit(batch).ok());
  auto loaded = store_->LoadTasks();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 1u);
  EXPECT_EQ((*loaded)[0].id, 1u);
  EXPECT_EQ((*loaded)[0].life.state, 1);
  EXPECT_EQ((*loaded)[0].life.attempts, 1u);
}

TEST_F(TaskStoreTest, LoadsTasksInIdOrderWhateverTheOrderOfPuts) {
  Batch first;
  for (std::uint64_t id : {50, 7, 300, 8}) first.Put(QueuedTask(id));
  ASSERT_TRUE(Commit(first).ok());
  Batch second;
  for (std::uint64_t id : {1, 299}) second.Put(QueuedTask(id));
  ASSERT_TRUE(Commit(second).ok());
  EXPECT_EQ(Ids(*store_), (std::vector<std::uint64_t>{1, 7, 8, 50, 299, 300}));
}

TEST_F(TaskStoreTest, TheIdCeilingPersistsAndNeverGoesDown) {
  Batch raise;
  raise.SetIdCeiling(5000);
  ASSERT_TRUE(Commit(raise).ok());
  EXPECT_EQ(store_->id_ceiling(), 5000u);
  Batch lower;
  lower.SetIdCeiling(10);
  ASSERT_FALSE(lower.empty());
  ASSERT_TRUE(Commit(lower).ok());
  EXPECT_EQ(store_->id_ceiling(), 5000u);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(store_->id_ceiling(), 5000u);
}

TEST_F(TaskStoreTest, TheIdCeilingIsAtLeastTheLargestIdStored) {
  Batch batch = Puts(7000, 2);
  batch.SetIdCeiling(100);
  ASSERT_TRUE(Commit(batch).ok());
  EXPECT_EQ(store_->id_ceiling(), 7001u);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(store_->id_ceiling(), 7001u);
}

TEST_F(TaskStoreTest, ABatchOfManyOperationsIsOneTransaction) {
  ASSERT_TRUE(Commit(Puts(1, 500)).ok());
  Batch batch = Puts(501, 1000);
  for (std::uint64_t id = 1; id <= 100; ++id) batch.Update(TaskUpdate{.id = id, .life = {.state = 1}});
  for (std::uint64_t id = 101; id <= 400; ++id) batch.Delete(id);
  batch.SetIdCeiling(2000);
  const std::uint64_t before = store_->commits();
  ASSERT_TRUE(Commit(batch).ok());
  EXPECT_EQ(store_->commits() - before, 1u);
  EXPECT_EQ(Ids(*store_).size(), 500u + 1000u - 300u);
}

TEST_F(TaskStoreTest, AFailingOperationRollsBackTheWholeBatch) {
  ASSERT_TRUE(Commit(Puts(1, 3)).ok());
  Batch batch = Puts(4, 100);
  batch.Delete(1);
  batch.SetIdCeiling(9999);
  batch.Put(QueuedTask(2));  // already there: ids never repeat
  Status status = Commit(batch);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), proto::ErrorCode::kIo);
  const std::string& msg = status.message();
  EXPECT_NE(msg.find(dir_.File("tq.db") + ": insert task: UNIQUE constraint failed"),
            std::string::npos) << msg;
  EXPECT_NE(msg.find("SQLITE_CONSTRAINT_PRIMARYKEY"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(task 2)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("the batch of 103 operations was rolled back"), std::string::npos)
      << msg;
  EXPECT_EQ(Ids(*store_), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(store_->id_ceiling(), 3u);
  // The connection is usable again.
  EXPECT_TRUE(Commit(Puts(4, 1)).ok());
  EXPECT_EQ(Ids(*store_).size(), 4u);
}

TEST_F(TaskStoreTest, AnEmptyBatchCommitsNothing) {
  Batch batch;
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.size(), 0u);
  const std::uint64_t before = store_->commits();
  EXPECT_TRUE(Commit(batch).ok());
  EXPECT_EQ(store_->commits(), before);
}

TEST_F(TaskStoreTest, RunsInWalModeWithSynchronousFull) {
  EXPECT_EQ(store_->QueryPragma("journal_mode").value(), "wal");
  EXPECT_EQ(store_->QueryPragma("synchronous").value(), "2");  // FULL
  EXPECT_EQ(store_->QueryPragma("foreign_keys").value(), "0");
  EXPECT_EQ(store_->QueryPragma("busy_timeout").value(), "0");
  EXPECT_EQ(store_->QueryPragma("user_version").value(), "2");
  // WAL is a property of the file: another connection sees it too.
  EXPECT_EQ(RawQuery(dir_.File("tq.db"), "PRAGMA journal_mode"), "wal");
}

TEST_F(TaskStoreTest, ACommittedBatchIsVisibleToAnotherConnection) {
  ASSERT_TRUE(Commit(Puts(1, 25)).ok());
  EXPECT_EQ(RawQuery(dir_.File("tq.db"), "SELECT count(*) FROM tasks"), "25");
}

TEST_F(TaskStoreTest, StatsCountRowsByStateAndSizeTheFiles) {
  Batch batch = Puts(1, 10);
  for (std::uint64_t id = 1; id <= 3; ++id) batch.Update(TaskUpdate{.id = id, .life = {.state = 2}});
  batch.Update(TaskUpdate{.id = 4, .life = {.state = 6}});
  ASSERT_TRUE(Commit(batch).ok());
  auto stats = store_->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->rows, 10u);
  EXPECT_EQ(stats->rows_by_state, (std::map<std::uint8_t, std::uint64_t>{
                                      {0, 6}, {2, 3}, {6, 1}}));
  EXPECT_GT(stats->wal_bytes, 0u);  // the commit is in the WAL
  EXPECT_GT(stats->db_bytes, 0u);
  EXPECT_EQ(stats->file_bytes, stats->db_bytes + stats->wal_bytes);
}

TEST_F(TaskStoreTest, ForEachTaskStopsAtTheVisitorsError) {
  ASSERT_TRUE(Commit(Puts(1, 10)).ok());
  int seen = 0;
  Status status = store_->ForEachTask([&](TaskRecord& t) {
    ++seen;
    return t.id == 4 ? Status(proto::ErrorCode::kBadValue, "bad row 4") : Status::Ok();
  });
  EXPECT_EQ(status.message(), "bad row 4");
  EXPECT_EQ(seen, 4);
  EXPECT_EQ(Ids(*store_).size(), 10u) << "a later scan starts from the first row";
}

// PRAGMA max_page_count makes SQLite fail exactly as on a full disk.
TEST_F(TaskStoreTest, ACommitPastTheSizeLimitFailsFullThenSucceedsOnceSpaceIsFreed) {
  const StoreOptions options{.max_page_count = 64};  // 256 KiB
  ASSERT_NO_FATAL_FAILURE(Reopen(options));
  std::uint64_t next = 1;
  Status full;
  for (int i = 0; i < 100 && full.ok(); ++i) {
    full = Commit(Puts(next, 10, 2000));
    if (full.ok()) next += 10;
  }
  ASSERT_FALSE(full.ok()) << "64 pages never filled up";
  EXPECT_NE(full.message().find("database or disk is full (SQLITE_FULL)"), std::string::npos)
      << full.message();
  EXPECT_EQ(Ids(*store_).size(), next - 1) << "the failed batch left rows behind";

  Batch evict;  // results expire: their pages go back to SQLite's free list
  for (std::uint64_t id = 1; id < next / 2; ++id) evict.Delete(id);
  Status status = Commit(evict);
  ASSERT_TRUE(status.ok()) << status.ToString();
  status = Commit(Puts(next, 10, 2000));
  ASSERT_TRUE(status.ok()) << status.ToString();
  const std::size_t want = (next - 1) - (next / 2 - 1) + 10;
  EXPECT_EQ(Ids(*store_).size(), want);

  ASSERT_NO_FATAL_FAILURE(Reopen(options));
  EXPECT_EQ(Ids(*store_).size(), want);
}

}  // namespace
}  // namespace tq::store
