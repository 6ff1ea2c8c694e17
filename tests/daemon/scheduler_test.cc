// Scheduler: priority order, FIFO within a priority, delays, removal and the
// max_queued bound. Times are plain TimePoints: no clock, no sleeping.
#include "scheduler.h"

#include <gtest/gtest.h>

namespace tq::daemon {
namespace {

using namespace std::chrono_literals;
const base::TimePoint kT0 = base::TimePoint{} + 1h;

TEST(SchedulerTest, PopsTasksOfOnePriorityInTheOrderTheyWerePushed) {
  Scheduler s(10);
  for (std::uint64_t id : {5, 3, 9}) s.Push(id, 0, kT0, kT0);
  EXPECT_EQ(s.Pop(kT0), 5u);
  EXPECT_EQ(s.Pop(kT0), 3u);
  s.Push(1, 0, kT0, kT0);
  EXPECT_EQ(s.Pop(kT0), 9u);
  EXPECT_EQ(s.Pop(kT0), 1u);
  EXPECT_EQ(s.Pop(kT0), std::nullopt);
}

TEST(SchedulerTest, RunsHigherPriorityFirstAndFifoWithinAPriority) {
  Scheduler s(10);
  s.Push(1, 0, kT0, kT0);
  s.Push(2, 5, kT0, kT0);
  s.Push(3, -3, kT0, kT0);
  s.Push(4, 5, kT0, kT0);
  s.Push(5, 0, kT0, kT0);
  std::vector<std::uint64_t> order;
  while (auto id = s.Pop(kT0)) order.push_back(*id);
  EXPECT_EQ(order, (std::vector<std::uint64_t>{2, 4, 1, 5, 3}));
}

TEST(SchedulerTest, HoldsADelayedTaskUntilItsTime) {
  Scheduler s(10);
  s.Push(1, 100, kT0 + 5s, kT0);
  s.Push(2, 0, kT0, kT0);
  EXPECT_EQ(s.NextReadyAt(), kT0 + 5s);
  EXPECT_EQ(s.Pop(kT0), 2u);
  EXPECT_EQ(s.Pop(kT0 + 4s), std::nullopt);
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.Pop(kT0 + 5s), 1u);
  EXPECT_EQ(s.NextReadyAt(), std::nullopt);
}

TEST(SchedulerTest, ADelayedTaskKeepsItsPriorityOnceReady) {
  Scheduler s(10);
  s.Push(1, 0, kT0, kT0);
  s.Push(2, 9, kT0 + 1s, kT0);
  EXPECT_EQ(s.Pop(kT0 + 2s), 2u);
  EXPECT_EQ(s.Pop(kT0 + 2s), 1u);
}

TEST(SchedulerTest, RemovedTasksNeverComeOut) {
  Scheduler s(10);
  s.Push(1, 0, kT0, kT0);
  s.Push(2, 0, kT0, kT0);
  s.Push(3, 0, kT0 + 1s, kT0);
  EXPECT_TRUE(s.Remove(1));
  EXPECT_TRUE(s.Remove(3));
  EXPECT_FALSE(s.Remove(3));
  EXPECT_FALSE(s.Remove(42));
  EXPECT_EQ(s.size(), 1u);
  EXPECT_EQ(s.Pop(kT0 + 2s), 2u);
  EXPECT_EQ(s.Pop(kT0 + 2s), std::nullopt);
  EXPECT_EQ(s.NextReadyAt(), std::nullopt);
}

TEST(SchedulerTest, IsFullExactlyAtMaxQueuedCountingDelayedTasks) {
  Scheduler s(2);
  EXPECT_FALSE(s.full());
  s.Push(1, 0, kT0, kT0);
  s.Push(2, 0, kT0 + 1s, kT0);
  EXPECT_TRUE(s.full());
  (void)s.Pop(kT0);
  EXPECT_FALSE(s.full());
  s.set_max_queued(1);
  EXPECT_TRUE(s.full());
}

TEST(SchedulerTest, TakeAllEmptiesTheQueueInRunOrderThenDelayed) {
  Scheduler s(10);
  s.Push(1, 0, kT0, kT0);
  s.Push(2, 0, kT0 + 1s, kT0);
  s.Push(3, 7, kT0, kT0);
  s.Push(4, 0, kT0, kT0);
  s.Remove(4);
  EXPECT_EQ(s.TakeAll(), (std::vector<std::uint64_t>{3, 1, 2}));
  EXPECT_EQ(s.size(), 0u);
  EXPECT_EQ(s.Pop(kT0 + 2s), std::nullopt);
}

}  // namespace
TEST(SchedulerTest, PeekShowsWhatPopWouldTakeAndLeavesItQueued) {
  Scheduler s(10);
  const auto now = base::TimePoint{} + std::chrono::seconds(100);
  EXPECT_FALSE(s.Peek(now).has_value());
  s.Push(1, 0, now, now);
  s.Push(2, 5, now, now);
  s.Push(3, 5, now, now);
  EXPECT_EQ(s.Peek(now), 2u);
  EXPECT_EQ(s.size(), 3u);
  s.Remove(2);
  EXPECT_EQ(s.Peek(now), 3u);
  EXPECT_EQ(s.Pop(now), 3u);
  EXPECT_EQ(s.Peek(now), 1u);
  EXPECT_EQ(s.Pop(now), 1u);
  EXPECT_FALSE(s.Peek(now).has_value());
}

}  // namespace tq::daemon
