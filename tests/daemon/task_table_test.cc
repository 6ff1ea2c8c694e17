// TaskTable: ids, idempotency keys, and the result store's retention rule
// (TTL, then count and bytes, oldest ended first; live tasks never go).
#include "task_table.h"

#include <gtest/gtest.h>

namespace tq::daemon {
namespace {

using namespace std::chrono_literals;
const base::TimePoint kT0 = base::TimePoint{} + 1h;

Task& End(TaskTable& table, Task& t, base::TimePoint at) {
  t.state = proto::TaskState::kDone;
  table.Retain(t, at);
  return t;
}

// A queued task's memory is mostly its Task (bench: tq-bench rss, 200 B a
// task with its queue entry): a new member belongs in its size group, or
// in TaskExtras if few tasks need it or only once they run.
TEST(TaskSizeTest, ATaskStaysWithinItsUnpaddedSize) {
  static_assert(sizeof(void*) == 8, "the sizes below are for 64-bit builds");
  EXPECT_LE(sizeof(Task), 168u);
}

TEST(TaskTableTest, GivesIncreasingIdsAndFindsByIdAndKey) {
  TaskTable table({});
  Task& a = table.Create();
  Task& b = table.Create();
  EXPECT_LT(a.id, b.id);
  table.IndexKey(b, "k1");
  EXPECT_EQ(table.Find(a.id), &a);
  EXPECT_EQ(table.FindByKey("k1"), &b);
  EXPECT_EQ(table.FindByKey("k2"), nullptr);
  EXPECT_EQ(table.Find(999), nullptr);
}

TEST(TaskTableTest, KeepsEndedTasksForTheTtlThenEvictsThemAndTheirKeys) {
  TaskTable table({.ttl = 10s});
  Task& t = table.Create();
  table.IndexKey(t, "k");
  const std::uint64_t id = t.id;
  End(table, t, kT0);
  EXPECT_EQ(table.Evict(kT0 + 9s), 0u);
  EXPECT_NE(table.Find(id), nullptr);
  EXPECT_EQ(table.Evict(kT0 + 10s), 1u);
  EXPECT_EQ(table.Find(id), nullptr);
  EXPECT_EQ(table.FindByKey("k"), nullptr);
}

TEST(TaskTableTest, NeverEvictsQueuedOrRunningTasks) {
  TaskTable table({.ttl = 1s, .max_results = 1});
  Task& live = table.Create();
  live.state = proto::TaskState::kRunning;
  EXPECT_EQ(table.Evict(kT0 + 1h), 0u);
  EXPECT_NE(table.Find(live.id), nullptr);
}

TEST(TaskTableTest, BeyondMaxResultsTheOldestEndedGoFirst) {
  TaskTable table({.ttl = 1h, .max_results = 2});
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 3; ++i) {
    Task& t = table.Create();
    ids.push_back(t.id);
    End(table, t, kT0 + std::chrono::seconds(i));
  }
  EXPECT_EQ(table.Evict(kT0 + 3s), 1u);
  EXPECT_EQ(table.Find(ids[0]), nullptr);
  EXPECT_NE(table.Find(ids[1]), nullptr);
  EXPECT_NE(table.Find(ids[2]), nullptr);
}

TEST(TaskTableTest, BeyondMaxBytesTheOldestEndedGoFirst) {
  TaskTable table({.ttl = 1h, .max_results = 100, .max_bytes = 3000});
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 3; ++i) {
    Task& t = table.Create();
    t.payload.assign(1000, 'x');
    ids.push_back(t.id);
    End(table, t, kT0);
  }
  table.Evict(kT0);
  EXPECT_EQ(table.Find(ids[0]), nullptr);
  EXPECT_LE(table.retained_bytes(), 3000u);
  EXPECT_NE(table.Find(ids[2]), nullptr);
}

TEST(TaskTableTest, ARevivedTaskLeavesTheStoreUntilItEndsAgain) {
  TaskTable table({.ttl = 10s});
  Task& t = table.Create();
  const std::uint64_t id = t.id;
  t.state = proto::TaskState::kBuried;
  table.Retain(t, kT0);
  table.Revive(t);
  t.state = proto::TaskState::kQueued;
  EXPECT_EQ(table.retained(), 0u);
  EXPECT_EQ(table.Evict(kT0 + 1h), 0u);  // the stale entry is skipped
  ASSERT_NE(table.Find(id), nullptr);
  End(table, *table.Find(id), kT0 + 1h);
  EXPECT_EQ(table.Evict(kT0 + 1h + 5s), 0u);
  EXPECT_EQ(table.Evict(kT0 + 1h + 10s), 1u);
}

}  // namespace
}  // namespace tq::daemon
