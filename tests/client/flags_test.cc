// The checks behind tq's flags: what they accept, and the sentence that
// says what a valid value would be.
#include "flags.h"

#include <gtest/gtest.h>

namespace tq::cli {
namespace {

TEST(FlagsTest, SecondsAreFiniteNonNegativeAndAtMostAYear) {
  for (const char* ok : {"0", "0.5", "2", "1e3", "31536000"}) EXPECT_EQ(CheckSeconds(ok, false), "") << ok;
  EXPECT_EQ(CheckSeconds("abc", false), "'abc' is not a number of seconds >= 0");
  for (const char* bad : {"", "-1", "nan", "inf", "1e400", "2s", " 1"}) {
    EXPECT_NE(CheckSeconds(bad, false), "") << bad;
  }
  EXPECT_EQ(CheckSeconds("0", true), "'0' is not a number of seconds > 0");
  EXPECT_NE(CheckSeconds("1e12", false).find("is more than a year"), std::string::npos);
}

TEST(FlagsTest, IntegersAreWholeAndInRange) {
  EXPECT_EQ(CheckInteger("-1000", -1000, 1000), "");
  EXPECT_EQ(CheckInteger("7", 0, 100), "");
  EXPECT_EQ(CheckInteger("1001", -1000, 1000), "'1001' is not a whole number from -1000 to 1000");
  for (const char* bad : {"", "1.5", "1e3", "x", "99999999999999999999", "+"}) {
    EXPECT_NE(CheckInteger(bad, 0, 100), "") << bad;
  }
}

TEST(FlagsTest, TaskIdsArePositiveDecimal64BitNumbers) {
  std::string error;
  EXPECT_EQ(ParseTaskId("42", &error), 42u);
  EXPECT_EQ(ParseTaskId("18446744073709551615", &error), 18446744073709551615u);
  for (const char* bad : {"-1", "0", "+1", "1.0", "0x10", "18446744073709551616", ""}) {
    EXPECT_FALSE(ParseTaskId(bad, &error)) << bad;
    EXPECT_EQ(error, std::string("task id '") + bad +
                         "' is not a whole number from 1 to 18446744073709551615");
  }
}

TEST(FlagsTest, ExecEnvironmentCopiesNamedVariablesOrAllOfThem) {
  char a[] = "COLOUR=teal", b[] = "SHAPE=cube", c[] = "EMPTY=";
  char* env[] = {a, b, c, nullptr};
  using Env = std::vector<std::pair<std::string, std::string>>;
  std::string error;
  EXPECT_EQ(ExecEnvironment({}, false, env, &error), Env{});
  EXPECT_EQ(ExecEnvironment({"COLOUR", "EMPTY"}, false, env, &error),
            (Env{{"COLOUR", "teal"}, {"EMPTY", ""}}));
  EXPECT_EQ(ExecEnvironment({"SHAPE=cone"}, true, env, &error),
            (Env{{"COLOUR", "teal"}, {"EMPTY", ""}, {"SHAPE", "cone"}}));
  EXPECT_EQ(ExecEnvironment({"X=a=b"}, false, env, &error), (Env{{"X", "a=b"}}));
  EXPECT_FALSE(ExecEnvironment({"COLOURS"}, false, env, &error));
  EXPECT_NE(error.find("COLOURS is not set here"), std::string::npos) << error;
  EXPECT_FALSE(ExecEnvironment({"=x"}, false, env, &error));
}

TEST(FlagsTest, DirectoriesAreMadeAbsoluteAgainstTheCallers) {
  EXPECT_EQ(AbsoluteDir("sub", "/home/me"), "/home/me/sub");
  EXPECT_EQ(AbsoluteDir("../x/./y", "/home/me"), "/home/x/y");
  EXPECT_EQ(AbsoluteDir("/abs", "/home/me"), "/abs");
}

}  // namespace
}  // namespace tq::cli
