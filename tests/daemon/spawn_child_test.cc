// The child side of a spawn: which signals the parent finds not at the
// default, and, under strace, that the child makes only the system calls
// its plan needs (issue 16): one rt_sigaction per such signal, close_range
// instead of a close per descriptor, no prlimit64.
#include "base/spawn_child.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <bit>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "testing/run_command.h"
#include "testing/temp_dir.h"
#include "testing/tqd_process.h"

namespace tq::base {
namespace {

constexpr SignalSet Bit(int signal) { return SignalSet{1} << (signal - 1); }

void OnUsr2(int) {}

TEST(SpawnChildTest, FindsTheSignalsWeIgnoreOrHandleAsSigactionSeesThem) {
  struct sigaction handle = {}, ignore = {}, old_usr2 = {}, old_hup = {};
  handle.sa_handler = OnUsr2;
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGUSR2, &handle, &old_usr2), 0);
  ASSERT_EQ(::sigaction(SIGHUP, &ignore, &old_hup), 0);
  const SignalSet from_proc = NonDefaultSignals();
  const SignalSet from_sigaction = NonDefaultSignalsBySigaction();
  ::sigaction(SIGUSR2, &old_usr2, nullptr);
  ::sigaction(SIGHUP, &old_hup, nullptr);

  EXPECT_EQ(from_proc, from_sigaction);
  EXPECT_NE(from_proc & Bit(SIGUSR2), 0u);
  EXPECT_NE(from_proc & Bit(SIGHUP), 0u);
  EXPECT_EQ(from_proc & Bit(SIGUSR1), 0u);
  // Back at the default, they are no longer listed.
  EXPECT_EQ(NonDefaultSignals() & (Bit(SIGUSR2) | Bit(SIGHUP)), 0u);
}

TEST(SpawnChildTest, TheChildResetsOnlyTheSignalsNotAtTheDefaultAndClosesByRange) {
  if (::access("/usr/bin/strace", X_OK) != 0) {
    GTEST_SKIP() << "needs /usr/bin/strace (Debian: strace)";
  }
  testing::TempDir dir;
  const std::string trace = dir.File("trace");
  const testing::CommandResult r = testing::RunCommand(
      {"/usr/bin/strace", "-f", "-qq", "-o", trace,
       testing::BinPath("tq-test-spawn-probe"), "/bin/true"});
  if (r.code() != 0 && r.err.find("ptrace") != std::string::npos) {
    GTEST_SKIP() << "strace cannot trace here: " << r.err;
  }
  ASSERT_EQ(r.code(), 0) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m,
                                std::regex("non-default signals: (\\d+)")))
      << r.out;
  const int non_default = std::stoi(m[1]);
  // SIGPIPE and SIGTERM at least (the probe sets them up like a worker).
  ASSERT_GE(non_default, 2);

  // With -f, every line starts with the pid; the probe's is the first.
  std::ifstream in(trace);
  const std::regex call("^(\\d+) +([a-z_0-9]+)\\(");
  std::string probe;
  std::map<std::string, std::map<std::string, int>> calls;  // pid -> name -> n
  std::map<std::string, std::string> close_ranges;         // pid -> the call
  std::set<std::string> execed;
  for (std::string line; std::getline(in, line);) {
    if (!std::regex_search(line, m, call)) continue;
    const std::string pid = m[1], name = m[2];
    if (probe.empty()) probe = pid;
    if (pid == probe || execed.count(pid) != 0) continue;
    if (name == "execve") {
      execed.insert(pid);
      continue;
    }
    ++calls[pid][name];
    if (name == "close_range") close_ranges[pid] = line;
  }
  ASSERT_EQ(execed.size(), 1u) << "one child, which exec'd";
  std::map<std::string, int>& child = calls[*execed.begin()];
  EXPECT_EQ(child["rt_sigaction"], non_default);
  EXPECT_EQ(child["close_range"], 1);
  EXPECT_EQ(child["prlimit64"], 0);
  // The one close before /dev/null is opened onto stdin.
  EXPECT_LE(child["close"], 1);
  // From 3 up: the descriptor the probe left open without O_CLOEXEC too.
  EXPECT_NE(close_ranges[*execed.begin()].find("close_range(3, 4294967295, 0)"),
            std::string::npos)
      << close_ranges[*execed.begin()];
}

}  // namespace
}  // namespace tq::base
