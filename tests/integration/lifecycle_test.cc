// tqd's life: start-up failures, single instance per endpoint, and a
// SIGTERM that drains and leaves nothing behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <variant>

#include "testing/run_command.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"
#include "tq/proto/codec.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::BinPath;
using testing::ProcessAlive;
using testing::RawConnection;
using testing::RunCommand;
using testing::TqdProcess;

bool FileExists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// How a task ended, as its RESULT said.
struct Final {
  std::string state;
  std::string error_message;
};

TEST(LifecycleTest, SigtermLeavesNoWorkerAndNoSocketFile) {
  TqdProcess tqd({.workers = 3});
  const std::vector<pid_t> workers = tqd.WorkerPids();
  ASSERT_EQ(workers.size(), 3u);
  ASSERT_TRUE(FileExists(tqd.socket_path()));
  const base::ExitStatus exit = tqd.Terminate();
  EXPECT_FALSE(exit.signaled);
  EXPECT_EQ(exit.code, 0) << tqd.Log();
  for (pid_t w : workers) EXPECT_FALSE(ProcessAlive(w)) << "worker " << w;
  EXPECT_FALSE(FileExists(tqd.socket_path()));
  EXPECT_FALSE(FileExists(tqd.socket_path() + ".lock"));
}

TEST(LifecycleTest, ASecondTqdOnTheSameEndpointRefusesToStart) {
  TqdProcess first;
  const auto second = RunCommand({BinPath("tqd"), "--endpoint", first.endpoint(),
                                  "--workers", "1"});
  EXPECT_EQ(second.code(), 1);
  EXPECT_NE(second.err.find("already serving"), std::string::npos) << second.err;
  EXPECT_NE(second.err.find(std::to_string(first.pid())), std::string::npos) << second.err;
  RawConnection c(first.endpoint());
  EXPECT_TRUE(c.Ping());
}

TEST(LifecycleTest, ABadPluginStopsStartUpWithTheReason) {
  testing::TempDir dir;
  const std::string bogus = dir.File("bogus.so");
  ASSERT_EQ(RunCommand({"/bin/sh", "-c", "echo not-elf > " + bogus}).code(), 0);
  const auto r = RunCommand({BinPath("tqd"), "--endpoint", "ipc://" + dir.File("s.sock"),
                             "--state-dir", dir.File("state"), "--workers", "2", "--plugin",
                             bogus});
  EXPECT_EQ(r.code(), 1);
  EXPECT_NE(r.err.find("cannot load plugin"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("cannot start"), std::string::npos) << r.err;
  EXPECT_FALSE(FileExists(dir.File("s.sock")));
}

TEST(LifecycleTest, BadFlagsAreRefused) {
  EXPECT_NE(RunCommand({BinPath("tqd"), "--workers", "0"}).code(), 0);
  const auto r = RunCommand({BinPath("tqd"), "--endpoint", "udp://x", "--workers", "1"});
  EXPECT_EQ(r.code(), 1);
  EXPECT_NE(r.err.find("must start with ipc:// or tcp://"), std::string::npos) << r.err;
}

class DrainTest : public ::testing::Test {
 protected:
  void Submit(std::uint64_t req, std::string_view fn, std::string_view args) {
    proto::Buffer b;
    proto::Encode(proto::SubmitRequest{req, fn, args}, b);
    conn_.Send(b.view());
  }
  // Reads replies until `count` results have arrived, by request id.
  std::map<std::uint64_t, Final> Results(std::size_t count) {
    std::map<std::uint64_t, Final> out;
    proto::Decoder decoder;
    while (out.size() < count) {
      auto reply = conn_.Recv(30s);
      if (!reply) break;
      auto m = decoder.DecodeDaemon(*reply);
      if (!m.ok()) continue;
      if (auto* r = std::get_if<proto::TaskResult>(&*m)) {
        out[r->request_id] = {std::string(proto::TaskStateName(r->state)),
                              std::string(r->error.message)};
      }
    }
    return out;
  }

  // Not durable: durable queued tasks stay queued for the next start
  // (durable_test.cc).
  TqdProcess tqd_{{.workers = 1, .extra_args = {"--shutdown-grace", "30", "--no-durable"}}};
  RawConnection conn_{tqd_.endpoint()};
};

TEST_F(DrainTest, SigtermLetsTheRunningTaskFinishAndCancelsTheQueued) {
  Submit(1, "sleep", "\x91\xcd\x01\x2c");  // 300 ms: runs
  ASSERT_TRUE(conn_.Recv());               // accepted, and dispatched
  Submit(2, "echo", "\x91\x02");           // waits behind it
  Submit(3, "echo", "\x91\x03");
  ASSERT_TRUE(conn_.Recv());
  ASSERT_TRUE(conn_.Recv());
  tqd_.Kill(SIGTERM);
  auto results = Results(3);
  EXPECT_EQ(results[1].state, "done");
  EXPECT_EQ(results[2].state, "cancelled");
  EXPECT_EQ(results[2].error_message, "daemon shutting down");
  EXPECT_EQ(results[3].state, "cancelled");
  EXPECT_TRUE(testing::WaitFor([&] { return tqd_.Exited(); }, 30s));
}

TEST(DrainGraceTest, TasksStillRunningAfterTheGraceAreCancelled) {
  TqdProcess tqd({.workers = 1, .extra_args = {"--shutdown-grace", "0.2"}});
  RawConnection conn(tqd.endpoint());
  proto::Buffer b;
  proto::Encode(proto::SubmitRequest{1, "sleep", "\x91\xcd\xea\x60"}, b);  // 60 s
  conn.Send(b.view());
  ASSERT_TRUE(conn.Recv());
  const pid_t worker = tqd.WorkerPids().at(0);
  tqd.Kill(SIGTERM);
  proto::Decoder decoder;
  auto reply = conn.Recv(30s);
  ASSERT_TRUE(reply);
  auto m = decoder.DecodeDaemon(*reply);
  ASSERT_TRUE(m.ok());
  const auto& r = std::get<proto::TaskResult>(*m);
  EXPECT_EQ(r.state, proto::TaskState::kCancelled);
  EXPECT_NE(std::string(r.error.message).find("daemon shutting down"), std::string::npos);
  EXPECT_TRUE(testing::WaitFor([&] { return tqd.Exited(); }, 30s));
  EXPECT_FALSE(ProcessAlive(worker));
}

}  // namespace
}  // namespace tq
