// RunTimeEstimates: what tqd expects a function's next run to take.
#include "run_time_estimates.h"

#include <gtest/gtest.h>

namespace tq::daemon {
namespace {

using namespace std::chrono_literals;

TEST(RunTimeEstimatesTest, AFunctionNeverSeenToFinishHasNoEstimate) {
  RunTimeEstimates e;
  EXPECT_EQ(e.Estimate("f", false), std::nullopt);
  e.Record("f", false, 40us);
  EXPECT_EQ(e.Estimate("g", false), std::nullopt);
  EXPECT_EQ(e.Estimate("f", true), std::nullopt);  // chunks apart
}

TEST(RunTimeEstimatesTest, TheFirstRunIsTheEstimateAndLaterOnesMoveItAQuarterOfTheWay) {
  RunTimeEstimates e;
  e.Record("f", false, 40us);
  EXPECT_EQ(e.Estimate("f", false), base::Duration(40us));
  e.Record("f", false, 440us);
  EXPECT_EQ(e.Estimate("f", false), base::Duration(140us));
  e.Record("f", true, 4ms);
  EXPECT_EQ(e.Estimate("f", true), base::Duration(4ms));
  EXPECT_EQ(e.Estimate("f", false), base::Duration(140us));
}

TEST(RunTimeEstimatesTest, AFunctionThatTurnsSlowLeavesTheBudgetWithinAFewRuns) {
  RunTimeEstimates e;
  e.Record("f", false, 10us);
  int runs = 0;
  while (*e.Estimate("f", false) <= 1ms) {
    e.Record("f", false, 100ms);
    ++runs;
  }
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace tq::daemon
