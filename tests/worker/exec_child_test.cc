// ExecChild with real commands: it alone owns the command's pid, and the
// stop registry (KillRunningCommand, what the worker's SIGTERM handler
// calls) reaches its whole group exactly while it is registered.
#include "worker/exec_child.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>
#include <utility>

#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq::worker {
namespace {

using testing::ProcessAlive;
using testing::WaitFor;

// A shell in its own group with a grandchild that would outlive it; the
// grandchild's pid comes back through `report`.
base::SpawnOptions WithGrandchild(const base::Pipe& report) {
  base::SpawnOptions o;
  o.argv = {"/bin/sh", "-c", "sleep 60 3>&- & echo $! >&3; exec 3>&-; wait"};
  o.fd_map = {{3, report.write.get()}};
  return o;
}

pid_t ReadPid(base::Pipe& report) {
  report.write.Close();
  char buf[32] = {};
  const ssize_t n = ::read(report.read.get(), buf, sizeof buf - 1);
  return n > 0 ? static_cast<pid_t>(std::atoi(buf)) : -1;
}

base::Pipe MakePipe() {
  auto p = base::Pipe::Create();
  EXPECT_TRUE(p.ok());
  return p.ok() ? std::move(*p) : base::Pipe{};
}

class ExecChildTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (grandchild_ > 0 && ProcessAlive(grandchild_))
      ::kill(grandchild_, SIGKILL);
  }
  // Starts WithGrandchild and records the grandchild for clean-up.
  base::Result<ExecChild> StartWithGrandchild() {
    base::Pipe report = MakePipe();
    base::Result<ExecChild> child = ExecChild::Start(WithGrandchild(report));
    if (child.ok()) grandchild_ = ReadPid(report);
    return child;
  }
  pid_t grandchild_ = -1;
};

TEST_F(ExecChildTest, TheStopRegistryKillsTheWholeGroupOfTheRunningCommand) {
  auto child = StartWithGrandchild();
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  ASSERT_GT(grandchild_, 0);
  EXPECT_EQ(::getpgid(child->pid()), child->pid());  // its own group
  KillRunningCommand();
  const base::Subprocess& ended = child->Reap();
  EXPECT_EQ(ended.exit_status()->signal, SIGKILL);
  EXPECT_TRUE(WaitFor([&] { return !ProcessAlive(grandchild_); }))
      << "grandchild " << grandchild_ << " outlived its group";
}

TEST_F(ExecChildTest, AReapedCommandIsNoLongerRegistered) {
  base::SpawnOptions o;
  o.argv = {"/bin/true"};
  {
    auto first = ExecChild::Start(o);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    EXPECT_EQ(first->Reap().exit_status()->code, 0);
    // Its id may be reused from now on: the registry must not hold it.
    KillRunningCommand();
  }
  // A second command may register: the first left the registry empty.
  auto second = ExecChild::Start(o);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->Reap().exit_status()->code, 0);
}

TEST_F(ExecChildTest, DestroyingAnUnreapedCommandKillsItsGroupAndReapsIt) {
  pid_t pid = -1;
  {
    auto child = StartWithGrandchild();
    ASSERT_TRUE(child.ok()) << child.status().ToString();
    pid = child->pid();
  }
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);  // reaped already
  EXPECT_EQ(errno, ECHILD);
  EXPECT_TRUE(WaitFor([&] { return !ProcessAlive(grandchild_); }))
      << "grandchild " << grandchild_ << " outlived its command's owner";
  // And unregistered: another command may start.
  base::SpawnOptions o;
  o.argv = {"/bin/true"};
  auto next = ExecChild::Start(o);
  EXPECT_TRUE(next.ok()) << next.status().ToString();
}

TEST_F(ExecChildTest, AMovedCommandStaysRegisteredWithItsNewOwner) {
  auto child = StartWithGrandchild();
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  ExecChild owner = std::move(*child);
  KillRunningCommand();
  EXPECT_EQ(owner.Reap().exit_status()->signal, SIGKILL);
}

TEST_F(ExecChildTest, AFailedStartRegistersNothing) {
  base::SpawnOptions o;
  o.argv = {"missing"};
  o.program = "/nonexistent/missing";
  o.error_prefix = "cannot run 'missing'";
  auto failed = ExecChild::Start(o);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().message(),
            "cannot run 'missing': No such file or directory");
  o.program = "/bin/true";
  auto next = ExecChild::Start(o);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->Reap().exit_status()->code, 0);
}

TEST_F(ExecChildTest, StartsInItsOwnGroupWhateverTheOptionsSay) {
  base::SpawnOptions o;
  o.argv = {"/bin/sleep", "60"};
  o.new_process_group = false;
  auto child = ExecChild::Start(o);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  EXPECT_EQ(::getpgid(child->pid()), child->pid());
}

TEST(ExecChildDeathTest, TwoCommandsAtOnceAreABugAndAbort) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // true: nothing is left running when the dying test process aborts; the
  // first stays registered until reaped, exited or not.
  base::SpawnOptions o;
  o.argv = {"/bin/true"};
  EXPECT_DEATH(
      {
        auto first = ExecChild::Start(o);
        auto second = ExecChild::Start(o);
      },
      "bug: two exec commands at once");
}

}  // namespace
}  // namespace tq::worker
