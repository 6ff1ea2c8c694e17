// Supervision against a real tqd and real workers: every task gets exactly
// one final result, whatever its worker does, with the reason it ended.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <tq/client.h>

#include <fstream>
#include <mutex>

#include "testing/remote_error.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::LibPath;
using testing::TqdOptions;
using testing::TqdProcess;
using testing::WaitFor;
using Nil = msgpack::type::nil_t;

TqdOptions Tqd(std::vector<std::string> flags = {}, int workers = 2) {
  TqdOptions o;
  o.workers = workers;
  o.extra_args = {"--plugin", LibPath("libtq_supervision_tasks.so")};
  for (auto& f : flags) o.extra_args.push_back(std::move(f));
  return o;
}

bool PoolWhole(const TqdProcess& tqd, std::size_t n) {
  return WaitFor([&] { return tqd.WorkerPids().size() == n; });
}

class SupervisionTest : public ::testing::Test {
 protected:
  std::string CounterFile() {
    return dir_.File("counter" + std::to_string(++counters_));
  }
  testing::TempDir dir_;
  int counters_ = 0;
};

// ---- worker death ---------------------------------------------------------

TEST_F(SupervisionTest, EachWayAWorkerDiesEndsItsTaskLostWithTheCause) {
  TqdProcess tqd(Tqd());
  Client client(tqd.endpoint());

  RemoteError segv = testing::ExpectRemoteError([&] { client.apply<bool>("segv"); });
  EXPECT_EQ(segv.state(), TaskState::kLost);
  EXPECT_EQ(segv.type(), "tq.WorkerLost");
  EXPECT_EQ(segv.details().cause, "signal");
  EXPECT_EQ(segv.details().signal, SIGSEGV);
  EXPECT_NE(segv.message().find("killed by signal 11 (SIGSEGV)"), std::string::npos)
      << segv.message();
  EXPECT_GT(segv.details().pid, 0u);

  RemoteError exited = testing::ExpectRemoteError([&] { client.apply<bool>("exit_with", 3); });
  EXPECT_EQ(exited.details().cause, "exit");
  EXPECT_EQ(exited.details().exit_code, 3);
  EXPECT_NE(exited.message().find("exited with code 3"), std::string::npos);

  RemoteError aborted = testing::ExpectRemoteError([&] { client.apply<bool>("crash"); });
  EXPECT_EQ(aborted.details().signal, SIGABRT);

  auto running = client.apply_async<Nil>("sleep", 30000);
  ASSERT_TRUE(WaitFor([&] { return running.task_id() != 0 &&
                                   client.status(running.task_id()).state ==
                                       TaskState::kRunning; }));
  const pid_t victim = static_cast<pid_t>(client.status(running.task_id()).worker_pid);
  ::kill(victim, SIGKILL);
  RemoteError killed = testing::ExpectRemoteError([&] { running.get(20s); });
  EXPECT_EQ(killed.details().signal, SIGKILL);
  EXPECT_EQ(killed.details().pid, static_cast<std::uint32_t>(victim));

  EXPECT_TRUE(PoolWhole(tqd, 2));
  EXPECT_EQ(client.apply<int>("count", CounterFile()), 1);
}

TEST_F(SupervisionTest, AWorkerDyingOnItsOwnIsRespawnedWithBackoffAndThePoolRecovers) {
  const std::string die = dir_.File("die");
  ::setenv("TQ_TEST_DIE_FILE", die.c_str(), 1);
  TqdOptions o = Tqd({"--worker", testing::BinPath("tq-test-dying-worker")});
  o.extra_args.erase(o.extra_args.begin(), o.extra_args.begin() + 2);  // no plugin
  TqdProcess tqd(o);
  ::unsetenv("TQ_TEST_DIE_FILE");

  std::ofstream(die) << "die";
  ::kill(tqd.WorkerPids().at(0), SIGKILL);
  // Its successors die 50 ms after hello, again and again: tqd backs off
  // (the doubling itself is WorkerPoolTest's) and the pool comes back once
  // they stop dying.
  EXPECT_TRUE(WaitFor("tqd to back off", [&] {
    return tqd.Log().find("respawning in 200 ms") != std::string::npos;
  })) << tqd.Log();
  ::unlink(die.c_str());
  EXPECT_TRUE(PoolWhole(tqd, 2)) << tqd.Log();
  Client client(tqd.endpoint());
  EXPECT_EQ(client.apply<int>("echo1", 7), 7);
}

TEST_F(SupervisionTest, AWorkerInheritsNoDescriptorOfTqdsButItsPipes) {
  TqdProcess tqd(Tqd());
  Client client(tqd.endpoint());
  // 0-2, the task and result pipes (3, 4), and the one the listing itself
  // opens: none of tqd's sockets, signalfd or other workers' pipes.
  const auto fds = client.apply<std::vector<int>>("open_fds");
  EXPECT_EQ(fds, (std::vector<int>{0, 1, 2, 3, 4, 5})) << ::testing::PrintToString(fds);
}

// ---- timeouts -------------------------------------------------------------

TEST_F(SupervisionTest, ATaskPastItsTimeoutEndsTimedOutWithItsStack) {
  TqdProcess tqd(Tqd());
  Client client(tqd.endpoint());
  RemoteError e = testing::ExpectRemoteError(
      [&] { client.apply<Nil>({.timeout = 300ms}, "sleep", 30000); });
  EXPECT_EQ(e.state(), TaskState::kTimedOut);
  EXPECT_EQ(e.type(), "tq.TimedOut");
  EXPECT_EQ(e.message().rfind("timed out after 0.300 s", 0), 0u) << e.message();
  EXPECT_EQ(e.details().cause, "timeout");
  EXPECT_EQ(e.details().timeout_ms, 300u);
  // gdb's backtrace of the worker, stopped in its sleep.
  EXPECT_NE(e.details().stack.find("sleep"), std::string::npos) << e.details().stack;
  EXPECT_TRUE(PoolWhole(tqd, 2));
  EXPECT_EQ(client.apply<int>("count", CounterFile()), 1);
}

TEST_F(SupervisionTest, TheDaemonsDefaultTimeoutApplies) {
  TqdProcess tqd(Tqd({"--task-timeout", "0.2", "--no-capture-stacks"}));
  Client client(tqd.endpoint());
  RemoteError e = testing::ExpectRemoteError([&] { client.apply<Nil>("sleep", 30000); });
  EXPECT_EQ(e.state(), TaskState::kTimedOut);
  EXPECT_EQ(e.details().timeout_ms, 200u);
  EXPECT_TRUE(e.details().stack.empty());
  // A task's own timeout wins over the default.
  EXPECT_NO_THROW(client.apply<Nil>({.timeout = 20s}, "sleep", 400));
}

// ---- cancellation ---------------------------------------------------------

TEST_F(SupervisionTest, CancellingAQueuedTaskEndsItAtOnceAndARunningOneStopsItsWorker) {
  TqdProcess tqd(Tqd({}, 1));
  Client client(tqd.endpoint());
  auto running = client.apply_async<Nil>("sleep", 30000);
  auto queued = client.apply_async<int>("count", CounterFile());
  ASSERT_TRUE(WaitFor([&] { return queued.task_id() != 0; }));

  const TaskInfo info = client.cancel(queued.task_id());
  EXPECT_EQ(info.state, TaskState::kCancelled);
  RemoteError q = testing::ExpectRemoteError([&] { queued.get(20s); });
  EXPECT_EQ(q.state(), TaskState::kCancelled);
  EXPECT_EQ(q.details().cause, "cancelled");

  ASSERT_TRUE(WaitFor([&] { return running.task_id() != 0 &&
                                   client.status(running.task_id()).state ==
                                       TaskState::kRunning; }));
  const pid_t worker = static_cast<pid_t>(client.status(running.task_id()).worker_pid);
  EXPECT_TRUE(running.cancel());
  RemoteError r = testing::ExpectRemoteError([&] { running.get(20s); });
  EXPECT_EQ(r.state(), TaskState::kCancelled);
  EXPECT_TRUE(WaitFor([&] { return !testing::ProcessAlive(worker); }));
  EXPECT_TRUE(PoolWhole(tqd, 1));
  EXPECT_EQ(client.apply<int>("count", CounterFile()), 1);
}

TEST_F(SupervisionTest, ACancelBeforeTheTaskIsAcceptedStillCancelsIt) {
  TqdProcess tqd(Tqd());
  Client client(tqd.endpoint());
  auto r = client.apply_async<Nil>("sleep", 30000);
  r.cancel();  // its id is probably not known yet
  EXPECT_EQ(testing::ExpectRemoteError([&] { r.get(20s); }).state(), TaskState::kCancelled);
}

TEST_F(SupervisionTest, CancellingAFinishedTaskChangesNothing) {
  TqdProcess tqd(Tqd());
  Client client(tqd.endpoint());
  auto r = client.apply_async<int>("count", CounterFile());
  EXPECT_EQ(r.get(20s), 1);
  EXPECT_FALSE(r.cancel());
  EXPECT_EQ(client.cancel(r.task_id()).state, TaskState::kDone);
}

// ---- retries --------------------------------------------------------------

TEST_F(SupervisionTest, AFailingTaskIsRetriedWhenAskedUntilItSucceeds) {
  TqdProcess tqd(Tqd());
  Client client(tqd.endpoint());
  SubmitOptions retry{.max_retries = 5, .retry_on = {TaskState::kFailed},
                      .retry_backoff = 10ms};
  auto r = client.apply_async<int>(retry, "fail_until", CounterFile(), 3);
  EXPECT_EQ(r.get(20s), 3);
  EXPECT_EQ(r.outcome().attempts, 3u);
  // By default only lost and timed-out tasks are retried.
  RemoteError e = testing::ExpectRemoteError([&] {
    client.apply<int>({.max_retries = 5, .retry_backoff = 10ms}, "fail_until",
                      CounterFile(), 3);
  });
  EXPECT_EQ(e.attempts(), 1u);
}

TEST_F(SupervisionTest, RetriesAreBoundedAndTheResultSaysHowManyAttempts) {
  TqdProcess tqd(Tqd());
  Client client(tqd.endpoint());
  RemoteError e = testing::ExpectRemoteError([&] {
    client.apply<int>({.max_retries = 2, .retry_on = {TaskState::kFailed},
                       .retry_backoff = 10ms},
                      "fail_until", CounterFile(), 10);
  });
  EXPECT_EQ(e.state(), TaskState::kFailed);
  EXPECT_EQ(e.attempts(), 3u);
  EXPECT_EQ(e.message(), "attempt 3 fails");
}

TEST_F(SupervisionTest, ALostTaskIsRetriedOnANewWorker) {
  TqdProcess tqd(Tqd());
  Client client(tqd.endpoint());
  auto r = client.apply_async<int>({.max_retries = 1, .retry_backoff = 10ms},
                                   "crash_until", CounterFile(), 2);
  EXPECT_EQ(r.get(20s), 2);
  EXPECT_EQ(r.outcome().attempts, 2u);
}

// ---- scheduling -----------------------------------------------------------

TEST_F(SupervisionTest, HigherPriorityRunsFirstAndFifoWithinAPriority) {
  TqdProcess tqd(Tqd({}, 1));
  Client client(tqd.endpoint());
  auto blocker = client.apply_async<Nil>("sleep", 300);
  ASSERT_TRUE(WaitFor([&] { return blocker.task_id() != 0; }));
  std::mutex mu;
  std::vector<std::string> order;
  std::vector<AsyncResult<int>> all;
  for (auto [name, priority] : {std::pair{"a0", 0}, {"b5", 5}, {"c0", 0}, {"d5", 5}}) {
    all.push_back(client.apply_async<int>({.priority = priority}, "count", CounterFile()));
    all.back().on_done([&, n = std::string(name)](const AsyncResult<int>&) {
      std::lock_guard lock(mu);
      order.push_back(n);
    });
  }
  for (auto& r : all) r.get(20s);
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard lock(mu);
    return order.size() == 4;
  }));
  EXPECT_EQ(order, (std::vector<std::string>{"b5", "d5", "a0", "c0"}));
}

TEST_F(SupervisionTest, ADelayedTaskDoesNotStartBeforeItsDelay) {
  TqdProcess tqd(Tqd());
  Client client(tqd.endpoint());
  // Queued while its delay runs (an hour: no machine is that slow).
  auto held = client.apply_async<int>({.delay = std::chrono::hours(1)}, "count", CounterFile());
  ASSERT_TRUE(WaitFor([&] { return held.task_id() != 0; }));
  EXPECT_EQ(client.status(held.task_id()).state, TaskState::kQueued);
  client.cancel(held.task_id());
  // And started no sooner than its delay.
  auto r = client.apply_async<int>({.delay = 400ms}, "count", CounterFile());
  EXPECT_EQ(r.get(20s), 1);
  const TaskInfo info = client.status(r.task_id());
  EXPECT_GE(info.started_at_ms - info.queued_at_ms, 400);
}

// ---- poison tasks ---------------------------------------------------------

TEST_F(SupervisionTest, APoisonTaskIsBuriedAndKickRunsItAgain) {
  TqdProcess tqd(Tqd({"--bury-after", "2"}));
  Client client(tqd.endpoint());
  auto r = client.apply_async<int>({.max_retries = 10, .retry_backoff = 10ms},
                                   "crash_until", CounterFile(), 3);
  RemoteError e = testing::ExpectRemoteError([&] { r.get(20s); });
  EXPECT_EQ(e.state(), TaskState::kBuried);
  EXPECT_EQ(e.type(), "tq.Buried");
  EXPECT_NE(e.message().find("tq kick " + std::to_string(r.task_id())), std::string::npos)
      << e.message();
  EXPECT_EQ(e.attempts(), 2u);
  EXPECT_EQ(client.status(r.task_id()).state, TaskState::kBuried);

  EXPECT_EQ(client.kick(r.task_id()).state, TaskState::kQueued);
  EXPECT_EQ(client.wait<int>(r.task_id()).get(20s), 3);
  try {
    client.kick(r.task_id());
    FAIL() << "kicked a task that is done";
  } catch (const RejectedError& e2) {
    EXPECT_EQ(e2.code(), "WRONG_STATE");
  }
}

// ---- idempotent submit ----------------------------------------------------

TEST_F(SupervisionTest, ASecondSubmitWithTheSameKeyGetsTheFirstTask) {
  TqdProcess tqd(Tqd());
  Client client(tqd.endpoint());
  const std::string counter = CounterFile();
  auto first = client.apply_async<int>({.key = "job-1"}, "count", counter);
  auto second = client.apply_async<int>({.key = "job-1"}, "count", counter);
  EXPECT_EQ(first.get(20s), 1);
  EXPECT_EQ(second.get(20s), 1);
  EXPECT_EQ(first.task_id(), second.task_id());
  // Once it ended too, while its result is kept.
  auto third = client.apply_async<int>({.key = "job-1"}, "count", counter);
  EXPECT_EQ(third.get(20s), 1);
  EXPECT_EQ(third.task_id(), first.task_id());
  EXPECT_EQ(client.apply<int>({.key = "job-2"}, "count", counter), 2);
}

// ---- recycling ------------------------------------------------------------

TEST_F(SupervisionTest, AWorkerIsReplacedAfterMaxTasksPerWorker) {
  TqdProcess tqd(Tqd({"--max-tasks-per-worker", "2"}, 1));
  Client client(tqd.endpoint());
  std::vector<int> pids;
  for (int i = 0; i < 6; ++i) pids.push_back(client.apply<int>("pid"));
  EXPECT_EQ(pids[0], pids[1]);
  EXPECT_EQ(pids[2], pids[3]);
  EXPECT_EQ(pids[4], pids[5]);
  EXPECT_NE(pids[0], pids[2]);
  EXPECT_NE(pids[2], pids[4]);
}

TEST_F(SupervisionTest, AWorkerOverMaxRssIsReplacedBetweenTasks) {
  TqdProcess tqd(Tqd({"--max-rss-per-worker", std::to_string(100 << 20)}, 1));
  Client client(tqd.endpoint());
  const int before = client.apply<int>("pid");
  EXPECT_EQ(client.apply<int>("pid"), before);  // small: kept
  EXPECT_EQ(client.apply<int>("hold_mib", 150), 1);  // finishes, then goes
  EXPECT_NE(client.apply<int>("pid"), before);
}

// ---- backpressure ---------------------------------------------------------

TEST_F(SupervisionTest, AFullQueueRaisesQueueFullError) {
  TqdProcess tqd(Tqd({"--max-queued", "1"}, 1));
  Client client(tqd.endpoint());
  auto running = client.apply_async<Nil>("sleep", 30000);
  ASSERT_TRUE(WaitFor([&] { return running.task_id() != 0 &&
                                   client.status(running.task_id()).state ==
                                       TaskState::kRunning; }));
  auto queued = client.apply_async<int>("count", CounterFile());
  ASSERT_TRUE(WaitFor([&] { return queued.task_id() != 0; }));
  EXPECT_THROW(client.apply<int>("count", CounterFile()), QueueFullError);
  running.cancel();
  EXPECT_EQ(queued.get(20s), 1);
}

// ---- results by id --------------------------------------------------------

TEST_F(SupervisionTest, AnyClientCanWaitForATaskAfterItsSubmitterLeft) {
  TqdProcess tqd(Tqd());
  std::uint64_t id = 0;
  {
    Client submitter(tqd.endpoint());
    auto r = submitter.apply_async<int>({.delay = 200ms}, "count", CounterFile());
    ASSERT_TRUE(WaitFor([&] { return r.task_id() != 0; }));
    id = r.task_id();
  }
  Client other(tqd.endpoint());
  EXPECT_EQ(other.wait<int>(id).get(20s), 1);
  EXPECT_EQ(other.status(id).state, TaskState::kDone);
  EXPECT_EQ(other.wait<int>(id).get(20s), 1);  // again: it is kept
}

TEST_F(SupervisionTest, ResultsExpireAfterTheTtlAndTheStoreIsBounded) {
  TqdProcess tqd(Tqd({"--result-ttl", "0.3", "--max-results", "3"}));
  Client client(tqd.endpoint());
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < 5; ++i) {
    auto r = client.apply_async<bool>("pid");
    r.wait();
    ids.push_back(r.task_id());
  }
  auto gone = [&](std::uint64_t id) {
    try {
      client.status(id);
      return false;
    } catch (const RejectedError& e) {
      return e.code() == "NOT_FOUND";
    }
  };
  EXPECT_TRUE(gone(ids[0]));  // beyond max_results at once
  EXPECT_TRUE(WaitFor([&] { return gone(ids[4]); }));  // then the TTL
}

// ---- configuration reload -------------------------------------------------

TEST_F(SupervisionTest, SighupResizesThePoolAndAnInvalidFileIsRejected) {
  const std::string config = dir_.File("tqd.toml");
  std::ofstream(config) << "workers = 1\n";
  TqdOptions o = Tqd({"--config", config});
  o.workers = 0;  // from the file
  TqdProcess tqd(o);
  ASSERT_TRUE(PoolWhole(tqd, 1));
  Client client(tqd.endpoint());
  auto running = client.apply_async<Nil>("sleep", 500);
  ASSERT_TRUE(WaitFor([&] { return running.task_id() != 0; }));

  std::ofstream(config) << "workers = 3\nmax_queued = 5\n";
  tqd.Kill(SIGHUP);
  EXPECT_TRUE(PoolWhole(tqd, 3)) << tqd.Log();
  EXPECT_NO_THROW(running.get(20s));  // not disturbed

  std::ofstream(config) << "workers = \"many\"\n";
  tqd.Kill(SIGHUP);
  EXPECT_TRUE(WaitFor([&] {
    return tqd.Log().find("new configuration rejected") != std::string::npos;
  }));
  EXPECT_EQ(tqd.WorkerPids().size(), 3u);
  EXPECT_EQ(client.apply<int>("count", CounterFile()), 1);

  std::ofstream(config) << "workers = 1\n";
  tqd.Kill(SIGHUP);
  EXPECT_TRUE(PoolWhole(tqd, 1)) << tqd.Log();
}

TEST_F(SupervisionTest, SettingsFixedAtStartKeepTheirValueOnSighupAndSaySo) {
  const std::string config = dir_.File("tqd.toml");
  std::ofstream(config) << "max_args_bytes = \"1KiB\"\n";
  TqdOptions o = Tqd({"--config", config});
  TqdProcess tqd(o);
  Client client(tqd.endpoint());
  const std::string big(1500, 'x');
  EXPECT_THROW(client.apply<std::vector<std::string>>("echo", big), RejectedError);

  std::ofstream(config) << "max_args_bytes = \"4KiB\"\nmax_queued = 7\n";
  tqd.Kill(SIGHUP);
  ASSERT_TRUE(WaitFor("the reload", [&] {
    return tqd.Log().find("reloaded:") != std::string::npos;
  })) << tqd.Log();
  EXPECT_NE(tqd.Log().find("max_args_bytes cannot change on reload"), std::string::npos)
      << tqd.Log();
  EXPECT_NE(tqd.Log().find("max_queued 7"), std::string::npos) << tqd.Log();
  EXPECT_THROW(client.apply<std::vector<std::string>>("echo", big), RejectedError);
}

}  // namespace
}  // namespace tq
