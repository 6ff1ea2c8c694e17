// Metrics and DurationHistogram: counts since start and over the last
// minute, percentiles within their stated precision, the bounded
// per-function table. Time is a FakeClock: nothing sleeps.
#include "metrics.h"

#include <gtest/gtest.h>

#include <random>

#include "testing/fake_clock.h"

namespace tq::daemon {
namespace {

using namespace std::chrono_literals;
using proto::RestartCause;
using proto::TaskState;

// ---- DurationHistogram

TEST(DurationHistogramTest, CountsBelowSixteenMicrosecondsExactly) {
  for (std::uint64_t us = 0; us < 16; ++us) {
    EXPECT_EQ(DurationHistogram::MidpointOf(DurationHistogram::BucketOf(us)), us);
  }
}

TEST(DurationHistogramTest, EveryBucketsMidpointIsWithinOneThirtySecondOfItsValues) {
  std::mt19937_64 random(42);
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t us = random() >> (random() % 60 + 4);  // all magnitudes
    if (us >= (std::uint64_t{1} << 36)) continue;
    const std::uint64_t mid = DurationHistogram::MidpointOf(DurationHistogram::BucketOf(us));
    const double error = std::abs(static_cast<double>(mid) - static_cast<double>(us));
    EXPECT_LE(error, static_cast<double>(us) / 32 + 0.5) << us;
  }
}

TEST(DurationHistogramTest, BucketsFollowEachOtherInOrderOfTheirValues) {
  std::size_t last = 0;
  for (std::uint64_t us = 0; us < (1u << 20); us += 7) {
    const std::size_t b = DurationHistogram::BucketOf(us);
    EXPECT_GE(b, last) << us;
    last = b;
  }
  EXPECT_EQ(DurationHistogram::BucketOf(std::uint64_t{1} << 40), DurationHistogram::kBuckets - 1);
}

TEST(DurationHistogramTest, ReportsPercentilesOfAKnownDistribution) {
  DurationHistogram h;
  for (int ms = 1; ms <= 1000; ++ms) h.Record(std::chrono::milliseconds(ms));
  const proto::DurationStats s = h.Summary();
  EXPECT_EQ(s.count, 1000u);
  EXPECT_EQ(s.sum_us, 500500u * 1000);
  EXPECT_EQ(s.max_us, 1000000u);  // exact
  EXPECT_NEAR(static_cast<double>(s.p50_us), 500000, 500000 / 32.0);
  EXPECT_NEAR(static_cast<double>(s.p90_us), 900000, 900000 / 32.0);
  EXPECT_NEAR(static_cast<double>(s.p99_us), 990000, 990000 / 32.0);
}

TEST(DurationHistogramTest, ASingleSampleIsEveryPercentile) {
  DurationHistogram h;
  h.Record(1234us);
  EXPECT_EQ(h.Quantile(0.5), 1234u);
  EXPECT_EQ(h.Quantile(0.99), 1234u);
  EXPECT_EQ(h.Summary().max_us, 1234u);
}

TEST(DurationHistogramTest, IsAllZeroWhenEmpty) {
  const proto::DurationStats s = DurationHistogram().Summary();
  EXPECT_EQ(s, proto::DurationStats{});
}

TEST(DurationHistogramTest, CountsPrometheusBoundsInclusively) {
  DurationHistogram h;
  h.Record(100us);    // le="0.0001": at the bound counts in it
  h.Record(101us);    // le="0.00025"
  h.Record(2h);       // above every bound
  h.Record(-5us);     // a clock step: counts as 0
  const auto& c = h.bound_counts();
  EXPECT_EQ(c[0], 2u);
  EXPECT_EQ(c[1], 1u);
  EXPECT_EQ(c[kBucketBoundCount], 1u);
  EXPECT_EQ(h.count(), 4u);
}

TEST(DurationHistogramTest, AddingMergesCountsSumsAndMax) {
  DurationHistogram a, b;
  a.Record(10ms);
  b.Record(30ms);
  b.Record(20ms);
  a.Add(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.sum_us(), 60000u);
  EXPECT_EQ(a.max_us(), 30000u);
  EXPECT_NEAR(static_cast<double>(a.Quantile(0.5)), 20000, 20000 / 32.0);
}

// ---- Metrics

class MetricsTest : public ::testing::Test {
 protected:
  testing::FakeClock clock_;
  Metrics metrics_{clock_};
};

TEST_F(MetricsTest, CountsSubmitsEndsAndRestartsSinceStart) {
  metrics_.TaskSubmitted("square");
  metrics_.TaskSubmitted("square");
  metrics_.TaskSubmitted("echo");
  metrics_.TaskEnded("square", TaskState::kDone);
  metrics_.TaskEnded("echo", TaskState::kFailed);
  metrics_.WorkerRestarted(RestartCause::kSignal);
  metrics_.WorkerRestarted(RestartCause::kRecycled);
  metrics_.WorkerRestarted(RestartCause::kRecycled);
  clock_.Advance(90s);
  const proto::WindowStats s = metrics_.SinceStart();
  EXPECT_EQ(s.span_ms, 90000u);
  EXPECT_EQ(s.submitted, 3u);
  EXPECT_EQ(s.ended[TaskState::kDone], 1u);
  EXPECT_EQ(s.ended[TaskState::kFailed], 1u);
  EXPECT_EQ(s.ended[TaskState::kLost], 0u);
  EXPECT_EQ(s.restarts[static_cast<std::size_t>(RestartCause::kSignal)], 1u);
  EXPECT_EQ(s.restarts[static_cast<std::size_t>(RestartCause::kRecycled)], 2u);
}

TEST_F(MetricsTest, TheLastMinuteForgetsWhatHappenedMoreThanSeventySecondsAgo) {
  metrics_.TaskSubmitted("f");  // slot 0
  metrics_.TaskStarted(5ms);
  clock_.Advance(35s);
  metrics_.TaskSubmitted("f");  // slot 3
  metrics_.TaskStarted(7ms);
  clock_.Advance(30s);          // 65 s: slots 0..6 all count
  EXPECT_EQ(metrics_.LastMinute().submitted, 2u);
  EXPECT_EQ(metrics_.LastMinute().span_ms, 65000u);
  clock_.Advance(5s);           // 70 s: slot 7 is current, slot 0 is out
  proto::WindowStats last = metrics_.LastMinute();
  EXPECT_EQ(last.submitted, 1u);
  EXPECT_EQ(last.queue_wait.count, 1u);
  EXPECT_EQ(last.queue_wait.max_us, 7000u);
  EXPECT_EQ(last.span_ms, 60000u);  // from the start of slot 1
  clock_.Advance(45s);          // 115 s: slot 3 is out too
  last = metrics_.LastMinute();
  EXPECT_EQ(last.submitted, 0u);
  EXPECT_EQ(last.queue_wait.count, 0u);
  EXPECT_EQ(last.span_ms, 65000u);  // slots 5..11
  // Since start keeps everything.
  EXPECT_EQ(metrics_.SinceStart().submitted, 2u);
  EXPECT_EQ(metrics_.SinceStart().queue_wait.count, 2u);
}

TEST_F(MetricsTest, ASlotComingRoundAgainStartsEmpty) {
  metrics_.TaskEnded("f", TaskState::kDone);  // slot 0
  clock_.Advance(70s);                        // slot 7, the same place in the ring
  metrics_.TaskEnded("f", TaskState::kLost);
  const proto::WindowStats last = metrics_.LastMinute();
  EXPECT_EQ(last.ended[TaskState::kDone], 0u);
  EXPECT_EQ(last.ended[TaskState::kLost], 1u);
}

TEST_F(MetricsTest, ALongSilenceLeavesAnEmptyMinute) {
  metrics_.WorkerRestarted(RestartCause::kExit);
  clock_.Advance(24h);
  const proto::WindowStats last = metrics_.LastMinute();
  EXPECT_EQ(last.restarts[static_cast<std::size_t>(RestartCause::kExit)], 0u);
  EXPECT_GE(last.span_ms, 60000u);
  EXPECT_LT(last.span_ms, 70000u);
}

TEST_F(MetricsTest, KeepsQueueWaitsAndRunTimesApart) {
  metrics_.TaskStarted(2ms);
  metrics_.AttemptEnded(3s);
  metrics_.AttemptEnded(1s);
  const proto::WindowStats s = metrics_.SinceStart();
  EXPECT_EQ(s.queue_wait.count, 1u);
  EXPECT_EQ(s.queue_wait.max_us, 2000u);
  EXPECT_EQ(s.run_time.count, 2u);
  EXPECT_EQ(s.run_time.max_us, 3000000u);
  EXPECT_EQ(s.run_time.sum_us, 4000000u);
  EXPECT_EQ(metrics_.run_time().count(), 2u);
}

TEST_F(MetricsTest, CountsEachFunctionByState) {
  metrics_.TaskSubmitted("b");
  metrics_.TaskSubmitted("a");
  metrics_.TaskEnded("a", TaskState::kTimedOut);
  const std::vector<proto::FunctionStats> rows = metrics_.Functions();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].fn, "a");  // by name
  EXPECT_EQ(rows[0].submitted, 1u);
  EXPECT_EQ(rows[0].ended[TaskState::kTimedOut], 1u);
  EXPECT_EQ(rows[1].fn, "b");
  EXPECT_EQ(rows[1].ended[TaskState::kTimedOut], 0u);
}

TEST(NamedCountsTest, CountsNamesBeyondItsCapTogetherUnderTheEmptyName) {
  NamedCounts counts(2);
  counts.Submitted("a");
  counts.Submitted("b");
  counts.Submitted("c");
  counts.Submitted("d");
  counts.Ended("a", TaskState::kDone);
  counts.Ended("d", TaskState::kDone);
  const std::vector<proto::FunctionStats> rows = counts.Rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].fn, "");
  EXPECT_EQ(rows[0].submitted, 2u);
  EXPECT_EQ(rows[0].ended[TaskState::kDone], 1u);
  EXPECT_EQ(rows[1].fn, "a");
  EXPECT_EQ(rows[2].fn, "b");
  // The rows tracked before the cap was reached go on counting.
  counts.Ended("b", TaskState::kFailed);
  EXPECT_EQ(counts.Rows()[2].ended[TaskState::kFailed], 1u);
}

}  // namespace
}  // namespace tq::daemon
