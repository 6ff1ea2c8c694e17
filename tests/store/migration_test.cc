// Opening a store an older tqd wrote: the file below is made by raw SQL,
// exactly as schema v1 was released, not by today's code, so the test
// still means something when the migrations change.
#include <gtest/gtest.h>

#include <string>

#include "store/task_store.h"
#include "store_testing.h"
#include "testing/temp_dir.h"

namespace tq::store {
namespace {

// Schema v1 as tqd wrote it (daemon/store/schema.cc, first migration),
// with a queued, a finished and a failed task and an id ceiling.
constexpr const char* kSchemaV1File = R"sql(
PRAGMA journal_mode = WAL;
BEGIN;
CREATE TABLE tasks (
  id               INTEGER PRIMARY KEY,
  fn               TEXT    NOT NULL,
  args             BLOB    NOT NULL,
  priority         INTEGER NOT NULL,
  timeout_ms       INTEGER NOT NULL,
  max_retries      INTEGER NOT NULL,
  retry_on         INTEGER NOT NULL,
  retry_backoff_ms INTEGER NOT NULL,
  chunk            INTEGER NOT NULL,
  key              TEXT,
  state            INTEGER NOT NULL,
  attempts         INTEGER NOT NULL,
  worker_deaths    INTEGER NOT NULL,
  queued_at_ms     INTEGER NOT NULL,
  ready_at_ms      INTEGER NOT NULL,
  started_at_ms    INTEGER NOT NULL,
  finished_at_ms   INTEGER NOT NULL,
  value            BLOB,
  error            BLOB
);
CREATE TABLE meta (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (name, value) VALUES ('id_ceiling', 0);
PRAGMA application_id = 1953562625;
PRAGMA user_version = 1;
COMMIT;
INSERT INTO tasks VALUES
  (3, 'inc', x'9101', 5, 0, 0, 0, 1000, 0, NULL, 0, 0, 0, 1000, 1500, 0, 0, NULL, NULL),
  (4, 'exec', x'91a26c73', 0, 30000, 2, 3, 500, 1, 'k-4', 2, 1, 0, 1001, 1001, 1100, 1200,
   x'c3', NULL),
  (9, 'inc', x'9100', -1, 0, 1, 1, 1000, 0, NULL, 3, 2, 1, 1002, 1002, 1300, 1400, NULL,
   x'82a474797065a178');
UPDATE meta SET value = 100 WHERE name = 'id_ceiling';
)sql";

TEST(StoreMigrationTest, AVersion1StoreMigratesToTheCurrentSchemaWithItsRowsIntact) {
  testing::TempDir dir;
  RawExec(dir.File("tq.db"), kSchemaV1File);
  ASSERT_EQ(RawQuery(dir.File("tq.db"), "PRAGMA user_version"), "1");

  auto store = MustOpen(dir.path());
  ASSERT_TRUE(store);
  EXPECT_EQ(store->QueryPragma("user_version").value(), "2");
  EXPECT_EQ(store->id_ceiling(), 100u);
  auto loaded = store->LoadTasks();
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_EQ(loaded->size(), 3u);

  TaskRecord queued;
  queued.id = 3;
  queued.fn = "inc";
  queued.args = "\x91\x01";
  queued.priority = 5;
  queued.retry_backoff_ms = 1000;
  queued.queued_at_ms = 1000;
  queued.life.ready_at_ms = 1500;
  EXPECT_EQ((*loaded)[0], queued);  // v2 columns read as none / unknown

  const TaskRecord& done = (*loaded)[1];
  EXPECT_EQ(done.id, 4u);
  EXPECT_EQ(done.fn, "exec");
  EXPECT_EQ(done.args, "\x91\xa2ls");
  EXPECT_EQ(done.timeout_ms, 30000);
  EXPECT_EQ(done.max_retries, 2u);
  EXPECT_EQ(done.retry_on, 3);
  EXPECT_TRUE(done.chunk);
  EXPECT_EQ(done.key, "k-4");
  EXPECT_EQ(done.life.state, 2);
  EXPECT_EQ(done.life.started_at_ms, 1100);
  EXPECT_EQ(done.life.finished_at_ms, 1200);
  EXPECT_EQ(done.life.value, "\xc3");
  EXPECT_EQ(done.name, "");
  EXPECT_EQ(done.submitter_uid, -1);
  EXPECT_EQ(done.submitter_pid, 0);

  const TaskRecord& failed = (*loaded)[2];
  EXPECT_EQ(failed.id, 9u);
  EXPECT_EQ(failed.priority, -1);
  EXPECT_EQ(failed.life.attempts, 2u);
  EXPECT_EQ(failed.life.worker_deaths, 1u);
  EXPECT_EQ(failed.life.error, "\x82\xa4type\xa1x");
}

TEST(StoreMigrationTest, AMigratedStoreTakesTheNewColumnsAndReopens) {
  testing::TempDir dir;
  RawExec(dir.File("tq.db"), kSchemaV1File);
  TaskRecord named = QueuedTask(101);
  named.name = "nightly";
  named.submitter_uid = 0;  // root is a real uid, not "unknown"
  named.submitter_pid = 31337;
  {
    auto store = MustOpen(dir.path());
    ASSERT_TRUE(store);
    Batch batch;
    batch.Put(named);
    ASSERT_TRUE(store->CommitNow(batch).ok());
  }
  auto store = MustOpen(dir.path());
  ASSERT_TRUE(store);
  auto loaded = store->LoadTasks();
  ASSERT_TRUE(loaded.ok());
  ASSERT_EQ(loaded->size(), 4u);
  EXPECT_EQ(loaded->back(), named);
  EXPECT_EQ(store->id_ceiling(), 101u);
}

}  // namespace
}  // namespace tq::store
