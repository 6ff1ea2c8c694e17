// Scheduler: priority order, FIFO within a priority, delays, removal, the
// max_queued bound and the cap on running tasks per user. Times are plain
// TimePoints: no clock, no sleeping.
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

TEST(SchedulerTest, KeepsPriorityAndFifoOrderAcrossUsersWithoutACap) {
  Scheduler s(10);
  s.Push(1, 0, kT0, kT0, 1000);
  s.Push(2, 0, kT0, kT0, 1001);
  s.Push(3, 5, kT0, kT0, 1001);
  s.Push(4, 0, kT0, kT0, 1000);
  s.Push(5, 0, kT0, kT0, -1);
  std::vector<std::uint64_t> order;
  while (auto id = s.Pop(kT0)) order.push_back(*id);
  EXPECT_EQ(order, (std::vector<std::uint64_t>{3, 1, 2, 4, 5}));
  EXPECT_EQ(s.running(1000), 2u);
  EXPECT_EQ(s.running(1001), 2u);
  EXPECT_EQ(s.running(-1), 1u);
}

TEST(SchedulerTest, AUserAtTheCapWaitsWhileOthersRun) {
  Scheduler s(100);
  s.set_max_running_per_user(2);
  // User 1000 queued ten tasks first, at a higher priority, then 1001 one.
  for (std::uint64_t id = 1; id <= 10; ++id) s.Push(id, 5, kT0, kT0, 1000);
  s.Push(11, 0, kT0, kT0, 1001);
  EXPECT_EQ(s.Pop(kT0), 1u);
  EXPECT_EQ(s.Pop(kT0), 2u);
  EXPECT_EQ(s.Pop(kT0), 11u) << "1000 is at its cap: 1001's task comes next";
  EXPECT_EQ(s.Pop(kT0), std::nullopt) << "both users at their cap or out of tasks";
  EXPECT_EQ(s.size(), 8u);
  EXPECT_EQ(s.running(1000), 2u);
  s.RunEnded(2);
  EXPECT_EQ(s.running(1000), 1u);
  EXPECT_EQ(s.Pop(kT0), 3u);
  EXPECT_EQ(s.Pop(kT0), std::nullopt);
}

TEST(SchedulerTest, UnknownSubmittersShareOneCap) {
  Scheduler s(10);
  s.set_max_running_per_user(1);
  s.Push(1, 0, kT0, kT0);  // -1: a tcp:// client
  s.Push(2, 0, kT0, kT0);
  EXPECT_EQ(s.Pop(kT0), 1u);
  EXPECT_EQ(s.Pop(kT0), std::nullopt);
  EXPECT_EQ(s.running(-1), 1u);
}

TEST(SchedulerTest, ARetriedTaskCountsOnlyWhileItRuns) {
  Scheduler s(10);
  s.set_max_running_per_user(1);
  s.Push(1, 0, kT0, kT0, 7);
  s.Push(2, 0, kT0, kT0, 7);
  EXPECT_EQ(s.Pop(kT0), 1u);
  // Task 1 failed and waits 1 s for its retry: 2 may run meanwhile.
  s.RunEnded(1);
  s.Push(1, 0, kT0 + 1s, kT0, 7);
  EXPECT_EQ(s.Pop(kT0), 2u);
  EXPECT_EQ(s.Pop(kT0 + 2s), std::nullopt) << "2 runs; 1 waits for it";
  s.RunEnded(2);
  EXPECT_EQ(s.Pop(kT0 + 2s), 1u);
  s.RunEnded(1);
  s.RunEnded(1);  // twice, or an id that never ran: no effect
  s.RunEnded(99);
  EXPECT_EQ(s.running(7), 0u);
}

TEST(SchedulerTest, RaisingOrLiftingTheCapLetsHeldTasksRun) {
  Scheduler s(10);
  s.set_max_running_per_user(1);
  for (std::uint64_t id = 1; id <= 3; ++id) s.Push(id, 0, kT0, kT0, 1000);
  EXPECT_EQ(s.Pop(kT0), 1u);
  EXPECT_EQ(s.Pop(kT0), std::nullopt);
  s.set_max_running_per_user(2);
  EXPECT_EQ(s.Pop(kT0), 2u);
  EXPECT_EQ(s.Pop(kT0), std::nullopt);
  s.set_max_running_per_user(0);
  EXPECT_EQ(s.Pop(kT0), 3u);
}

TEST(SchedulerTest, RemovedTasksOfAHeldUserDoNotBlockIt) {
  Scheduler s(10);
  s.set_max_running_per_user(1);
  s.Push(1, 0, kT0, kT0, 1000);
  s.Push(2, 0, kT0, kT0, 1000);
  s.Push(3, 0, kT0, kT0, 1000);
  EXPECT_EQ(s.Pop(kT0), 1u);
  EXPECT_TRUE(s.Remove(2));
  s.RunEnded(1);
  EXPECT_EQ(s.Pop(kT0), 3u);
  EXPECT_EQ(s.size(), 0u);
}

TEST(SchedulerTest, TakeAllKeepsRunOrderAcrossUsersAndRunningCounts) {
  Scheduler s(10);
  s.set_max_running_per_user(1);
  s.Push(1, 0, kT0, kT0, 1000);
  s.Push(2, 0, kT0, kT0, 1001);
  s.Push(3, 0, kT0, kT0, 1000);
  s.Push(4, 3, kT0, kT0, 1001);
  EXPECT_EQ(s.Pop(kT0), 4u);
  EXPECT_EQ(s.TakeAll(), (std::vector<std::uint64_t>{1, 2, 3}));
  EXPECT_EQ(s.running(1001), 1u);
  s.RunEnded(4);
  EXPECT_EQ(s.running(1001), 0u);
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

TEST(SchedulerTest, ARequeuedTaskGetsItsPlaceBackAheadOfLaterTasksOfItsPriority) {
  Scheduler s(10);
  for (std::uint64_t id : {1, 2, 3, 4}) s.Push(id, 0, kT0, kT0, 7);
  EXPECT_EQ(s.Pop(kT0), 1u);
  EXPECT_EQ(s.Pop(kT0), 2u);
  s.Push(5, 0, kT0, kT0, 8);  // another user's, pushed after 1 and 2
  s.Push(6, 9, kT0, kT0, 7);  // higher priority: still first
  // 2 and then 1 come back (their worker died before they started).
  s.Requeue(2, 0, kT0, 7);
  s.Requeue(1, 0, kT0, 7);
  EXPECT_EQ(s.running(7), 0u);
  EXPECT_EQ(s.size(), 6u);
  std::vector<std::uint64_t> order;
  while (auto id = s.Pop(kT0)) order.push_back(*id);
  EXPECT_EQ(order, (std::vector<std::uint64_t>{6, 1, 2, 3, 4, 5}));
}

TEST(SchedulerTest, RequeueOfATaskThatIsNotRunningPushesItAtTheBack) {
  Scheduler s(10);
  s.Push(1, 0, kT0, kT0);
  s.Requeue(2, 0, kT0);
  s.Requeue(1, 0, kT0);  // queued already: no effect
  EXPECT_EQ(s.size(), 2u);
  EXPECT_EQ(s.Pop(kT0), 1u);
  EXPECT_EQ(s.Pop(kT0), 2u);
  EXPECT_EQ(s.Pop(kT0), std::nullopt);
}

}  // namespace tq::daemon
