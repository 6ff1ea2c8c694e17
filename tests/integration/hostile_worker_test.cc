// Workers and plugins that break the rules, against a real tqd: each
// misdeed ends its task as a clear failed or lost result that says why, and
// the pool is whole again afterwards (the plugin is tests/workers/
// hostile_tasks.cc).
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <msgpack.hpp>

#include "testing/process_stats.h"
#include "testing/raw_task.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"
#include "tq/proto/codec.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::ArgsOf;
using testing::LibPath;
using testing::ProcessAlive;
using testing::RawConnection;
using testing::RunTask;
using testing::TaskOutcome;
using testing::TqdOptions;
using testing::TqdProcess;

constexpr int kWorkers = 2;

TqdOptions HostileTqd(std::vector<std::string> more_args = {}) {
  TqdOptions o{.workers = kWorkers,
               .extra_args = {"--plugin", LibPath("libtq_hostile_tasks.so")}};
  for (auto& a : more_args) o.extra_args.push_back(std::move(a));
  return o;
}

template <typename... T>
std::string Args(const T&... xs) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  pk.pack_array(sizeof...(xs));
  (pk.pack(xs), ...);
  return std::string(buf.data(), buf.size());
}

class HostileWorkerTest : public ::testing::Test {
 protected:
  // The pool is whole: as many workers as configured, each serving (two
  // slow tasks at once, so both must answer), and tqd holds no more
  // descriptors than before: the pipes of every worker it lost are closed.
  void ExpectPoolRecovered() {
    ASSERT_TRUE(testing::WaitFor([&] {
      return tqd_.WorkerPids().size() == static_cast<std::size_t>(kWorkers);
    })) << tqd_.Log();
    {
      RawConnection c(tqd_.endpoint());
      proto::Buffer b;
      std::vector<std::uint64_t> reqs;
      for (std::uint64_t req = 900; req < 900 + kWorkers; ++req) {
        b.clear();
        proto::Encode(proto::SubmitRequest{req, "sleep", ArgsOf(std::int64_t{50})}, b);
        c.Send(b.view());
        reqs.push_back(req);
      }
      const auto outcomes = testing::AwaitOutcomes(c, reqs);
      ASSERT_EQ(outcomes.size(), reqs.size()) << tqd_.Log();
      for (const auto& [req, o] : outcomes) EXPECT_EQ(o.state, "done") << o.error_message;
    }  // closed: only conn_ remains, as at the start
    EXPECT_TRUE(testing::WaitFor([&] {
      return testing::OpenFdCount(tqd_.pid()).value_or(SIZE_MAX) <=
             fds_at_start_.value_or(0);
    })) << testing::OpenFdCount(tqd_.pid()).value_or(0) << " fds, "
        << fds_at_start_.value_or(0) << " at start";
    EXPECT_FALSE(tqd_.Exited());
  }

  TaskOutcome Run(std::string_view fn, std::string_view args = "") {
    auto o = RunTask(conn_, ++req_, fn, args);
    if (!o) {
      ADD_FAILURE() << "no result for " << fn << "; tqd's log:\n" << tqd_.Log();
      return {};
    }
    return *o;
  }

  TqdProcess tqd_{HostileTqd()};
  RawConnection conn_{tqd_.endpoint()};
  std::uint64_t req_ = 0;
  // Counted once conn_ is connected: ExpectPoolRecovered's own connection
  // is closed again by the time it compares.
  const std::optional<std::size_t> fds_at_start_ = [this] {
    EXPECT_TRUE(conn_.Ping(1));
    return testing::OpenFdCount(tqd_.pid());
  }();
};

TEST_F(HostileWorkerTest, ANonStandardExceptionFailsTheTaskWithItsType) {
  const auto before = tqd_.WorkerPids();
  TaskOutcome o = Run("throw_int");
  EXPECT_EQ(o.state, "failed");
  EXPECT_EQ(o.error_type, "int");
  EXPECT_EQ(o.error_message, "exception of non-standard type int");
  o = Run("throw_struct");
  EXPECT_EQ(o.state, "failed");
  EXPECT_EQ(o.error_type, "hostile::NotAnException");
  EXPECT_EQ(o.error_message, "exception of non-standard type hostile::NotAnException");
  // Nothing died for it.
  EXPECT_EQ(tqd_.WorkerPids(), before);
}

TEST_F(HostileWorkerTest, GarbageOnTheResultPipeLosesTheTaskAndTheWorker) {
  const auto before = tqd_.WorkerPids();
  const TaskOutcome o = Run("write_garbage");
  EXPECT_EQ(o.state, "lost");
  EXPECT_EQ(o.error_type, "tq.WorkerLost");
  EXPECT_NE(o.error_message.find("sent a malformed frame"), std::string::npos)
      << o.error_message;
  EXPECT_NE(o.error_message.find("killed"), std::string::npos) << o.error_message;
  ExpectPoolRecovered();
  EXPECT_NE(tqd_.WorkerPids(), before);
}

TEST_F(HostileWorkerTest, AFrameOverTheLimitIsRefusedFromItsHeader) {
  const TaskOutcome o = Run("write_oversized_frame");
  EXPECT_EQ(o.state, "lost");
  EXPECT_NE(o.error_message.find("sent a frame over the size limit; killed"),
            std::string::npos)
      << o.error_message;
  ExpectPoolRecovered();
  // It never buffered the 64 MiB the header promised.
  const auto rss = testing::RssBytes(tqd_.pid());
  ASSERT_TRUE(rss);
  if (!testing::kSanitizedBuild) {
    EXPECT_LT(*rss, 48 * testing::kMiB);
  }
}

TEST_F(HostileWorkerTest, AWorkerThatClosesItsResultPipeButLivesOnIsKilled) {
  const TaskOutcome o = Run("close_result_pipe");
  EXPECT_EQ(o.state, "lost");
  EXPECT_NE(o.error_message.find("closed its result pipe"), std::string::npos)
      << o.error_message;
  ExpectPoolRecovered();
}

TEST_F(HostileWorkerTest, AWorkerThatClosesItsTaskPipeAnswersAndIsReplaced) {
  const auto before = tqd_.WorkerPids();
  const TaskOutcome o = Run("close_task_pipe");
  EXPECT_EQ(o.state, "done") << o.error_message;
  // Its next read fails and it exits; a task given to it meanwhile would be
  // lost with that reason, so recovery is checked once it is gone.
  ASSERT_TRUE(testing::WaitFor([&] {
    const auto now = tqd_.WorkerPids();
    return std::any_of(before.begin(), before.end(), [&](pid_t p) {
      return std::find(now.begin(), now.end(), p) == now.end();
    });
  })) << tqd_.Log();
  ExpectPoolRecovered();
}

TEST_F(HostileWorkerTest, AWorkerThatForksAndExitsLosesTheTaskWhileItsChildHoldsThePipes) {
  const std::string pid_file = tqd_.dir().File("child.pid");
  const TaskOutcome o = Run("fork_and_exit", Args(pid_file));
  // The child outlives the worker with both pipe ends open: tqd must not
  // wait for EOF, only for the worker itself.
  pid_t child = 0;
  ASSERT_TRUE(testing::WaitFor([&] { return bool(std::ifstream(pid_file) >> child); }));
  EXPECT_EQ(o.state, "lost");
  EXPECT_NE(o.error_message.find("exited with code 0"), std::string::npos) << o.error_message;
  EXPECT_TRUE(ProcessAlive(child));
  ExpectPoolRecovered();
  ::kill(child, SIGKILL);
}

TEST_F(HostileWorkerTest, AWorkerThatBlocksSignalsAndBreaksTheProtocolIsStillKilled) {
  const TaskOutcome o = Run("block_signals_and_write_garbage");
  EXPECT_EQ(o.state, "lost");
  EXPECT_NE(o.error_message.find("sent a malformed frame"), std::string::npos)
      << o.error_message;
  ExpectPoolRecovered();
}

TEST(HostileWorkerShutdownTest, AWorkerThatBlocksSigtermIsKilledAtShutdownAndItsTaskCancelled) {
  TqdProcess tqd(HostileTqd({"--shutdown-grace", "0"}));
  RawConnection c(tqd.endpoint());
  const std::string marker = tqd.dir().File("blocked");
  proto::Buffer b;
  proto::Encode(proto::SubmitRequest{1, "block_signals_and_hang", Args(marker)}, b);
  c.Send(b.view());
  ASSERT_TRUE(testing::WaitFor([&] { return std::ifstream(marker).good(); })) << tqd.Log();
  // SIGTERM after a grace of 0 s does nothing to it; SIGKILL 2 s later does.
  const base::ExitStatus exit = tqd.Terminate();
  EXPECT_EQ(exit.code, 0) << tqd.Log();
  auto o = testing::AwaitOutcome(c, 1, 5s);
  ASSERT_TRUE(o) << tqd.Log();
  EXPECT_EQ(o->state, "cancelled");
  EXPECT_EQ(o->error_type, "tq.Cancelled");
  EXPECT_NE(o->error_message.find("daemon shutting down"), std::string::npos) << o->error_message;
  EXPECT_NE(o->error_message.find("SIGKILL"), std::string::npos) << o->error_message;
}

}  // namespace
}  // namespace tq
