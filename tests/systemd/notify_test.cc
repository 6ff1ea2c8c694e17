// A real tqd told by NOTIFY_SOCKET (and WATCHDOG_USEC) that systemd runs it,
// heard through a real datagram socket: READY=1 once every worker said
// hello, STATUS= following the queue, RELOADING=1 then READY=1 around
// SIGHUP, STOPPING=1 on SIGTERM, WATCHDOG=1 from the loop, and none of
// systemd's variables left for the workers.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <sstream>

#include "notify_listener.h"
#include "testing/run_command.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::BinPath;
using testing::Field;
using testing::NotifyListener;
using testing::RawConnection;
using testing::RunCommand;
using testing::TempDir;
using testing::TqdOptions;
using testing::TqdProcess;
using testing::WaitFor;

// A tqd reporting to `listener`, not waited for (READY=1 is the subject).
TqdOptions Notifying(const NotifyListener& listener, int workers,
                     std::vector<std::string> env = {}) {
  TqdOptions o;
  o.workers = workers;
  o.wait_ready = false;
  o.extra_env = std::move(env);
  o.extra_env.push_back(listener.EnvEntry());
  return o;
}

std::string Environ(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class NotifyTest : public ::testing::Test {
 protected:
  TempDir dir_;
  NotifyListener listener_{dir_.File("notify")};
};

TEST_F(NotifyTest, SaysReadyOnlyOnceEveryWorkerSaidHelloAndItAnswers) {
  TqdProcess tqd(Notifying(listener_, 3));
  ASSERT_TRUE(listener_.WaitForLine("READY=1"))
      << listener_.Dump() << tqd.Log();
  const int ready = listener_.Find("READY=1");
  EXPECT_EQ(listener_.Count("READY=1"), 1u) << listener_.Dump();
  // The status that comes with it counts every worker as idle: all said
  // hello; and tqd reads clients already.
  EXPECT_EQ(Field(listener_.messages()[ready], "STATUS"),
            "3 workers (0 busy, 3 idle), 0 tasks queued")
      << listener_.Dump();
  RawConnection c(tqd.endpoint());
  EXPECT_TRUE(c.Ping()) << tqd.Log();
  // Before it, only start-up statuses.
  for (int i = 0; i < ready; ++i) {
    const std::string& m = listener_.messages()[i];
    EXPECT_TRUE(m == "WATCHDOG=1" ||
                Field(m, "STATUS").rfind("starting ", 0) == 0)
        << m;
  }
}

TEST_F(NotifyTest, StatusFollowsTheQueueAndTheBusyWorkers) {
  TqdProcess tqd(Notifying(listener_, 1));
  ASSERT_TRUE(listener_.WaitForLine("READY=1"))
      << listener_.Dump() << tqd.Log();
  for (int i = 0; i < 3; ++i) {
    auto r = RunCommand({BinPath("tq"), "--endpoint", tqd.endpoint(), "submit",
                         "sleep", "30000"});
    ASSERT_EQ(r.code(), 0) << r.err;
  }
  // One runs, two wait; the rate limit may hold the line back a second.
  EXPECT_TRUE(
      listener_.WaitForLine("STATUS=1 worker (1 busy, 0 idle), 2 tasks queued"))
      << listener_.Dump();
}

TEST_F(NotifyTest, SighupIsFramedByReloadingAndReady) {
  TqdProcess tqd(Notifying(listener_, 2));
  ASSERT_TRUE(listener_.WaitForLine("READY=1"))
      << listener_.Dump() << tqd.Log();
  const std::size_t before = listener_.messages().size();
  tqd.Kill(SIGHUP);
  ASSERT_TRUE(
      WaitFor("READY=1 after RELOADING=1",
              [&] {
                listener_.Drain();
                const int reloading = listener_.Find("RELOADING=1", before);
                return reloading >= 0 &&
                       listener_.Find("READY=1", reloading + 1) > reloading;
              }))
      << listener_.Dump() << tqd.Log();
  const int reloading = listener_.Find("RELOADING=1", before);
  EXPECT_FALSE(
      Field(listener_.messages()[reloading], "MONOTONIC_USEC").empty());
  EXPECT_EQ(listener_.Find("READY=1", before),
            listener_.Find("READY=1", reloading + 1))
      << "READY=1 before RELOADING=1:\n"
      << listener_.Dump();
}

TEST_F(NotifyTest, SigtermSaysStoppingWhileItDrainsARunningTask) {
  TqdProcess tqd(Notifying(listener_, 1));
  ASSERT_TRUE(listener_.WaitForLine("READY=1"))
      << listener_.Dump() << tqd.Log();
  auto r = RunCommand(
      {BinPath("tq"), "--endpoint", tqd.endpoint(), "submit", "sleep", "3000"});
  ASSERT_EQ(r.code(), 0) << r.err;
  ASSERT_TRUE(
      listener_.WaitForLine("STATUS=1 worker (1 busy, 0 idle), 0 tasks queued"))
      << listener_.Dump();
  tqd.Kill(SIGTERM);
  ASSERT_TRUE(listener_.WaitForLine("STOPPING=1"))
      << listener_.Dump() << tqd.Log();
  const int stopping = listener_.Find("STOPPING=1");
  EXPECT_EQ(Field(listener_.messages()[stopping], "STATUS"),
            "stopping: 1 task still running");
  EXPECT_TRUE(WaitFor("tqd to exit", [&] { return tqd.Exited(); }))
      << tqd.Log();
  EXPECT_EQ(listener_.Count("STOPPING=1"), 1u) << listener_.Dump();
}

TEST_F(NotifyTest, PingsTheWatchdogFromTheLoopWhileIdle) {
  // 200 ms: a ping every 100 ms, with no task and no client to wake the
  // loop. Only a lower bound: a loaded machine may delay pings, and
  // systemd minds only a gap longer than WatchdogSec.
  TqdProcess tqd(Notifying(listener_, 1, {"WATCHDOG_USEC=200000"}));
  ASSERT_TRUE(listener_.WaitForLine("READY=1"))
      << listener_.Dump() << tqd.Log();
  const std::size_t at_ready = listener_.Count("WATCHDOG=1");
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor(
      "1.5 s",
      [&] {
        listener_.Drain();
        return std::chrono::steady_clock::now() - start >= 1500ms;
      },
      5s));
  EXPECT_GE(listener_.Count("WATCHDOG=1") - at_ready, 5u) << listener_.Dump();
}

TEST_F(NotifyTest, NoWatchdogPingsForAnotherProcessesWatchdog) {
  TqdProcess tqd(
      Notifying(listener_, 1, {"WATCHDOG_USEC=200000", "WATCHDOG_PID=1"}));
  ASSERT_TRUE(listener_.WaitForLine("READY=1"))
      << listener_.Dump() << tqd.Log();
  tqd.Kill(SIGTERM);
  ASSERT_TRUE(listener_.WaitForLine("STOPPING=1"))
      << listener_.Dump() << tqd.Log();
  EXPECT_EQ(listener_.Count("WATCHDOG=1"), 0u) << listener_.Dump();
}

TEST_F(NotifyTest, WorkersAndTheirCommandsInheritNoneOfSystemdsVariables) {
  TqdProcess tqd(Notifying(listener_, 2, {"WATCHDOG_USEC=5000000"}));
  ASSERT_TRUE(listener_.WaitForLine("READY=1"))
      << listener_.Dump() << tqd.Log();
  for (pid_t w : tqd.WorkerPids()) {
    const std::string env = Environ(w);
    EXPECT_EQ(env.find("NOTIFY_SOCKET="), std::string::npos) << "worker " << w;
    EXPECT_EQ(env.find("WATCHDOG_USEC="), std::string::npos) << "worker " << w;
  }
  // An exec task's command gets the worker's environment (and none of tq's
  // unless asked).
  auto r = RunCommand({BinPath("tq"), "--endpoint", tqd.endpoint(), "submit",
                       "--wait", "--", "sh", "-c",
                       "echo ${NOTIFY_SOCKET:-none} ${WATCHDOG_USEC:-none}"});
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(r.out, "none none\n");
}

}  // namespace
}  // namespace tq
