// Resource limits against a real tqd: --max-args-bytes and --max-result-bytes
// give clear errors, and --worker-rlimit-as / --worker-rlimit-cpu reach every
// worker (tq-worker applies them with setrlimit) and end a task that
// exceeds them with a reason, after which the pool recovers.
#include <gtest/gtest.h>

#include <fstream>
#include <msgpack.hpp>
#include <sstream>

#include "testing/process_stats.h"
#include "testing/raw_task.h"
#include "testing/run_command.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::ArgsOf;
using testing::LibPath;
using testing::RawConnection;
using testing::RunTask;
using testing::TqdOptions;
using testing::TqdProcess;

TqdOptions WithFlags(std::vector<std::string> flags, int workers = 1) {
  TqdOptions o{.workers = workers,
               .extra_args = {"--plugin", LibPath("libtq_hostile_tasks.so")}};
  for (auto& f : flags) o.extra_args.push_back(std::move(f));
  return o;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// argv of a process, space-separated.
std::string CommandLine(pid_t pid) {
  std::string s = Slurp("/proc/" + std::to_string(pid) + "/cmdline");
  for (char& c : s) {
    if (c == '\0') c = ' ';
  }
  return s;
}

// "soft hard" for one resource of /proc/PID/limits, e.g. "Max cpu time".
std::string Limit(pid_t pid, const std::string& name) {
  std::istringstream in(Slurp("/proc/" + std::to_string(pid) + "/limits"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name, 0) != 0) continue;
    std::istringstream fields(line.substr(name.size()));
    std::string soft, hard;
    fields >> soft >> hard;
    return soft + " " + hard;
  }
  return "";
}

std::string TwoArgs(std::uint64_t a, std::uint32_t b) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_array(2);
  pk.pack(a);
  pk.pack(b);
  return std::string(buf.data(), buf.size());
}

TEST(LimitsTest, ArgsOverMaxArgsBytesAreRefusedWithTheLimitInTheSentence) {
  TqdProcess tqd(WithFlags({"--max-args-bytes", "1024"}));
  RawConnection c(tqd.endpoint());
  const std::string at_limit = ArgsOf(std::string(1024 - 6, 'a'));  // 6-byte header
  ASSERT_EQ(at_limit.size(), 1024u);
  auto o = RunTask(c, 1, "echo", at_limit);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->state, "done");
  o = RunTask(c, 2, "echo", at_limit + "a");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->kind, "error");
  EXPECT_EQ(o->code, "TOO_LARGE");
  EXPECT_EQ(o->error_message, "submit: field 'args' is 1025 bytes; the limit is 1024");
}

TEST(LimitsTest, AResultOverMaxResultBytesFailsTheTaskAndSparesTheWorker) {
  TqdProcess tqd(WithFlags({"--max-result-bytes", "1000"}));
  const auto workers = tqd.WorkerPids();
  RawConnection c(tqd.endpoint());
  auto o = RunTask(c, 1, "big_result", ArgsOf(std::int64_t{990}));  // 993 bytes packed
  ASSERT_TRUE(o);
  EXPECT_EQ(o->state, "done");
  o = RunTask(c, 2, "big_result", ArgsOf(std::int64_t{2000}));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->state, "failed");
  EXPECT_EQ(o->error_type, "tq.ResultTooLarge");
  EXPECT_EQ(o->error_message, "result is 2003 bytes; the limit is 1000");
  // echo's result is its args: the result limit applies, not the args one.
  o = RunTask(c, 3, "echo", ArgsOf(std::string(2000, 'e')));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->error_type, "tq.ResultTooLarge");
  EXPECT_EQ(tqd.WorkerPids(), workers);
}

TEST(LimitsTest, AWorkerThatIgnoresMaxResultBytesIsKilledAndItsTaskLost) {
  TqdProcess tqd(WithFlags({"--max-result-bytes", "1000"}));
  RawConnection c(tqd.endpoint());
  // The first task of a fresh tqd is task 1; raw_result answers for it
  // behind the runtime's back with a value over the limit.
  auto o = RunTask(c, 1, "raw_result", TwoArgs(1, 1001));
  ASSERT_TRUE(o) << tqd.Log();
  ASSERT_EQ(o->task_id, 1u);
  EXPECT_EQ(o->state, "lost");
  EXPECT_NE(o->error_message.find("field 'value' is 1001 bytes; the limit is 1000"),
            std::string::npos)
      << o->error_message;
  o = RunTask(c, 2, "echo", ArgsOf(std::int64_t{2}));
  ASSERT_TRUE(o) << tqd.Log();
  EXPECT_EQ(o->state, "done");
}

TEST(LimitsTest, WorkersGetTheLimitFlagsOnlyWhenTheyAreSet) {
  {
    TqdProcess plain(WithFlags({}));
    const auto pids = plain.WorkerPids();
    ASSERT_EQ(pids.size(), 1u);
    const std::string argv = CommandLine(pids[0]);
    EXPECT_EQ(argv.find("--max-result-bytes"), std::string::npos) << argv;
    EXPECT_EQ(argv.find("--rlimit"), std::string::npos) << argv;
  }
  // ASan and TSan reserve terabytes of address space before main(): a
  // worker of theirs cannot live under any RLIMIT_AS, so only the CPU limit
  // is checked there.
  const std::string as = std::to_string(8ull << 30);
  std::vector<std::string> flags = {"--max-result-bytes", "4096", "--worker-rlimit-cpu", "30"};
  if (!testing::kSanitizedBuild) flags.insert(flags.end(), {"--worker-rlimit-as", as});
  TqdProcess limited(WithFlags(flags));
  const auto pids = limited.WorkerPids();
  ASSERT_EQ(pids.size(), 1u);
  const std::string argv = CommandLine(pids[0]);
  EXPECT_NE(argv.find("--max-result-bytes 4096"), std::string::npos) << argv;
  EXPECT_NE(argv.find("--rlimit-cpu 30"), std::string::npos) << argv;
  // And tq-worker applied them: soft and hard limits as /proc shows them.
  EXPECT_EQ(Limit(pids[0], "Max cpu time"), "30 31");
  if (!testing::kSanitizedBuild) {
    EXPECT_NE(argv.find("--rlimit-as " + as), std::string::npos) << argv;
    EXPECT_EQ(Limit(pids[0], "Max address space"), as + " " + as);
  }
}

TEST(LimitsTest, AnAllocationPastTheAddressSpaceLimitFailsTheTaskWithBadAlloc) {
  if (testing::kSanitizedBuild) {
    GTEST_SKIP() << "ASan/TSan reserve terabytes of address space; RLIMIT_AS cannot apply";
  }
  TqdProcess tqd(WithFlags({"--worker-rlimit-as", std::to_string(512ull << 20)}));
  const auto workers = tqd.WorkerPids();
  RawConnection c(tqd.endpoint());
  auto o = RunTask(c, 1, "allocate", ArgsOf(std::int64_t{1} << 30));
  ASSERT_TRUE(o) << tqd.Log();
  EXPECT_EQ(o->state, "failed");
  EXPECT_EQ(o->error_type, "std::bad_alloc");
  // The worker is fine and still serves.
  o = RunTask(c, 2, "allocate", ArgsOf(std::int64_t{1} << 20));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->state, "done");
  EXPECT_EQ(tqd.WorkerPids(), workers);
}

TEST(LimitsTest, AWorkerPastItsCpuLimitIsKilledWithTheReasonAndReplaced) {
  TqdProcess tqd(WithFlags({"--worker-rlimit-cpu", "1"}));
  const auto workers = tqd.WorkerPids();
  RawConnection c(tqd.endpoint());
  auto o = RunTask(c, 1, "spin", ArgsOf(std::int64_t{60000}));
  ASSERT_TRUE(o) << tqd.Log();
  EXPECT_EQ(o->state, "lost");
  EXPECT_EQ(o->error_type, "tq.WorkerLost");
  EXPECT_NE(o->error_message.find("SIGXCPU): CPU time limit exceeded"), std::string::npos)
      << o->error_message;
  ASSERT_TRUE(testing::WaitFor([&] {
    const auto now = tqd.WorkerPids();
    return now.size() == 1 && now != workers;
  })) << tqd.Log();
  o = RunTask(c, 2, "echo", ArgsOf(std::int64_t{2}));
  ASSERT_TRUE(o);
  EXPECT_EQ(o->state, "done");
}

TEST(LimitsTest, LimitFlagsOutOfRangeAreRefused) {
  testing::TempDir dir;
  const std::string endpoint = "ipc://" + dir.File("s.sock");
  for (const std::vector<std::string>& flags :
       {std::vector<std::string>{"--max-args-bytes", "0"},
        std::vector<std::string>{"--max-args-bytes", "50331649"},
        std::vector<std::string>{"--max-result-bytes", "0"},
        std::vector<std::string>{"--max-result-bytes", "60000000"}}) {
    std::vector<std::string> argv = {testing::BinPath("tqd"), "--endpoint", endpoint};
    argv.insert(argv.end(), flags.begin(), flags.end());
    const auto r = testing::RunCommand(argv);
    EXPECT_NE(r.code(), 0) << flags[0] << " " << flags[1];
    EXPECT_NE(r.err.find(flags[0]), std::string::npos) << r.err;
  }
  // Refused while the flags are parsed, like the ones above.
  const auto r = testing::RunCommand({testing::BinPath("tqd"), "--endpoint", endpoint,
                                      "--worker-rlimit-as", "1000"});
  EXPECT_NE(r.code(), 0);
  EXPECT_NE(r.err.find("--worker-rlimit-as: must be 0 (none) or at least 32MiB, got '1000'"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace tq
