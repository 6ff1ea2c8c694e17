// tq::Process, tq::Channel and tq::Pool against a real tqd: a process's
// lifecycle and terminate, daemon tasks that end with their client, a pool
// that cancels only its own tasks, and a pipe's messages in order.
#include <gtest/gtest.h>
#include <tq/client.h>

#include <thread>

#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::LibPath;
using testing::ProcessAlive;
using testing::TqdOptions;
using testing::TqdProcess;
using testing::WaitFor;

TqdOptions WithObjectTasks(int workers) {
  TqdOptions o;
  o.workers = workers;
  o.extra_args = {"--plugin", LibPath("libtq_object_tasks.so"), "--stop-grace", "500ms"};
  return o;
}

class ProcessesTest : public ::testing::Test {
 protected:
  TqdProcess tqd_{WithObjectTasks(3)};
  Client client_{tqd_.endpoint()};

  // Whether task `id` is in `state` now.
  bool StateIs(std::uint64_t id, TaskState state) { return client_.status(id).state == state; }
};

TEST_F(ProcessesTest, AProcessRunsOnceAndTellsItsOutcomeAsPythonDoes) {
  Process p = client_.process("getpid");
  EXPECT_FALSE(p.is_alive());
  EXPECT_FALSE(p.join(0ms));  // not started
  EXPECT_EQ(p.exitcode(), std::nullopt);
  EXPECT_EQ(p.name().rfind("Process-", 0), 0u) << p.name();
  p.start();
  EXPECT_THROW(p.start(), std::logic_error);
  ASSERT_TRUE(p.join(20s));
  EXPECT_FALSE(p.is_alive());
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(p.state(), TaskState::kDone);
  EXPECT_EQ(static_cast<std::uint32_t>(p.value<std::int64_t>()), p.pid());

  Process failing = client_.process("fail", std::string("no"));
  failing.start();
  ASSERT_TRUE(failing.join(20s));
  EXPECT_EQ(failing.exitcode(), 1);
  EXPECT_THROW(client_.process("no_such_function").start(), RejectedError);
}

TEST_F(ProcessesTest, ANamedProcessShowsItsNameInStatusAndWorkers) {
  Process p = client_.process({.name = "resize-7"}, "signal_and_sleep", std::string("up"), 60000);
  p.start();
  ASSERT_TRUE(client_.event("up").wait(20s));
  EXPECT_EQ(client_.status(p.task_id()).name, "resize-7");
  bool listed = false;
  for (const WorkerStatus& w : client_.workers()) listed = listed || w.name == "resize-7";
  EXPECT_TRUE(listed);
  // One name for both uses: the `job` request counts a Process's name too.
  EXPECT_EQ(client_.raw().Job("resize-7").running, 1u);
  p.terminate();
  EXPECT_TRUE(p.join(20s));
}

TEST_F(ProcessesTest, TerminateStopsARunningProcesssWorkerAndIsAliveTurnsFalse) {
  Process p = client_.process("signal_and_sleep", std::string("running"), 60000);
  p.start();
  ASSERT_TRUE(client_.event("running").wait(20s));
  const std::uint32_t pid = p.pid();
  ASSERT_NE(pid, 0u);
  ASSERT_TRUE(ProcessAlive(static_cast<pid_t>(pid)));
  EXPECT_TRUE(p.is_alive());
  p.terminate();
  EXPECT_TRUE(WaitFor("is_alive() to turn false", [&] { return !p.is_alive(); }));
  EXPECT_EQ(p.state(), TaskState::kCancelled);
  EXPECT_EQ(p.exitcode(), -15);
  EXPECT_TRUE(WaitFor("its worker to be gone", [&] { return !ProcessAlive(static_cast<pid_t>(pid)); }));
}

TEST_F(ProcessesTest, DaemonTasksAreCancelledWhenTheirClientDisconnectsAndOthersGoOn) {
  std::uint64_t daemon_id = 0, queued_daemon_id = 0, other_id = 0;
  {
    Client parent(tqd_.endpoint());
    Process daemon = parent.process({.daemon = true}, "signal_and_sleep", std::string("d"), 60000);
    Process other = parent.process("signal_and_sleep", std::string("o"), 60000);
    Process later = parent.process({.daemon = true, .submit = {.delay = 60s}}, "getpid");
    daemon.start();
    other.start();
    later.start();
    ASSERT_TRUE(client_.event("d").wait(20s));
    ASSERT_TRUE(client_.event("o").wait(20s));
    daemon_id = daemon.task_id();
    other_id = other.task_id();
    queued_daemon_id = later.task_id();
  }  // the parent goes: its connection closes
  EXPECT_TRUE(WaitFor("the running daemon task to be cancelled",
                      [&] { return StateIs(daemon_id, TaskState::kCancelled); }));
  EXPECT_TRUE(WaitFor("the queued daemon task to be cancelled",
                      [&] { return StateIs(queued_daemon_id, TaskState::kCancelled); }));
  EXPECT_EQ(client_.status(other_id).state, TaskState::kRunning);
  client_.cancel(other_id);
}

TEST_F(ProcessesTest, DaemonAndPipedProcessesAreNeverDurableEvenWhenAskedToBe) {
  // Queued for a minute, so that all three are there when counted.
  const SubmitOptions durable{.delay = 60s, .durable = true};
  Process daemon = client_.process({.daemon = true, .submit = durable}, "getpid");
  auto [piped, chan] = client_.process_with_pipe({.submit = durable}, "getpid");
  Process plain = client_.process({.submit = durable}, "getpid");
  daemon.start();
  piped.start();
  plain.start();
  EXPECT_EQ(client_.raw().Stats().durable_tasks, 1u) << "only the plain one is on disk";
  for (Process* p : {&daemon, &piped, &plain}) p->terminate();
}

TEST_F(ProcessesTest, PoolTerminateCancelsOnlyThatPoolsTasks) {
  auto outside = client_.apply_async<void>("sleep", 60000);
  Pool other(client_);
  auto others = other.apply_async<void>("sleep", 60000);
  std::vector<AsyncResult<void>> mine;
  {
    Pool pool(client_);
    for (int i = 0; i < 4; ++i) mine.push_back(pool.apply_async<void>("sleep", 60000));  // 3 workers: one queued
    EXPECT_EQ(pool.unfinished(), 4u);
    pool.terminate();
    EXPECT_EQ(pool.unfinished(), 0u);
    EXPECT_THROW(pool.apply_async<void>("sleep", 1), std::logic_error);
  }
  for (auto& r : mine) {
    ASSERT_TRUE(r.ready());
    EXPECT_EQ(r.outcome().state, TaskState::kCancelled);
  }
  EXPECT_FALSE(outside.ready());
  EXPECT_FALSE(others.ready());
  EXPECT_NE(client_.status(outside.task_id()).state, TaskState::kCancelled);
  EXPECT_NE(client_.status(others.task_id()).state, TaskState::kCancelled);
  outside.cancel();
  other.terminate();
}

TEST_F(ProcessesTest, APoolClosedAndJoinedHasRunEveryTask) {
  Pool pool(client_);
  std::vector<AsyncResult<std::int64_t>> pids;
  for (int i = 0; i < 6; ++i) pids.push_back(pool.apply_async<std::int64_t>("getpid"));
  // echo returns its arguments: [x] for each x.
  const auto echoed = pool.map<std::vector<int>>("echo", std::vector<int>{1, 2, 3});
  EXPECT_EQ(echoed, (std::vector<std::vector<int>>{{1}, {2}, {3}}));
  EXPECT_THROW(pool.join(), std::logic_error);  // not closed yet
  pool.close();
  EXPECT_THROW(pool.map<std::vector<int>>("echo", std::vector<int>{1}), std::logic_error);
  pool.join();
  for (auto& r : pids) EXPECT_TRUE(r.ready());
  EXPECT_EQ(pool.unfinished(), 0u);
}

TEST_F(ProcessesTest, APoolTakesTasksFromManyThreadsAndJoinsThemAll) {
  Pool pool(client_);
  std::vector<std::thread> threads;
  std::vector<std::vector<AsyncResult<std::vector<int>>>> results(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) results[t].push_back(pool.apply_async<std::vector<int>>("echo", t * 100 + i));
    });
  }
  for (std::thread& t : threads) t.join();
  pool.close();
  pool.join();
  EXPECT_EQ(pool.unfinished(), 0u);
  for (int t = 0; t < 4; ++t) {
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(results[t][i].ready());
      EXPECT_EQ(results[t][i].get(), std::vector<int>{t * 100 + i});
    }
  }
}

TEST_F(ProcessesTest, APipeCarriesTenThousandMessagesEachWayInOrder) {
  auto [p, chan] = client_.process_with_pipe("echo_pipe");
  p.start();
  for (std::int64_t i = 0; i < 10000; ++i) {
    chan.send(i);
    const std::optional<std::int64_t> back = chan.recv<std::int64_t>();
    ASSERT_EQ(back, i);
  }
  chan.close();  // the task's recv ends: it returns how many it echoed
  EXPECT_EQ(chan.recv<std::int64_t>(), std::nullopt);
  ASSERT_TRUE(p.join(20s));
  EXPECT_EQ(p.value<std::int64_t>(), 10000);
}

TEST_F(ProcessesTest, WhatIsSentBeforeTheTaskRunsWaitsForIt) {
  auto [p, chan] = client_.process_with_pipe({.submit = {.delay = 300ms}}, "echo_pipe");
  p.start();
  for (std::int64_t i = 0; i < 100; ++i) chan.send(i);
  chan.close();
  for (std::int64_t i = 0; i < 100; ++i) ASSERT_EQ(chan.recv<std::int64_t>(), i);
  EXPECT_EQ(chan.recv<std::int64_t>(), std::nullopt);  // it ended: its end closed
  EXPECT_EQ(p.value<std::int64_t>(), 100);
}

TEST_F(ProcessesTest, ARecvWithATimeoutGivesUpWhileTheTaskIsQuietAndGetsWhatComesLater) {
  auto [p, chan] = client_.process_with_pipe("echo_pipe");
  p.start();
  EXPECT_EQ(chan.recv<std::int64_t>(std::chrono::milliseconds(50)), std::nullopt);
  EXPECT_FALSE(chan.poll());  // nothing came: not the end of the stream
  chan.send(std::int64_t{5});
  EXPECT_EQ(chan.recv<std::int64_t>(std::chrono::seconds(20)), 5);
  chan.close();
  EXPECT_EQ(chan.recv<std::int64_t>(std::chrono::seconds(20)), std::nullopt);
  EXPECT_TRUE(chan.poll());  // the end of the stream
  ASSERT_TRUE(p.join(20s));
}

TEST_F(ProcessesTest, AProcessWithoutAPipeCannotBeSentTo) {
  Process p = client_.process("getpid");
  p.start();
  ASSERT_TRUE(p.join(20s));
  Channel chan(p);
  EXPECT_THROW(chan.send(1), RejectedError);
}

}  // namespace
}  // namespace tq
