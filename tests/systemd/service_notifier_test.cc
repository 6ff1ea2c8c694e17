// ServiceNotifier against a real datagram socket, with a fake clock: what
// goes out when, the rate limit on STATUS=, the watchdog's cadence, and the
// environment it takes. (notify_test.cc drives a real tqd.)
#include "service_notifier.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "notify_listener.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace tq::daemon {
namespace {

using namespace std::chrono_literals;
using testing::FakeClock;
using testing::NotifyListener;

ServiceCounts Serving(std::size_t busy, std::size_t queued) {
  return {ServiceCounts::Phase::kServing, 4, 4, busy, queued};
}

// A listener in a temp dir and the environment that names it.
class ServiceNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("NOTIFY_SOCKET", listener_.path().c_str(), 1);
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
  }
  void TearDown() override { ::unsetenv("NOTIFY_SOCKET"); }

  // What arrived since the last call.
  std::vector<std::string> Received() {
    listener_.Drain();
    std::vector<std::string> fresh(listener_.messages().begin() + taken_,
                                   listener_.messages().end());
    taken_ = listener_.messages().size();
    return fresh;
  }

  testing::TempDir dir_;
  NotifyListener listener_{dir_.File("notify")};
  std::size_t taken_ = 0;
  FakeClock clock_;
};

TEST(ServiceStatusTextTest, SaysWorkersBusyIdleAndQueued) {
  EXPECT_EQ(ServiceStatusText(Serving(1, 12)),
            "4 workers (1 busy, 3 idle), 12 tasks queued");
  EXPECT_EQ(ServiceStatusText({ServiceCounts::Phase::kServing, 1, 1, 0, 1}),
            "1 worker (0 busy, 1 idle), 1 task queued");
  EXPECT_EQ(ServiceStatusText({ServiceCounts::Phase::kStarting, 4, 3, 0, 0}),
            "starting 4 workers (3 ready)");
  EXPECT_EQ(ServiceStatusText({ServiceCounts::Phase::kStopping, 4, 4, 2, 0}),
            "stopping: 2 tasks still running");
}

TEST_F(ServiceNotifierTest, IsInertWithoutNotifySocket) {
  ::unsetenv("NOTIFY_SOCKET");
  ::setenv("WATCHDOG_USEC", "1000000", 1);
  ServiceNotifier n = ServiceNotifier::FromEnvironment(clock_);
  EXPECT_FALSE(n.enabled());
  n.Ready(Serving(0, 0));
  n.Tick(Serving(0, 0));
  EXPECT_FALSE(n.NextDeadline());
  EXPECT_TRUE(Received().empty());
}

TEST_F(ServiceNotifierTest, TakesItsVariablesOutOfTheEnvironment) {
  ::setenv("WATCHDOG_USEC", "1000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  ServiceNotifier n = ServiceNotifier::FromEnvironment(clock_);
  EXPECT_TRUE(n.enabled());
  EXPECT_EQ(std::getenv("NOTIFY_SOCKET"), nullptr);
  EXPECT_EQ(std::getenv("WATCHDOG_USEC"), nullptr);
  EXPECT_EQ(std::getenv("WATCHDOG_PID"), nullptr);
}

TEST_F(ServiceNotifierTest, SendsReadyWithTheStatusInOneMessage) {
  ServiceNotifier n = ServiceNotifier::FromEnvironment(clock_);
  n.Ready(Serving(0, 0));
  EXPECT_EQ(Received(),
            std::vector<std::string>{
                "READY=1\nSTATUS=4 workers (0 busy, 4 idle), 0 tasks queued"});
}

TEST_F(ServiceNotifierTest, ReachesASocketInTheAbstractNamespace) {
  NotifyListener abstract("@tq-notify-test-" + std::to_string(::getpid()));
  ::setenv("NOTIFY_SOCKET", abstract.path().c_str(), 1);
  ServiceNotifier n = ServiceNotifier::FromEnvironment(clock_);
  n.Stopping({ServiceCounts::Phase::kStopping, 4, 4, 1, 0});
  ASSERT_TRUE(abstract.WaitForLine("STOPPING=1", 5s)) << abstract.Dump();
  EXPECT_EQ(testing::Field(abstract.messages()[0], "STATUS"),
            "stopping: 1 task still running");
}

TEST_F(ServiceNotifierTest, PingsTheWatchdogEveryHalfWatchdogUsec) {
  ::setenv("WATCHDOG_USEC", "2000000", 1);
  ServiceNotifier n = ServiceNotifier::FromEnvironment(clock_);
  ASSERT_TRUE(n.watchdog_interval());
  EXPECT_EQ(*n.watchdog_interval(), 1s);
  n.Ready(Serving(0, 0));
  Received();
  n.Tick(Serving(0, 0));
  EXPECT_EQ(Received(), std::vector<std::string>{"WATCHDOG=1"});
  EXPECT_EQ(n.NextDeadline(), clock_.Now() + 1s);
  clock_.Advance(999ms);
  n.Tick(Serving(0, 0));
  EXPECT_TRUE(Received().empty());
  clock_.Advance(1ms);
  n.Tick(Serving(0, 0));
  EXPECT_EQ(Received(), std::vector<std::string>{"WATCHDOG=1"});
}

TEST_F(ServiceNotifierTest, IgnoresAWatchdogMeantForAnotherProcess) {
  ::setenv("WATCHDOG_USEC", "2000000", 1);
  ::setenv("WATCHDOG_PID", "1", 1);
  ServiceNotifier n = ServiceNotifier::FromEnvironment(clock_);
  EXPECT_TRUE(n.enabled());
  EXPECT_FALSE(n.watchdog_interval());
  EXPECT_EQ(std::getenv("WATCHDOG_USEC"), nullptr)
      << "a worker would inherit it";
}

TEST_F(ServiceNotifierTest, SendsAChangedStatusAtMostOncePerSecond) {
  ServiceNotifier n = ServiceNotifier::FromEnvironment(clock_);
  n.Ready(Serving(0, 0));
  Received();
  n.Tick(Serving(0, 0));
  EXPECT_TRUE(Received().empty()) << "nothing changed";
  EXPECT_FALSE(n.NextDeadline());

  clock_.Advance(100ms);
  n.Tick(Serving(1, 0));
  n.Tick(Serving(2, 5));
  EXPECT_TRUE(Received().empty()) << "within a second of the last status";
  EXPECT_EQ(n.NextDeadline(), clock_.Now() + 900ms);
  clock_.Advance(900ms);
  n.Tick(Serving(2, 5));
  EXPECT_EQ(Received(),
            std::vector<std::string>{
                "STATUS=4 workers (2 busy, 2 idle), 5 tasks queued"});
  EXPECT_FALSE(n.NextDeadline());
}

TEST_F(ServiceNotifierTest, ForgetsAPendingStatusThatChangedBack) {
  ServiceNotifier n = ServiceNotifier::FromEnvironment(clock_);
  n.Ready(Serving(0, 0));
  Received();
  n.Tick(Serving(1, 0));
  n.Tick(Serving(0, 0));
  EXPECT_FALSE(n.NextDeadline());
  clock_.Advance(2s);
  n.Tick(Serving(0, 0));
  EXPECT_TRUE(Received().empty());
}

TEST_F(ServiceNotifierTest, FramesAReloadWithReloadingAndReady) {
  ServiceNotifier n = ServiceNotifier::FromEnvironment(clock_);
  n.Reloading();  // before READY=1: start-up, not a reload
  n.Reloaded(Serving(0, 0));
  EXPECT_TRUE(Received().empty());

  n.Ready(Serving(0, 0));
  Received();
  n.Reloading();
  n.Reloaded(Serving(0, 0));
  const std::vector<std::string> got = Received();
  ASSERT_EQ(got.size(), 2u) << listener_.Dump();
  EXPECT_TRUE(testing::HasLine(got[0], "RELOADING=1")) << got[0];
  EXPECT_FALSE(testing::Field(got[0], "MONOTONIC_USEC").empty()) << got[0];
  EXPECT_TRUE(testing::HasLine(got[1], "READY=1")) << got[1];
}

TEST_F(ServiceNotifierTest, KeepsGoingWhenNobodyListens) {
  ServiceNotifier n;
  {
    testing::TempDir gone;
    ::setenv("NOTIFY_SOCKET", gone.File("nobody").c_str(), 1);
    n = ServiceNotifier::FromEnvironment(clock_);
  }
  n.Ready(Serving(0, 0));  // ENOENT: logged once, dropped
  n.Stopping(Serving(0, 0));
  EXPECT_TRUE(n.enabled());
}

}  // namespace
}  // namespace tq::daemon
