// The CLI's tables and units: how tq stats, status, workers and top print.
#include "table.h"

#include <gtest/gtest.h>

namespace tq::cli {
namespace {

using namespace std::chrono_literals;

TEST(TableTest, LeftAlignsEveryColumnByDefault) {
  EXPECT_EQ(TableLines({{"SLOT", "PID"}, {"0", "4121"}, {"10", "7"}}),
            (std::vector<std::string>{"SLOT  PID", "0     4121", "10    7"}));
}

TEST(TableTest, RightAlignsFiguresAfterTheFirstColumn) {
  EXPECT_EQ(TableLines({{"TASKS", "SINCE START", "LAST 1m04s"}, {"done", "1190", "58"},
                        {"échø", "3", "0"}},
                       Align::kNumbersRight),
            (std::vector<std::string>{"TASKS  SINCE START  LAST 1m04s",
                                      "done          1190          58",
                                      "échø             3           0"}));
}

TEST(TableTest, WritesDurationsWithThreeSignificantDigits) {
  EXPECT_EQ(FormatMicros(85us), "85us");
  EXPECT_EQ(FormatMicros(1234us), "1.23ms");
  EXPECT_EQ(FormatMicros(12345us), "12.3ms");
  EXPECT_EQ(FormatMicros(123456us), "123ms");
  EXPECT_EQ(FormatMicros(1204000us), "1.20s");
  EXPECT_EQ(FormatMicros(123s), "2m03s");
  EXPECT_EQ(FormatMicros(5ms, 0), "-");  // no samples
}

TEST(TableTest, WritesAgesAndRates) {
  EXPECT_EQ(FormatAge(42s), "42s");
  EXPECT_EQ(FormatAge(185s), "3m05s");
  EXPECT_EQ(FormatAge(7620s), "2h07m");
  EXPECT_EQ(FormatAge(273600s), "3d04h");
  EXPECT_EQ(FormatRate(60, 64000ms), "0.94");
  EXPECT_EQ(FormatRate(5, 0ms), "-");
}

}  // namespace
}  // namespace tq::cli
