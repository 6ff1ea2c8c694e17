// ExitStatus decoding of waitpid statuses, and signal names.
#include "base/exit_status.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

namespace tq::base {
namespace {

TEST(ExitStatusTest, DecodesANormalExit) {
  const ExitStatus s = ExitStatus::FromWaitStatus(W_EXITCODE(3, 0));
  EXPECT_FALSE(s.signaled);
  EXPECT_EQ(s.code, 3);
  EXPECT_EQ(s.Describe(), "exited with code 3");
}

TEST(ExitStatusTest, DecodesADeathBySignalWithACoreDump) {
  const ExitStatus s =
      ExitStatus::FromWaitStatus(W_EXITCODE(0, SIGSEGV) | WCOREFLAG);
  EXPECT_TRUE(s.signaled);
  EXPECT_EQ(s.signal, SIGSEGV);
  EXPECT_TRUE(s.core_dumped);
  EXPECT_EQ(s.Describe(), "killed by signal 11 (SIGSEGV)");
}

TEST(ExitStatusTest, DescribesADeathBySigkill) {
  const ExitStatus s = ExitStatus::FromWaitStatus(W_EXITCODE(0, SIGKILL));
  EXPECT_FALSE(s.core_dumped);
  EXPECT_EQ(s.Describe(), "killed by signal 9 (SIGKILL)");
}

TEST(SignalNameTest, NamesKnownSignalsAndNumbersTheRest) {
  EXPECT_EQ(SignalName(SIGTERM), "SIGTERM");
  EXPECT_EQ(SignalName(SIGCHLD), "SIGCHLD");
  EXPECT_EQ(SignalName(77), "signal 77");
  EXPECT_EQ(SignalName(0), "signal 0");
  EXPECT_EQ(SignalName(-1), "signal -1");
}

}  // namespace
}  // namespace tq::base
