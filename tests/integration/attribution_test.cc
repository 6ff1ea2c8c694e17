// Who submitted each task: a real tqd records the uid and pid of the ipc://
// client that sent SUBMIT (the kernel's SO_PEERCRED, which ZeroMQ puts in
// the message's Peer-Address), shows them in status and workers, and with
// max_running_per_user holds a user's further tasks back while one of the
// pool's workers is idle. (Two real users: socket_permissions_test.cc.)
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <tq/raw_client.h>
#include <unistd.h>

#include <cstdio>

#include "testing/run_command.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::BinPath;
using testing::RunCommand;
using testing::TqdOptions;
using testing::TqdProcess;
using testing::WaitFor;

const std::string kSleepLong = "\x91\xcd\x75\x30";  // [30000]: 30 s
const std::string kEchoOne = "\x91\x01";           // [1]

// Whether the call's task is running, once tqd accepted it.
bool Running(RawClient& client, const RawResult& call) {
  return client.Status(call.wait_accepted()).state == TaskState::kRunning;
}

std::string MyName() {
  const passwd* pw = ::getpwuid(::getuid());
  return pw != nullptr ? pw->pw_name : std::to_string(::getuid());
}

TEST(AttributionTest, StatusNamesTheUidAndPidThatSubmittedTheTask) {
  TqdProcess tqd;
  RawClient client({.endpoint = tqd.endpoint()});
  RawResult r = client.Submit("echo", kEchoOne);
  r.wait();
  const TaskInfo t = client.Status(r.task_id());
  EXPECT_EQ(t.submitter_uid, static_cast<std::int64_t>(::getuid()));
  EXPECT_EQ(t.submitter_pid, static_cast<std::uint32_t>(::getpid()));

  const auto cli = RunCommand({BinPath("tq"), "--endpoint", tqd.endpoint(), "status",
                               std::to_string(r.task_id())});
  EXPECT_EQ(cli.code(), 0) << cli.err;
  EXPECT_NE(cli.out.find("  user      " + MyName() + " (pid " + std::to_string(::getpid()) +
                         ")\n"),
            std::string::npos)
      << cli.out;
  const auto json = RunCommand({BinPath("tq"), "--endpoint", tqd.endpoint(), "status",
                                "--json", std::to_string(r.task_id())});
  EXPECT_NE(json.out.find("\"submitter_pid\":" + std::to_string(::getpid())), std::string::npos)
      << json.out;
  EXPECT_NE(json.out.find("\"user\":\"" + MyName() + "\""), std::string::npos) << json.out;
}

TEST(AttributionTest, WorkersShowTheUserOfTheTaskEachRuns) {
  TqdOptions o;
  o.workers = 1;
  TqdProcess tqd(o);
  RawClient client({.endpoint = tqd.endpoint()});
  RawResult r = client.Submit("sleep", kSleepLong);
  ASSERT_TRUE(WaitFor("the task to run", [&] { return Running(client, r); }));
  const std::vector<WorkerStatus> workers = client.Workers();
  ASSERT_EQ(workers.size(), 1u);
  EXPECT_EQ(workers[0].submitter_uid, static_cast<std::int64_t>(::getuid()));
  EXPECT_EQ(workers[0].submitter_pid, static_cast<std::uint32_t>(::getpid()));
  const auto cli = RunCommand({BinPath("tq"), "--endpoint", tqd.endpoint(), "workers"});
  EXPECT_EQ(cli.code(), 0) << cli.err;
  EXPECT_NE(cli.out.find("USER"), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find(" sleep     " + MyName() + " "), std::string::npos) << cli.out;
  r.cancel();
}

TEST(AttributionTest, MaxRunningPerUserHoldsAUsersTaskBackWhileAWorkerIsIdle) {
  TqdOptions o;
  o.workers = 2;
  o.extra_args = {"--max-running-per-user", "1"};
  TqdProcess tqd(o);
  RawClient client({.endpoint = tqd.endpoint()});
  RawResult first = client.Submit("sleep", kSleepLong);
  ASSERT_TRUE(WaitFor("the first task to run", [&] { return Running(client, first); }));
  RawResult second = client.Submit("echo", kEchoOne);
  const std::uint64_t second_id = second.wait_accepted();
  ASSERT_NE(second_id, 0u);
  // tqd dispatches before it reads the next request: had the second task
  // been free to run, it would be running (or done) by this answer.
  EXPECT_EQ(client.Status(second_id).state, TaskState::kQueued);
  int idle = 0;
  for (const WorkerStatus& w : client.Workers()) idle += w.state == "idle";
  EXPECT_EQ(idle, 1) << "a worker is free, and still the task waits";
  // Once the first ends, the second runs.
  ASSERT_TRUE(first.cancel());
  second.wait();
  EXPECT_EQ(second.outcome().kind, Outcome::Kind::kValue);
}

TEST(AttributionTest, MaxRunningPerUserComesFromTheConfigFileAndReloads) {
  testing::TempDir dir;
  const std::string config = dir.File("tqd.toml");
  auto write = [&](const char* text) {
    std::FILE* f = std::fopen(config.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(text, f);
    std::fclose(f);
  };
  write("max_running_per_user = 1\n");
  TqdOptions o;
  o.workers = 2;
  o.extra_args = {"--config", config};
  TqdProcess tqd(o);
  RawClient client({.endpoint = tqd.endpoint()});
  RawResult a = client.Submit("sleep", kSleepLong);
  ASSERT_TRUE(WaitFor("the first task to run", [&] { return Running(client, a); }));
  RawResult b = client.Submit("sleep", kSleepLong);
  EXPECT_EQ(client.Status(b.wait_accepted()).state, TaskState::kQueued);
  // Lifted on reload: the held task runs beside the first.
  write("max_running_per_user = 0\n");
  tqd.Kill(SIGHUP);
  EXPECT_TRUE(WaitFor("the second task to run after the reload",
                      [&] { return Running(client, b); }))
      << tqd.Log();
}

}  // namespace
}  // namespace tq
