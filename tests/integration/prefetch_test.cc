// Prefetch (README "Prefetch"): short tasks sent to busy workers ahead of
// need, with a real tqd, real workers and real ZeroMQ. Tasks of
// `record_after` wait while a gate file exists, so that what is running,
// what waits in a worker's pipe and what waits in tqd's queue hold still
// while the test looks; their history from a warm-up run says they are
// short. The budget is set far above any run time, so that what is sent
// ahead does not depend on how fast this machine is; the depth (32 a
// worker) is what bounds it.
#include <gtest/gtest.h>
#include <signal.h>
#include <tq/client.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <string>
#include <vector>

#include "testing/temp_dir.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::LibPath;
using testing::Lines;
using testing::TqdOptions;
using testing::TqdProcess;
using testing::WaitFor;

// tqd's most tasks sent ahead to one worker (Supervisor::kMaxPrefetch).
constexpr int kDepth = 32;

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class PrefetchTest : public ::testing::Test {
 protected:
  void Start(int workers, bool durable = false) {
    TqdOptions o;
    o.workers = workers;
    // TqdProcess runs tqd with --log-level debug, which says each task sent ahead.
    o.extra_args = {"--plugin", LibPath("libtq_supervision_tasks.so"), "--prefetch-budget",
                    "1h", durable ? "--durable" : "--no-durable"};
    tqd_ = std::make_unique<TqdProcess>(o);
    client_ = std::make_unique<Client>(tqd_->endpoint());
    // Each worker learns nothing, tqd learns the function is short.
    for (int i = 0; i < 3; ++i) {
      client_->apply<std::string>("record_after", warm_, "warm", gate_);
      client_->apply<std::string>("progress_record_after", warm_, "warm", gate_);
    }
  }

  AsyncResult<std::string> Submit(const std::string& token, int priority = 0,
                                  std::chrono::milliseconds timeout = 0ms) {
    SubmitOptions o;
    o.priority = priority;
    o.timeout = timeout;
    return client_->apply_async<std::string>(o, "record_after", record_, token, gate_);
  }

  void CloseGate() { std::ofstream(gate_) << "closed"; }
  // With the gate closed, t0..t5 to the one worker: t0 runs (held), the
  // others are sent ahead to it.
  std::vector<AsyncResult<std::string>> HoldSix() {
    CloseGate();
    std::vector<AsyncResult<std::string>> sent;
    for (int i = 0; i < 6; ++i) sent.push_back(Submit("t" + std::to_string(i)));
    EXPECT_TRUE(WaitFor([&] { return SentAhead() == 5; }));
    return sent;
  }
  // With the gate closed, `prefix`0..`prefix`(n-1) to the one worker, n >
  // kDepth: the first runs (held), the next kDepth wait in its pipe, the
  // rest in tqd's queue.
  std::vector<AsyncResult<std::string>> FillThePipe(int n, const std::string& prefix) {
    CloseGate();
    std::vector<AsyncResult<std::string>> sent;
    for (int i = 0; i < n; ++i) sent.push_back(Submit(prefix + std::to_string(i)));
    for (auto& r : sent) EXPECT_NE(r.raw().wait_accepted(), 0u);
    EXPECT_TRUE(WaitFor([&] { return SentAhead() == kDepth; }));
    return sent;
  }
  void OpenGate() { std::filesystem::remove(gate_); }
  // Tasks tqd has sent ahead so far (its debug log says each).
  std::size_t SentAhead() const { return Count(tqd_->Log(), "sent ahead to worker"); }

  std::unique_ptr<TqdProcess> tqd_;
  std::unique_ptr<Client> client_;
  testing::TempDir dir_;
  std::string record_ = dir_.File("record");  // what the tasks ran, in order
  std::string warm_ = dir_.File("warm");
  std::string gate_ = dir_.File("gate");
};

TEST_F(PrefetchTest, ManyShortTasksAreSentAheadAndEachRunsOnceWithItsOwnResult) {
  for (const bool durable : {false, true}) {
    SCOPED_TRACE(durable ? "durable" : "not durable");
    Start(2, durable);
    std::filesystem::remove(record_);
    std::vector<AsyncResult<std::string>> sent;
    constexpr int kTasks = 2000;
    for (int i = 0; i < kTasks; ++i) sent.push_back(Submit("t" + std::to_string(i)));
    for (int i = 0; i < kTasks; ++i) {
      EXPECT_EQ(sent[static_cast<std::size_t>(i)].get(), "t" + std::to_string(i));
    }
    std::map<std::string, int> ran;
    for (const std::string& token : Lines(record_)) ++ran[token];
    EXPECT_EQ(ran.size(), static_cast<std::size_t>(kTasks));
    for (const auto& [token, n] : ran) EXPECT_EQ(n, 1) << token;
    EXPECT_GT(SentAhead(), 0u) << "nothing was sent ahead";
    client_.reset();
    tqd_.reset();
  }
}

TEST_F(PrefetchTest, AHighPriorityTaskRunsBeforeEveryQueuedLowerOneWithWorkSentAheadInFlight) {
  Start(1);
  constexpr int kLow = 50;
  // low0 runs (held at the gate); low1..low32 wait in the worker's pipe;
  // the rest in tqd's queue.
  std::vector<AsyncResult<std::string>> low = FillThePipe(kLow, "low");
  ASSERT_EQ(SentAhead(), static_cast<std::size_t>(kDepth));
  auto high = Submit("high", 10);
  ASSERT_NE(high.raw().wait_accepted(), 0u);
  EXPECT_EQ(client_->status(low[1].task_id()).state, TaskState::kQueued);  // sent ahead
  OpenGate();
  EXPECT_EQ(high.get(), "high");
  for (auto& r : low) r.get();
  // What was in the pipe could not be overtaken; everything queued was.
  std::vector<std::string> expected;
  for (int i = 0; i <= kDepth; ++i) expected.push_back("low" + std::to_string(i));
  expected.push_back("high");
  for (int i = kDepth + 1; i < kLow; ++i) expected.push_back("low" + std::to_string(i));
  EXPECT_EQ(Lines(record_), expected);
}

TEST_F(PrefetchTest, ATaskSentAheadAndCancelledEndsCancelledAndNeverRuns) {
  Start(1);
  std::vector<AsyncResult<std::string>> sent = HoldSix();
  ASSERT_EQ(SentAhead(), 5u);
  const std::uint64_t victim = sent[3].task_id();
  EXPECT_EQ(client_->status(victim).state, TaskState::kQueued);
  // The answer waits for the worker, which is held at the gate.
  auto cancelled = std::async(std::launch::async, [&] {
    Client other(tqd_->endpoint());
    return other.cancel(victim);
  });
  ASSERT_TRUE(WaitFor([&] { return tqd_->Log().find("asking its worker to drop it") !=
                                   std::string::npos; }));
  OpenGate();
  const TaskInfo info = cancelled.get();
  EXPECT_EQ(info.state, TaskState::kCancelled);
  EXPECT_EQ(info.attempts, 0u);  // as a queued task's cancel
  EXPECT_EQ(sent[3].raw().outcome().state, TaskState::kCancelled);
  for (int i : {0, 1, 2, 4, 5}) EXPECT_EQ(sent[static_cast<std::size_t>(i)].get(), "t" + std::to_string(i));
  EXPECT_EQ(Lines(record_), (std::vector<std::string>{"t0", "t1", "t2", "t4", "t5"}));
}

TEST_F(PrefetchTest, AKilledWorkerLosesOnlyItsRunningTaskAndWhatWasSentAheadRunsElsewhereInItsPlace) {
  Start(1);
  // t0 runs (held); t1..t32 (kDepth) wait in the worker's pipe; t33..t35
  // in tqd's queue.
  constexpr int kTasks = kDepth + 4;
  std::vector<AsyncResult<std::string>> sent = FillThePipe(kTasks, "t");
  ASSERT_EQ(SentAhead(), static_cast<std::size_t>(kDepth));
  const std::vector<pid_t> workers = tqd_->WorkerPids();
  ASSERT_EQ(workers.size(), 1u);
  ASSERT_EQ(::kill(workers[0], SIGKILL), 0);
  // t0 was running: lost. The others go back to the queue, not lost, and
  // t1..t32 have their places ahead of t33..t35 again.
  EXPECT_EQ(sent[0].raw().outcome().state, TaskState::kLost);
  ASSERT_TRUE(WaitFor([&] { return client_->status(sent[1].task_id()).state == TaskState::kRunning; }));
  OpenGate();
  std::vector<std::string> expected;
  for (int i = 1; i < kTasks; ++i) {
    EXPECT_EQ(sent[static_cast<std::size_t>(i)].get(), "t" + std::to_string(i));
    EXPECT_EQ(client_->status(sent[static_cast<std::size_t>(i)].task_id()).attempts, 1u);
    expected.push_back("t" + std::to_string(i));
  }
  EXPECT_EQ(Lines(record_), expected);
}

TEST_F(PrefetchTest, ATaskWithATimeoutIsNeverSentAheadAndNorIsWhatQueuesBehindIt) {
  Start(1);
  CloseGate();
  auto held = Submit("t0");
  auto ahead = Submit("t1");
  ASSERT_TRUE(WaitFor([&] { return SentAhead() == 1; }));
  // tqd answers ACCEPTED in the loop turn that dispatched what it could:
  // once it has, t2 would have been sent ahead already.
  auto timed = Submit("t2", 0, 60s);
  auto after = Submit("t3");
  ASSERT_NE(timed.raw().wait_accepted(), 0u);
  ASSERT_NE(after.raw().wait_accepted(), 0u);
  EXPECT_EQ(SentAhead(), 1u);
  OpenGate();
  EXPECT_EQ(held.get(), "t0");
  EXPECT_EQ(ahead.get(), "t1");
  EXPECT_EQ(timed.get(), "t2");
  EXPECT_EQ(after.get(), "t3");
  EXPECT_EQ(SentAhead(), 1u) << "t2 started from tqd's queue, with its deadline; t3 after it";
  EXPECT_EQ(Lines(record_), (std::vector<std::string>{"t0", "t1", "t2", "t3"}));
}

TEST_F(PrefetchTest, ATaskSentAheadThatStartedAndReportedProgressIsCancelledAsARunningOne) {
  Start(1);
  // t0 holds the worker at one gate; t1, sent ahead, starts once t0 ends,
  // says so, and holds at another; t2 waits behind it in the pipe.
  const std::string second_gate = dir_.File("second-gate");
  std::ofstream(second_gate) << "closed";
  CloseGate();
  auto t0 = Submit("t0");
  auto t1 = client_->apply_async<std::string>(SubmitOptions{}, "progress_record_after", record_,
                                              std::string("t1"), second_gate);
  auto t2 = Submit("t2");
  ASSERT_TRUE(WaitFor([&] { return SentAhead() == 2; }));
  OpenGate();
  EXPECT_EQ(t0.get(), "t0");
  ASSERT_TRUE(WaitFor([&] { return t1.progress().has_value(); }));
  EXPECT_EQ(t1.progress()->message, "at the gate");
  EXPECT_EQ(client_->status(t1.task_id()).state, TaskState::kRunning);
  const TaskInfo info = client_->cancel(t1.task_id());
  EXPECT_EQ(info.state, TaskState::kCancelled);
  EXPECT_EQ(info.attempts, 1u);  // it ran
  EXPECT_EQ(t1.raw().outcome().state, TaskState::kCancelled);
  // Its worker was stopped: t2 goes back to the queue and runs on the next.
  EXPECT_EQ(t2.get(), "t2");
  EXPECT_EQ(client_->status(t2.task_id()).attempts, 1u);
  std::filesystem::remove(second_gate);
  EXPECT_EQ(Lines(record_), (std::vector<std::string>{"t0", "t2"}));
}

}  // namespace
}  // namespace tq
