// WorkerPool's state machine with fake workers and a fake clock: no worker
// processes, no sleeps. The test plays each worker through its pipes
// (FakeWorker) and moves time by hand.
#include "worker_pool.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <fstream>
#include <memory>
#include <set>

#include "fake_worker.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"
#include "testing/wait_for.h"

namespace tq::daemon {
namespace {

using namespace std::chrono_literals;
using testing::FakeSpawner;
using testing::FakeWorker;

struct Event {
  std::string what;  // "ready", "result", "progress", "lost", "timed_out", "restart"
  std::uint64_t task_id = 0;
  pid_t pid = 0;
  std::string detail;  // lost: the cause and message; timed_out: the stack;
                       // restart: the cause
};

class RecordingListener final : public WorkerPool::Listener {
 public:
  void OnWorkerReady(const Worker& w, const proto::WorkerHello&) override {
    events.push_back({"ready", 0, w.pid(), {}});
  }
  void OnTaskResult(const Worker& w, const proto::WorkerResult& r) override {
    events.push_back({"result", r.task_id, w.pid(), std::string(r.error.message)});
  }
  void OnTaskProgress(const Worker& w, const proto::TaskProgress& p) override {
    events.push_back({"progress", p.task_id, w.pid(), {}});
  }
  void OnTaskLost(std::uint64_t task_id, const DeathCause& c) override {
    events.push_back({"lost", task_id, c.pid, c.cause + ": " + c.message});
  }
  void OnTaskTimedOut(std::uint64_t task_id, pid_t pid, std::uint64_t,
                      base::Duration, std::string stack) override {
    events.push_back({"timed_out", task_id, pid, std::move(stack)});
  }
  void OnPrefetchedStarted(const Worker& w, std::uint64_t task_id) override {
    events.push_back({"started", task_id, w.pid(), {}});
  }
  void OnTaskReturned(std::uint64_t task_id) override {
    events.push_back({"returned", task_id, 0, {}});
  }
  void OnTaskDropped(std::uint64_t task_id) override {
    events.push_back({"dropped", task_id, 0, {}});
  }
  void OnWorkerRestarted(proto::RestartCause cause) override {
    events.push_back({"restart", 0, 0, std::string(proto::RestartCauseName(cause))});
  }
  // The causes of the restarts reported, in order.
  std::vector<std::string> Restarts() const {
    std::vector<std::string> out;
    for (const Event& e : Of("restart")) out.push_back(e.detail);
    return out;
  }
  // The events named `what`.
  std::vector<Event> Of(const std::string& what) const {
    std::vector<Event> out;
    for (const Event& e : events) {
      if (e.what == what) out.push_back(e);
    }
    return out;
  }
  std::vector<Event> events;
};

PoolSettings Settings() {
  PoolSettings s;
  s.stop_grace = 2s;
  return s;
}

class WorkerPoolTest : public ::testing::Test {
 protected:
  WorkerPoolTest() {
    // The fakes write into pipes the pool may have closed: EPIPE, not death.
    ::signal(SIGPIPE, SIG_IGN);
  }

  WorkerPool& Start(int size, PoolSettings settings = Settings()) {
    WorkerCommand command;
    command.program = "tq-worker";
    command.start_timeout = 10s;
    pool_ = std::make_unique<WorkerPool>(command, size, std::move(settings), spawner_,
                                         clock_, listener_,
                                         OomCounter(dir_.File("memory.events")));
    EXPECT_TRUE(pool_->Start().ok());
    return *pool_;
  }

  // What poll would report now, delivered the way the supervisor does.
  void Poll() {
    std::vector<WorkerPool::PollFd> fds;
    pool_->AppendPollFds(&fds);
    std::vector<pollfd> p;
    for (const auto& fd : fds) {
      p.push_back({fd.fd,
                   static_cast<short>(fd.role == WorkerPool::PollFd::Role::kWrite ? POLLOUT
                                                                                 : POLLIN),
                   0});
    }
    ASSERT_GE(::poll(p.data(), p.size(), 0), 0);
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (p[i].revents != 0) pool_->OnPollEvent(fds[i]);
    }
  }

  // Every current worker says hello.
  void GreetAll() {
    for (const auto& w : spawner_.spawned) {
      if (!w->exit && !w->InputClosed() && !greeted_.contains(w->pid)) {
        w->Hello();
        greeted_.insert(w->pid);
      }
    }
    Poll();
  }

  // Dispatches `task_id` to the first idle worker; returns that worker.
  std::shared_ptr<FakeWorker> Run(std::uint64_t task_id,
                                  std::chrono::milliseconds timeout = 0ms) {
    const std::optional<int> slot = pool_->FindIdle();
    EXPECT_TRUE(slot.has_value());
    if (!slot) return nullptr;
    const pid_t pid = pool_->pid(*slot);
    pool_->Dispatch(*slot, proto::TaskAssignment{task_id, "f", "", false}, timeout);
    auto w = ByPid(pid);
    EXPECT_EQ(w->ReadTask(), task_id);
    return w;
  }

  std::shared_ptr<FakeWorker> ByPid(pid_t pid) {
    for (const auto& w : spawner_.spawned) {
      if (w->pid == pid) return w;
    }
    return nullptr;
  }

  // One worker that takes prefetch, greeted, running task 1 expected to
  // take `expected`.
  std::shared_ptr<FakeWorker> StartPrefetching(PoolSettings settings = Settings(),
                                               base::Duration expected = 100us) {
    Start(1, std::move(settings));
    spawner_.last()->prefetch = true;
    GreetAll();
    pool_->Dispatch(0, proto::TaskAssignment{1, "f", "", false}, 0ms, expected);
    auto w = spawner_.last();
    EXPECT_EQ(w->ReadTask(), 1u);
    return w;
  }

  // Sends `task_id` ahead, as the supervisor does once FindPrefetchSlot
  // has a slot.
  void SendAhead(std::uint64_t task_id, base::Duration expected = 100us) {
    const std::optional<int> slot = pool_->FindPrefetchSlot(expected, 8);
    ASSERT_TRUE(slot.has_value()) << "task " << task_id;
    pool_->Prefetch(*slot, proto::TaskAssignment{task_id, "f", "", false}, expected);
  }

  // The events, as "what id", in order.
  std::vector<std::string> Trace() const {
    std::vector<std::string> out;
    for (const Event& e : listener_.events) {
      if (e.what != "ready") out.push_back(e.what + " " + std::to_string(e.task_id));
    }
    return out;
  }

  std::vector<std::string> States() {
    std::vector<std::string> out;
    pool_->ForEachWorker([&](const WorkerView& v) { out.emplace_back(v.state); });
    return out;
  }

  tq::testing::TempDir dir_;
  tq::testing::FakeClock clock_;
  FakeSpawner spawner_;
  RecordingListener listener_;
  std::unique_ptr<WorkerPool> pool_;
  std::set<pid_t> greeted_;
};

// ---- start and hello ------------------------------------------------------

TEST_F(WorkerPoolTest, StartsEveryWorkerAndIsReadyOnceAllSaidHello) {
  WorkerPool& pool = Start(3);
  EXPECT_EQ(spawner_.spawned.size(), 3u);
  EXPECT_EQ(States(), (std::vector<std::string>{"starting", "starting", "starting"}));
  EXPECT_FALSE(pool.ready());
  EXPECT_FALSE(pool.FindIdle().has_value());
  spawner_.spawned[0]->Hello();
  greeted_.insert(spawner_.spawned[0]->pid);
  Poll();
  EXPECT_FALSE(pool.ready());
  GreetAll();
  EXPECT_TRUE(pool.ready());
  EXPECT_EQ(listener_.Of("ready").size(), 3u);
  EXPECT_EQ(States(), (std::vector<std::string>{"idle", "idle", "idle"}));
}

TEST_F(WorkerPoolTest, AWorkerThatDiesBeforeThePoolWasEverReadyIsAStartFailure) {
  WorkerPool& pool = Start(2);
  spawner_.spawned[0]->Hello();
  spawner_.spawned[1]->Exit(1);
  Poll();
  pool.ReapExited();
  EXPECT_EQ(pool.start_failure(), "worker 5000002 exited with code 1 before saying hello");
  EXPECT_EQ(spawner_.spawned.size(), 2u);  // not respawned: tqd gives up
}

TEST_F(WorkerPoolTest, AWorkerSilentPastTheStartTimeoutIsKilledAndReplacedWithBackoff) {
  WorkerPool& pool = Start(1);
  GreetAll();
  // A recycled worker's successor never says hello.
  pool.set_settings([] { PoolSettings s = Settings(); s.max_tasks_per_worker = 1; return s; }());
  auto first = Run(1);
  first->Result(1);
  Poll();
  ASSERT_TRUE(first->InputClosed());
  first->Exit(0);
  pool.ReapExited();
  ASSERT_EQ(spawner_.spawned.size(), 2u);
  auto silent = spawner_.last();

  clock_.Advance(9999ms);
  pool.RunExpired();
  EXPECT_TRUE(silent->signals.empty());
  clock_.Advance(1ms);
  pool.RunExpired();
  EXPECT_EQ(silent->signals, std::vector<int>{SIGKILL});
  pool.ReapExited();
  EXPECT_EQ(listener_.Restarts(), (std::vector<std::string>{"recycled", "protocol"}));
  // It never said hello: a crash loop, so its successor waits.
  EXPECT_EQ(spawner_.spawned.size(), 2u);
  ASSERT_TRUE(pool.TimeUntilNextDeadline().has_value());
  EXPECT_EQ(*pool.TimeUntilNextDeadline(), 100ms);
  clock_.Advance(100ms);
  pool.RunExpired();
  EXPECT_EQ(spawner_.spawned.size(), 3u);
}

TEST_F(WorkerPoolTest, HelloTwiceOrAGarbledFrameExpelsTheWorker) {
  WorkerPool& pool = Start(2);
  GreetAll();
  spawner_.spawned[0]->Hello();  // again
  spawner_.spawned[1]->WriteRaw(std::string("\0\0\0\3abc", 7));
  Poll();
  EXPECT_EQ(spawner_.spawned[0]->signals, std::vector<int>{SIGKILL});
  EXPECT_EQ(spawner_.spawned[1]->signals, std::vector<int>{SIGKILL});
  pool.ReapExited();
  EXPECT_TRUE(listener_.Of("lost").empty());  // they ran no task
  EXPECT_EQ(listener_.Restarts(), (std::vector<std::string>{"protocol", "protocol"}));
}

// ---- tasks ----------------------------------------------------------------

TEST_F(WorkerPoolTest, AResultFreesTheWorkerForTheNextTask) {
  WorkerPool& pool = Start(1);
  GreetAll();
  clock_.Advance(3s);
  auto w = Run(7);
  EXPECT_EQ(States(), std::vector<std::string>{"busy"});
  clock_.Advance(250ms);
  pool.ForEachWorker([&](const WorkerView& v) {
    EXPECT_EQ(clock_.Now() - v.task_started_at, 250ms);  // for `workers`' task_ms
  });
  EXPECT_FALSE(pool.FindIdle().has_value());
  w->Progress(7, 1, 2);
  w->Result(7);
  Poll();
  ASSERT_EQ(listener_.Of("result").size(), 1u);
  EXPECT_EQ(listener_.Of("result")[0].task_id, 7u);
  EXPECT_EQ(listener_.Of("progress").size(), 1u);
  EXPECT_EQ(States(), std::vector<std::string>{"idle"});
  EXPECT_EQ(Run(8), w);
}

TEST_F(WorkerPoolTest, AResultForATaskTheWorkerIsNotRunningExpelsItAndLosesItsTask) {
  WorkerPool& pool = Start(1);
  GreetAll();
  auto w = Run(7);
  w->Result(99);
  Poll();
  EXPECT_EQ(w->signals, std::vector<int>{SIGKILL});
  pool.ReapExited();
  const auto lost = listener_.Of("lost");
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].task_id, 7u);
  EXPECT_EQ(lost[0].detail,
            "protocol: worker 5000001 sent a result for task 99 it was not running; killed");
  EXPECT_EQ(spawner_.spawned.size(), 2u);  // replaced at once
}

// ---- death: SIGCHLD and EOF in every order --------------------------------

TEST_F(WorkerPoolTest, DeathSeenAsEofFirstThenSigchldLosesTheTaskOnceAndReplacesTheWorker) {
  WorkerPool& pool = Start(2);
  GreetAll();
  auto w = Run(1);
  w->ClosePipes();  // EOF arrives; the process has not been reaped yet
  Poll();
  EXPECT_TRUE(listener_.Of("lost").empty());
  EXPECT_EQ(spawner_.spawned.size(), 2u);
  w->exit = base::ExitStatus{.signaled = true, .signal = SIGSEGV};
  pool.ReapExited();
  const auto lost = listener_.Of("lost");
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].detail, "signal: worker 5000001 killed by signal 11 (SIGSEGV)");
  EXPECT_EQ(listener_.Restarts(), std::vector<std::string>{"signal"});
  ASSERT_EQ(spawner_.spawned.size(), 3u);
  EXPECT_EQ(pool.live(), 2u);
}

TEST_F(WorkerPoolTest, DeathSeenAsSigchldFirstDropsTheStaleEofEventAndSparesTheReplacement) {
  WorkerPool& pool = Start(2);
  GreetAll();
  auto w = Run(1);
  std::vector<WorkerPool::PollFd> polled;
  pool.AppendPollFds(&polled);  // as the supervisor polled before the death
  w->Kill(SIGABRT);
  pool.ReapExited();  // SIGCHLD is handled before the pipes
  ASSERT_EQ(listener_.Of("lost").size(), 1u);
  ASSERT_EQ(spawner_.spawned.size(), 3u);
  auto replacement = spawner_.last();
  for (const auto& fd : polled) pool.OnPollEvent(fd);  // the EOF, polled earlier
  pool.ReapExited();
  Poll();
  EXPECT_TRUE(replacement->signals.empty());
  EXPECT_FALSE(replacement->exit.has_value());
  EXPECT_EQ(listener_.Of("lost").size(), 1u);
  EXPECT_EQ(pool.live(), 2u);
  EXPECT_EQ(spawner_.spawned.size(), 3u);
  EXPECT_EQ(States(), (std::vector<std::string>{"starting", "idle"}));
}

TEST_F(WorkerPoolTest, SigchldAndEofTogetherLoseTheTaskOnceAndTheReplacementLives) {
  // The bug this state machine fixed: reaping, reading the EOF and burying
  // all in one turn buried the fresh replacement too ("exited with code 0").
  WorkerPool& pool = Start(2);
  GreetAll();
  for (int round = 0; round < 5; ++round) {
    auto w = Run(static_cast<std::uint64_t>(round + 1));
    w->Kill(SIGABRT);
    pool.ReapExited();
    Poll();
    auto replacement = spawner_.last();
    EXPECT_TRUE(replacement->signals.empty());
    EXPECT_FALSE(replacement->exit.has_value());
    EXPECT_EQ(pool.live(), 2u);
    GreetAll();
  }
  EXPECT_EQ(listener_.Of("lost").size(), 5u);
  EXPECT_EQ(spawner_.spawned.size(), 7u);  // 2 + one per crash, none wasted
  EXPECT_EQ(States(), (std::vector<std::string>{"idle", "idle"}));
}

TEST_F(WorkerPoolTest, AResultWrittenJustBeforeDeathIsReadBeforeTheTaskIsDeclaredLost) {
  WorkerPool& pool = Start(1);
  GreetAll();
  auto w = Run(5);
  w->Result(5);
  w->Exit(0);
  pool.ReapExited();
  ASSERT_EQ(listener_.Of("result").size(), 1u);
  EXPECT_TRUE(listener_.Of("lost").empty());
  EXPECT_EQ(listener_.Restarts(), std::vector<std::string>{"exit"});  // it was not asked to
}

TEST_F(WorkerPoolTest, AWorkerThatClosesItsPipeButLivesOnIsKilledAfterTheGrace) {
  WorkerPool& pool = Start(1);
  GreetAll();
  auto w = Run(3);
  w->ClosePipes();
  Poll();
  clock_.Advance(1999ms);
  pool.RunExpired();
  EXPECT_TRUE(w->signals.empty());
  clock_.Advance(1ms);
  pool.RunExpired();
  EXPECT_EQ(w->signals, std::vector<int>{SIGKILL});
  pool.ReapExited();
  const auto lost = listener_.Of("lost");
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0].detail,
            "protocol: worker 5000001 closed its result pipe but did not exit; killed");
}

TEST_F(WorkerPoolTest, AnOomKillIsToldApartFromAnyOtherSigkill) {
  std::ofstream(dir_.File("memory.events")) << "oom 1\noom_kill 1\n";  // the baseline
  WorkerPool& pool = Start(1);
  GreetAll();
  Run(1)->Kill(SIGKILL);
  pool.ReapExited();
  GreetAll();
  std::ofstream(dir_.File("memory.events")) << "oom 2\noom_kill 2\n";
  Run(2)->Kill(SIGKILL);
  pool.ReapExited();
  const auto lost = listener_.Of("lost");
  ASSERT_EQ(lost.size(), 2u);
  EXPECT_EQ(lost[0].detail, "signal: worker 5000001 killed by signal 9 (SIGKILL)");
  EXPECT_EQ(lost[1].detail, "oom: worker 5000002 killed by the kernel's OOM killer (signal 9)");
  EXPECT_EQ(listener_.Restarts(), (std::vector<std::string>{"signal", "oom"}));
}

// ---- crash loops ------------------------------------------------------------

TEST_F(WorkerPoolTest, WorkersDyingYoungOnTheirOwnBackOffDoublingAndAHealthyOneResetsIt) {
  WorkerPool& pool = Start(1);
  GreetAll();
  std::vector<long long> waits;
  for (int i = 0; i < 9; ++i) {
    spawner_.last()->Exit(1);  // soon after its hello, with no task
    pool.ReapExited();
    ASSERT_TRUE(pool.TimeUntilNextDeadline().has_value());
    const auto wait = *pool.TimeUntilNextDeadline();
    waits.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(wait).count());
    const std::size_t before = spawner_.spawned.size();
    clock_.Advance(wait - 1ms);
    pool.RunExpired();
    EXPECT_EQ(spawner_.spawned.size(), before);
    clock_.Advance(1ms);
    pool.RunExpired();
    ASSERT_EQ(spawner_.spawned.size(), before + 1);
    GreetAll();
  }
  EXPECT_EQ(waits, (std::vector<long long>{100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000}));
  // One that lives past a second before dying resets the backoff.
  clock_.Advance(1s);
  spawner_.last()->Exit(1);
  const std::size_t before = spawner_.spawned.size();
  pool.ReapExited();
  EXPECT_EQ(spawner_.spawned.size(), before + 1);
  GreetAll();
  spawner_.last()->Exit(1);
  pool.ReapExited();
  EXPECT_EQ(*pool.TimeUntilNextDeadline(), 100ms);
}

TEST_F(WorkerPoolTest, AWorkerKilledByItsTaskIsReplacedAtOnceHoweverOften) {
  WorkerPool& pool = Start(1);
  GreetAll();
  for (std::uint64_t id = 1; id <= 30; ++id) {
    Run(id)->Kill(SIGSEGV);
    const std::size_t before = spawner_.spawned.size();
    pool.ReapExited();
    ASSERT_EQ(spawner_.spawned.size(), before + 1) << "crash " << id;
    GreetAll();
  }
  EXPECT_EQ(listener_.Of("lost").size(), 30u);
}

TEST_F(WorkerPoolTest, ASpawnThatFailsIsRetriedLater) {
  WorkerPool& pool = Start(1);
  GreetAll();
  spawner_.fail_with = "fork: Resource temporarily unavailable";
  Run(1)->Kill(SIGSEGV);
  pool.ReapExited();
  EXPECT_EQ(pool.live(), 0u);
  spawner_.fail_with.reset();
  clock_.Advance(9999ms);
  pool.RunExpired();
  EXPECT_EQ(pool.live(), 0u);
  clock_.Advance(1ms);
  pool.RunExpired();
  EXPECT_EQ(pool.live(), 1u);
}

// ---- timeouts and cancel ----------------------------------------------------

TEST_F(WorkerPoolTest, ATaskPastItsDeadlineIsReportedTimedOutAndItsWorkerStoppedAndReplaced) {
  WorkerPool& pool = Start(1);
  GreetAll();
  auto w = Run(4, 500ms);
  w->dies_on_term = false;
  clock_.Advance(499ms);
  pool.RunExpired();
  EXPECT_TRUE(listener_.Of("timed_out").empty());
  clock_.Advance(1ms);
  pool.RunExpired();
  ASSERT_EQ(listener_.Of("timed_out").size(), 1u);
  EXPECT_EQ(w->signals, std::vector<int>{SIGTERM});
  EXPECT_EQ(States(), std::vector<std::string>{"stopping"});
  // It ignores SIGTERM: SIGKILL after the grace.
  clock_.Advance(2s);
  pool.RunExpired();
  EXPECT_EQ(w->signals, (std::vector<int>{SIGTERM, SIGKILL}));
  pool.ReapExited();
  EXPECT_TRUE(listener_.Of("lost").empty());  // answered as timed out already
  EXPECT_EQ(listener_.Restarts(), std::vector<std::string>{"stopped"});  // SIGKILL or not
  EXPECT_EQ(spawner_.spawned.size(), 2u);
  EXPECT_EQ(States(), std::vector<std::string>{"starting"});
}

TEST_F(WorkerPoolTest, TheStackIsCapturedBeforeTheWorkerIsStoppedAndSigtermWaitsForTheTool) {
  // /bin/echo as the "stack tool": it prints its arguments (gdb's, with the
  // pid) and exits at once.
  PoolSettings s = Settings();
  s.stack_tool = "/bin/echo";
  WorkerPool& pool = Start(1, s);
  GreetAll();
  auto w = Run(4, 100ms);
  clock_.Advance(100ms);
  pool.RunExpired();
  EXPECT_TRUE(w->signals.empty());  // capturing first
  ASSERT_TRUE(tq::testing::WaitFor([&] {
    Poll();
    return !listener_.Of("timed_out").empty();
  })) << "the capture never finished";
  EXPECT_NE(listener_.Of("timed_out")[0].detail.find("-p 5000001"), std::string::npos)
      << listener_.Of("timed_out")[0].detail;
  // The worker is stopped only once the tool has been reaped.
  ASSERT_TRUE(tq::testing::WaitFor([&] {
    pool.ReapExited();
    return !w->signals.empty();
  })) << "SIGTERM never went to the worker";
  EXPECT_EQ(w->signals, std::vector<int>{SIGTERM});
  pool.ReapExited();
  EXPECT_EQ(spawner_.spawned.size(), 2u);
}

TEST_F(WorkerPoolTest, StoppingACancelledTaskTerminatesItsWorkerWithoutReportingItLost) {
  WorkerPool& pool = Start(1);
  GreetAll();
  auto w = Run(9);
  EXPECT_FALSE(pool.StopTask(10));
  EXPECT_TRUE(pool.StopTask(9));
  EXPECT_EQ(w->signals, std::vector<int>{SIGTERM});
  pool.ReapExited();
  EXPECT_TRUE(listener_.Of("lost").empty());
  EXPECT_EQ(listener_.Restarts(), std::vector<std::string>{"stopped"});
  EXPECT_EQ(spawner_.spawned.size(), 2u);  // expected: no backoff
}

// ---- recycling, resizing, shutdown ----------------------------------------

TEST_F(WorkerPoolTest, AWorkerIsRecycledBetweenTasksAfterMaxTasks) {
  PoolSettings s = Settings();
  s.max_tasks_per_worker = 2;
  WorkerPool& pool = Start(1, s);
  GreetAll();
  auto w = Run(1);
  w->Result(1);
  Poll();
  EXPECT_FALSE(w->InputClosed());
  EXPECT_EQ(Run(2), w);
  w->Result(2);
  Poll();
  EXPECT_TRUE(w->InputClosed());  // told to go: it exits on EOF
  EXPECT_TRUE(w->signals.empty());
  w->Exit(0);
  pool.ReapExited();
  EXPECT_EQ(spawner_.spawned.size(), 2u);  // at once: it was asked to go
  EXPECT_EQ(listener_.Restarts(), std::vector<std::string>{"recycled"});
}

TEST_F(WorkerPoolTest, AWorkerIsRecycledBetweenTasksAboveMaxRss) {
  PoolSettings s = Settings();
  s.max_rss_bytes = 100 << 20;
  WorkerPool& pool = Start(1, s);
  GreetAll();
  auto w = Run(1);
  w->rss_bytes = 50 << 20;
  w->Result(1);
  Poll();
  EXPECT_FALSE(w->InputClosed());
  Run(2);
  w->rss_bytes = 101 << 20;
  w->Result(2);
  Poll();
  EXPECT_TRUE(w->InputClosed());
  w->Exit(0);
  pool.ReapExited();
  EXPECT_EQ(spawner_.spawned.size(), 2u);
  EXPECT_EQ(listener_.Restarts(), std::vector<std::string>{"recycled"});
}

TEST_F(WorkerPoolTest, ARetiredWorkerThatIgnoresEofIsKilledAfterTheGrace) {
  PoolSettings s = Settings();
  s.max_tasks_per_worker = 1;
  WorkerPool& pool = Start(1, s);
  GreetAll();
  auto w = Run(1);
  w->Result(1);
  Poll();
  clock_.Advance(2s);
  pool.RunExpired();
  EXPECT_EQ(w->signals, std::vector<int>{SIGKILL});
}

TEST_F(WorkerPoolTest, ShrinkingRetiresIdleWorkersAtOnceAndBusyOnesAfterTheirTask) {
  WorkerPool& pool = Start(3);
  GreetAll();
  auto busy = Run(1);  // slot 0
  pool.Resize(1);
  // Slots 1 and 2 were idle: told to go.
  EXPECT_TRUE(spawner_.spawned[1]->InputClosed());
  EXPECT_TRUE(spawner_.spawned[2]->InputClosed());
  spawner_.spawned[1]->Exit(0);
  spawner_.spawned[2]->Exit(0);
  pool.ReapExited();
  EXPECT_EQ(pool.live(), 1u);
  EXPECT_EQ(spawner_.spawned.size(), 3u);  // not replaced

  pool.Resize(0);
  EXPECT_FALSE(busy->InputClosed());  // still running its task
  busy->Result(1);
  Poll();
  EXPECT_EQ(listener_.Of("result").size(), 1u);
  EXPECT_TRUE(busy->InputClosed());
  busy->Exit(0);
  pool.ReapExited();
  EXPECT_EQ(pool.live(), 0u);

  pool.Resize(2);
  EXPECT_EQ(pool.live(), 2u);
  EXPECT_EQ(spawner_.spawned.size(), 5u);
  EXPECT_TRUE(listener_.Restarts().empty());  // retired, not restarted
}

TEST_F(WorkerPoolTest, GrowingBackBeforeARetiredWorkerLeftReplacesItWhenItGoes) {
  WorkerPool& pool = Start(2);
  GreetAll();
  pool.Resize(1);
  pool.Resize(2);
  EXPECT_EQ(spawner_.spawned.size(), 2u);  // slot 1 is still leaving
  spawner_.spawned[1]->Exit(0);
  pool.ReapExited();
  EXPECT_EQ(spawner_.spawned.size(), 3u);
  EXPECT_EQ(pool.live(), 2u);
}

TEST_F(WorkerPoolTest, ShutdownRetiresIdleWorkersAndLetsRunningTasksFinish) {
  WorkerPool& pool = Start(2);
  GreetAll();
  auto busy = Run(1);
  pool.BeginShutdown();
  auto idle = spawner_.spawned[0] == busy ? spawner_.spawned[1] : spawner_.spawned[0];
  EXPECT_TRUE(idle->InputClosed());
  EXPECT_FALSE(busy->InputClosed());
  idle->Exit(0);
  pool.ReapExited();
  EXPECT_FALSE(pool.AllExited());
  busy->Result(1);
  Poll();
  EXPECT_EQ(listener_.Of("result").size(), 1u);
  busy->Exit(0);
  pool.ReapExited();
  EXPECT_TRUE(pool.AllExited());
  EXPECT_EQ(spawner_.spawned.size(), 2u);  // nothing respawned while stopping
  EXPECT_TRUE(listener_.Restarts().empty());
}

TEST_F(WorkerPoolTest, ACrashDuringShutdownIsReportedButNotReplaced) {
  WorkerPool& pool = Start(1);
  GreetAll();
  auto busy = Run(1);
  pool.BeginShutdown();
  busy->Kill(SIGSEGV);
  pool.ReapExited();
  EXPECT_EQ(listener_.Of("lost").size(), 1u);
  EXPECT_TRUE(pool.AllExited());
  EXPECT_EQ(spawner_.spawned.size(), 1u);
  EXPECT_EQ(listener_.Restarts(), std::vector<std::string>{"signal"});  // not retired
}

}  // namespace
}  // namespace tq::daemon

namespace tq::daemon {
namespace {

// ---- prefetch ---------------------------------------------------------------

using Events = std::vector<std::string>;

TEST_F(WorkerPoolTest, WithHistoryWithinTheBudgetABusyWorkerTakesTasksAheadAndEachResultStartsTheNext) {
  auto w = StartPrefetching();
  EXPECT_FALSE(pool_->FindIdle().has_value());
  SendAhead(2);
  SendAhead(3);
  EXPECT_EQ(pool_->prefetched(), 2u);
  // All three are in the worker's pipe, in order.
  EXPECT_EQ(w->ReadTask(), 2u);
  EXPECT_EQ(w->ReadTask(), 3u);
  w->Result(1);
  Poll();
  EXPECT_EQ(Trace(), (Events{"result 1", "started 2"}));
  pool_->ForEachWorker([](const WorkerView& v) { EXPECT_EQ(v.task_id, 2u); });
  w->Result(2);
  w->Result(3);
  Poll();
  EXPECT_EQ(Trace(), (Events{"result 1", "started 2", "result 2", "started 3", "result 3"}));
  EXPECT_EQ(pool_->prefetched(), 0u);
  EXPECT_EQ(States(), Events{"idle"});
}

TEST_F(WorkerPoolTest, NothingIsSentAheadOfUnknownOrTimedTasksNorPastTheBudgetOrTheDepth) {
  auto w = StartPrefetching(Settings(), 600us);
  // The task to send has no history, or would itself queue more than 1 ms
  // and its eighth of slack, or the depth allows none.
  EXPECT_FALSE(pool_->FindPrefetchSlot(0us, 8).has_value());
  EXPECT_FALSE(pool_->FindPrefetchSlot(1126us, 8).has_value());
  EXPECT_FALSE(pool_->FindPrefetchSlot(100us, 0).has_value());
  EXPECT_TRUE(pool_->FindPrefetchSlot(400us, 8).has_value());
  w->Result(1);
  Poll();
  // Behind a task without history, or with a deadline: nothing.
  pool_->Dispatch(0, proto::TaskAssignment{2, "f", "", false}, 0ms, 0us);
  EXPECT_FALSE(pool_->FindPrefetchSlot(100us, 8).has_value());
  w->Result(2);
  Poll();
  pool_->Dispatch(0, proto::TaskAssignment{3, "f", "", false}, 5000ms, 100us);
  EXPECT_FALSE(pool_->FindPrefetchSlot(100us, 8).has_value());
}

TEST_F(WorkerPoolTest, WhatWaitsBehindTheRunningTaskIsWhatTheBudgetCountsNotTheRunningTaskToo) {
  // A running task as long as the budget still has the budget's worth sent
  // ahead of it: 1 ms behind 1 ms, then nothing more.
  auto w = StartPrefetching(Settings(), 1000us);
  SendAhead(2, 600us);
  SendAhead(3, 400us);
  // The budget's eighth of slack (125 µs) is all that is left.
  EXPECT_FALSE(pool_->FindPrefetchSlot(126us, 8).has_value());
  EXPECT_EQ(w->ReadTask(), 2u);
  EXPECT_EQ(w->ReadTask(), 3u);
  // Once 2 runs, only 3 waits behind it: room for 600 µs more (and slack).
  w->Result(1);
  Poll();
  EXPECT_FALSE(pool_->FindPrefetchSlot(726us, 8).has_value());
  SendAhead(4, 600us);
}

TEST_F(WorkerPoolTest, NothingIsSentAheadOfARunningTaskExpectedToTakeLongerThanTheBudget) {
  // Longer than the budget and its eighth of slack (1 ms + 125 µs).
  auto w = StartPrefetching(Settings(), 1126us);
  EXPECT_FALSE(pool_->FindPrefetchSlot(1us, 8).has_value());
  w->Result(1);
  Poll();
  PoolSettings s = Settings();
  s.prefetch_budget = 2ms;
  pool_->set_settings(s);
  pool_->Dispatch(0, proto::TaskAssignment{2, "f", "", false}, 0ms, 1126us);
  EXPECT_TRUE(pool_->FindPrefetchSlot(1us, 8).has_value());
}

TEST_F(WorkerPoolTest, ATaskMeasuredALittleOverTheBudgetStillHasOneOfItsLengthSentAhead) {
  // A task that runs for the budget measures a little over it: within an
  // eighth, it counts as the budget's length, running or waiting.
  StartPrefetching(Settings(), 1050us);
  ASSERT_EQ(pool_->FindPrefetchSlot(1050us, 8), std::optional<int>(0));
  pool_->Prefetch(0, proto::TaskAssignment{2, "f", "", false}, 1050us);
  EXPECT_FALSE(pool_->FindPrefetchSlot(1050us, 8).has_value());  // 2.1 ms would wait
}

TEST_F(WorkerPoolTest, ATaskGoesAheadToTheWorkerItWouldWaitLeastBehind) {
  Start(2);
  for (const auto& w : spawner_.spawned) w->prefetch = true;
  GreetAll();
  // Slot 0 runs a 900 µs task with nothing queued; slot 1 a 100 µs one
  // with 300 µs queued behind it: 1 waits less.
  pool_->Dispatch(0, proto::TaskAssignment{1, "f", "", false}, 0ms, 900us);
  pool_->Dispatch(1, proto::TaskAssignment{2, "f", "", false}, 0ms, 100us);
  pool_->Prefetch(1, proto::TaskAssignment{3, "f", "", false}, 300us);
  EXPECT_EQ(pool_->FindPrefetchSlot(100us, 8), std::optional<int>(1));
}

TEST_F(WorkerPoolTest, AWorkerThatDoesNotSayItTakesPrefetchIsSentNothingAhead) {
  WorkerPool& pool = Start(1);
  GreetAll();  // a hello without `prefetch`
  pool.Dispatch(0, proto::TaskAssignment{1, "f", "", false}, 0ms, 100us);
  EXPECT_FALSE(pool.FindPrefetchSlot(100us, 8).has_value());
}

TEST_F(WorkerPoolTest, AWorkerThatDiesReturnsWhatWasSentAheadAndLosesOnlyItsRunningTask) {
  auto w = StartPrefetching();
  SendAhead(2);
  SendAhead(3);
  // It answered 1 and died running 2: 3 never started.
  w->Result(1);
  w->Kill(SIGKILL);
  pool_->ReapExited();
  EXPECT_EQ(Trace(), (Events{"result 1", "started 2", "lost 2", "returned 3", "restart 0"}));
}

TEST_F(WorkerPoolTest, AStoppedWorkerReturnsWhatWasSentAheadOnceReaped) {
  auto w = StartPrefetching();
  SendAhead(2);
  EXPECT_TRUE(pool_->StopTask(1));
  EXPECT_EQ(w->signals, std::vector<int>{SIGTERM});
  pool_->ReapExited();
  EXPECT_EQ(Trace(), (Events{"returned 2", "restart 0"}));
}

TEST_F(WorkerPoolTest, ADroppedTaskIsReportedWhenTheWorkerSaysItAndTheOnesBehindItRunOn) {
  auto w = StartPrefetching();
  SendAhead(2);
  SendAhead(3);
  EXPECT_TRUE(pool_->DropPrefetched(2));
  EXPECT_TRUE(pool_->DropPrefetched(2));  // asked once
  EXPECT_FALSE(pool_->DropPrefetched(1));  // running: not sent ahead
  EXPECT_FALSE(pool_->DropPrefetched(99));
  EXPECT_EQ(w->ReadTask(), 2u);
  EXPECT_EQ(w->ReadTask(), 3u);
  EXPECT_EQ(w->ReadTask(), std::nullopt);
  EXPECT_EQ(w->drops, std::vector<std::uint64_t>{2});
  // The result of 1 does not tell whether 2 started: only the worker's
  // answer does.
  w->Result(1);
  Poll();
  EXPECT_EQ(Trace(), (Events{"result 1"}));
  w->Dropped(2);
  w->Result(3);
  Poll();
  EXPECT_EQ(Trace(), (Events{"result 1", "dropped 2", "started 3", "result 3"}));
  EXPECT_EQ(States(), Events{"idle"});
}

TEST_F(WorkerPoolTest, ATaskDroppedTooLateToStopItEndsWithItsResult) {
  auto w = StartPrefetching();
  SendAhead(2);
  EXPECT_TRUE(pool_->DropPrefetched(2));
  w->Result(1);
  w->Result(2);  // it had started before the drop reached it
  Poll();
  EXPECT_EQ(Trace(), (Events{"result 1", "started 2", "result 2"}));
}

TEST_F(WorkerPoolTest, AWorkerDyingWithADroppedTaskUndecidedLosesIt) {
  auto w = StartPrefetching();
  SendAhead(2);
  EXPECT_TRUE(pool_->DropPrefetched(2));
  w->Result(1);
  w->Kill(SIGKILL);
  pool_->ReapExited();
  EXPECT_EQ(Trace(), (Events{"result 1", "lost 2", "restart 0"}));
}

TEST_F(WorkerPoolTest, ADroppedFrameForATaskNotBeingDroppedExpelsTheWorker) {
  auto w = StartPrefetching();
  SendAhead(2);
  w->Dropped(2);
  Poll();
  EXPECT_EQ(w->signals, std::vector<int>{SIGKILL});
  pool_->ReapExited();
  ASSERT_EQ(listener_.Of("lost").size(), 1u);
  EXPECT_EQ(listener_.Of("lost")[0].detail,
            "protocol: worker 5000001 said it dropped task 2, which it was not asked to "
            "drop; killed");
  EXPECT_EQ(listener_.Of("returned").size(), 1u);
}

TEST_F(WorkerPoolTest, AWorkerDueToBeRecycledTakesNoTaskItWouldNotRun) {
  PoolSettings s = Settings();
  s.max_tasks_per_worker = 2;
  auto w = StartPrefetching(s);
  SendAhead(2);  // its second and last
  EXPECT_EQ(w->ReadTask(), 2u);
  EXPECT_FALSE(pool_->FindPrefetchSlot(100us, 8).has_value());
  w->Result(1);
  w->Result(2);
  Poll();
  EXPECT_TRUE(w->InputClosed());  // recycled once both ran
  EXPECT_EQ(Trace(), (Events{"result 1", "started 2", "result 2"}));
}

TEST_F(WorkerPoolTest, AShrinkingPoolRunsWhatWasSentAheadBeforeRetiringTheWorker) {
  auto w = StartPrefetching();
  SendAhead(2);
  EXPECT_EQ(w->ReadTask(), 2u);
  pool_->Resize(0);
  EXPECT_FALSE(pool_->FindPrefetchSlot(100us, 8).has_value());
  w->Result(1);
  Poll();
  EXPECT_FALSE(w->InputClosed());
  w->Result(2);
  Poll();
  EXPECT_TRUE(w->InputClosed());
  EXPECT_EQ(Trace(), (Events{"result 1", "started 2", "result 2"}));
}

}  // namespace
}  // namespace tq::daemon
