// ChunkSizer, the sizing of auto-chunked maps: pure logic, fed made-up
// times, no clock read and no tqd.
#include "tq/chunk_sizer.h"

#include <gtest/gtest.h>

#include <chrono>

namespace tq::detail {
namespace {

using namespace std::chrono_literals;
using TimePoint = ChunkSizer::TimePoint;

constexpr std::size_t kMany = 1'000'000;  // remaining inputs, far from the tail
const TimePoint kStart{};

// Reports `reports` chunks of `count` inputs, all submitted at kStart,
// one finishing every `every`.
void ReportEvery(ChunkSizer& sizer, std::size_t count, std::chrono::nanoseconds every,
                 int reports) {
  for (int i = 1; i <= reports; ++i) sizer.Finished(count, kStart, kStart + i * every);
}

TEST(ChunkSizerTest, SendsOneInputPerChunkAndFewTasksUntilAChunkIsMeasured) {
  ChunkSizer sizer(65536);
  EXPECT_EQ(sizer.Next(kMany), 1u);
  EXPECT_EQ(sizer.MaxTasksInFlight(), 2u);
  EXPECT_EQ(sizer.per_item(), 0ns);
}

TEST(ChunkSizerTest, TheFirstChunkIsTimedByItsRoundTripAndTheNextGrowsAtMostFourfold) {
  ChunkSizer sizer(65536);
  sizer.SetWorkers(2);
  sizer.Finished(1, kStart, kStart + 100us);
  EXPECT_EQ(sizer.per_item(), 100us);
  EXPECT_EQ(sizer.Next(kMany), 4u);         // 30 would be 3 ms of work
  EXPECT_EQ(sizer.MaxTasksInFlight(), 8u);  // 4 per worker
}

TEST(ChunkSizerTest, SizesAChunkToAboutThreeMillisecondsAtThePoolsPaceNotItsRoundTrip) {
  // Two workers, each taking 2 ms for a chunk of 10: a report every 1 ms.
  ChunkSizer two(65536);
  two.SetWorkers(2);
  ReportEvery(two, 10, 1ms, 8);
  EXPECT_EQ(two.per_item(), 200us);
  EXPECT_EQ(two.Next(kMany), 15u);

  // Ten chunks of 10 inputs submitted at once to one worker, each taking
  // 1 ms: the last waited 9 ms before it ran, which is not its work.
  ChunkSizer one(65536);
  one.SetWorkers(1);
  ReportEvery(one, 10, 1ms, 10);
  EXPECT_EQ(one.per_item(), 100us);
  EXPECT_EQ(one.Next(kMany), 30u);
}

TEST(ChunkSizerTest, InputsSlowerThanTheTargetGoOneToAChunk) {
  ChunkSizer sizer(65536);
  sizer.Finished(1, kStart, kStart + 5ms);
  EXPECT_EQ(sizer.Next(kMany), 1u);
}

TEST(ChunkSizerTest, FastInputsGrowToTheLargestChunkOnceTheFixedCostIsSpread) {
  ChunkSizer sizer(65536);
  // The first chunk's time is mostly the round trip, not the input.
  sizer.Finished(1, kStart, kStart + 100us);
  std::size_t size = sizer.Next(kMany);
  TimePoint t = kStart + 100us;
  for (int round = 0; round < 20; ++round) {
    // Each chunk: 50 µs of fixed cost and 0.2 µs per input.
    const auto run = 50us + std::chrono::nanoseconds(200 * size);
    sizer.Finished(size, t, t + run);
    t += run;
    size = sizer.Next(kMany);
  }
  EXPECT_EQ(size, ChunkSizer::kMaxChunk);
}

TEST(ChunkSizerTest, TheLastChunksShrinkSoThatWorkersFinishTogether) {
  ChunkSizer sizer(65536);
  sizer.SetWorkers(2);
  sizer.Finished(8192, kStart, kStart + 10us);  // very fast inputs
  EXPECT_EQ(sizer.Next(kMany), ChunkSizer::kMaxChunk);
  EXPECT_EQ(sizer.Next(4000), 1000u);  // remaining / (2 x workers)
  EXPECT_EQ(sizer.Next(10), 3u);       // rounded up
  EXPECT_EQ(sizer.Next(3), 1u);
  EXPECT_EQ(sizer.Next(1), 1u);
}

TEST(ChunkSizerTest, AChunkLeavesRoomForEightInTheWindow) {
  ChunkSizer sizer(800);
  sizer.Finished(1000, kStart, kStart + 10us);
  EXPECT_EQ(sizer.Next(kMany), 100u);
  ChunkSizer tiny(3);
  tiny.Finished(1000, kStart, kStart + 10us);
  EXPECT_EQ(tiny.Next(kMany), 1u);
}

TEST(ChunkSizerTest, InputsThatTurnSlowShrinkTheChunksWithinAFewReports) {
  ChunkSizer sizer(65536);
  sizer.Finished(8192, kStart, kStart + 100us);  // 0.01 µs per input
  ASSERT_EQ(sizer.Next(kMany), ChunkSizer::kMaxChunk);
  TimePoint t = kStart + 100us;
  for (int i = 0; i < 3; ++i) {
    sizer.Finished(1000, t, t + 1s);  // now 1 ms per input
    t += 1s;
  }
  EXPECT_EQ(sizer.Next(kMany), 3u);
}

}  // namespace
}  // namespace tq::detail
