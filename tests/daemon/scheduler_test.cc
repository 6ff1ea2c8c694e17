// Scheduler: strict FIFO, bounded by max_queued.
#include "scheduler.h"

#include <gtest/gtest.h>

#include <vector>

namespace tq::daemon {
namespace {

TEST(SchedulerTest, PopsTasksInTheOrderTheyWerePushed) {
  Scheduler s(10);
  for (std::uint64_t id : {5, 3, 9}) s.Push(id);
  EXPECT_EQ(s.Pop(), 5u);
  EXPECT_EQ(s.Pop(), 3u);
  s.Push(1);
  EXPECT_EQ(s.Pop(), 9u);
  EXPECT_EQ(s.Pop(), 1u);
  EXPECT_EQ(s.Pop(), std::nullopt);
}

TEST(SchedulerTest, IsFullExactlyAtMaxQueued) {
  Scheduler s(3);
  EXPECT_EQ(s.max_queued(), 3u);
  s.Push(1);
  s.Push(2);
  EXPECT_FALSE(s.full());
  s.Push(3);
  EXPECT_TRUE(s.full());
  EXPECT_EQ(s.size(), 3u);
  ASSERT_TRUE(s.Pop());
  EXPECT_FALSE(s.full());
}

TEST(SchedulerTest, WithZeroMaxQueuedIsAlwaysFull) {
  const Scheduler s(0);
  EXPECT_TRUE(s.full());
}

TEST(SchedulerTest, TakeAllEmptiesTheQueueOldestFirst) {
  Scheduler s(10);
  for (std::uint64_t id : {4, 8, 2}) s.Push(id);
  EXPECT_EQ(s.TakeAll(), (std::vector<std::uint64_t>{4, 8, 2}));
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.Pop(), std::nullopt);
  EXPECT_TRUE(s.TakeAll().empty());
}

}  // namespace
}  // namespace tq::daemon
