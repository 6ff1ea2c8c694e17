// Progress reports from inside a task, and the listings of the pool and the
// queue, against a real tqd.
#include <gtest/gtest.h>
#include <tq/client.h>

#include <mutex>

#include "testing/run_command.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::BinPath;
using testing::LibPath;
using testing::TqdProcess;

testing::TqdOptions WithTasks() {
  return {.extra_args = {"--plugin", LibPath("libtq_supervision_tasks.so")}};
}

TEST(ProgressTest, ReportsArriveInOrderAndEndWithTheLast) {
  TqdProcess tqd(WithTasks());
  Client client(tqd.endpoint());
  std::mutex mu;
  std::vector<Progress> seen;
  auto r = client.apply_async<int>("steps", 30, 10);
  r.on_progress([&](const Progress& p) {
    std::lock_guard lock(mu);
    seen.push_back(p);
  });
  EXPECT_EQ(r.get(20s), 30);
  ASSERT_TRUE(testing::WaitFor([&] {
    std::lock_guard lock(mu);
    return !seen.empty() && seen.back().done == 30;
  }));
  std::lock_guard lock(mu);
  // Rate-limited (about 20 a second), so fewer than 30, but never out of
  // order and never missing the last.
  EXPECT_GE(seen.size(), 2u);
  EXPECT_LT(seen.size(), 30u);
  for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_GT(seen[i].done, seen[i - 1].done);
  EXPECT_EQ(seen.back().total, 30);
  EXPECT_EQ(seen.back().message, "step 30");
}

TEST(ProgressTest, TheLatestReportIsKeptOnTheFuture) {
  TqdProcess tqd(WithTasks());
  Client client(tqd.endpoint());
  auto r = client.apply_async<int>("steps", 3, 200);
  EXPECT_TRUE(testing::WaitFor([&] { return r.progress().has_value(); }));
  EXPECT_EQ(r.get(20s), 3);
  ASSERT_TRUE(r.progress());
  EXPECT_EQ(r.progress()->done, 3);
}

TEST(ListingTest, WorkersShowsEachWorkerAndWhatItRuns) {
  TqdProcess tqd(WithTasks());
  Client client(tqd.endpoint());
  auto r = client.apply_async<msgpack::type::nil_t>("sleep", 30000);
  ASSERT_TRUE(testing::WaitFor([&] {
    for (const WorkerStatus& w : client.workers()) {
      if (w.state == "busy" && w.task_id == r.task_id() && w.fn == "sleep") return true;
    }
    return false;
  }));
  const auto workers = client.workers();
  ASSERT_EQ(workers.size(), 2u);
  for (const WorkerStatus& w : workers) {
    EXPECT_GT(w.pid, 0u);
    EXPECT_GT(w.rss_bytes, 0u);
  }
  auto table = testing::RunCommand({BinPath("tq"), "--endpoint", tqd.endpoint(), "workers"});
  EXPECT_EQ(table.code(), 0) << table.err;
  EXPECT_EQ(table.out.rfind("SLOT  PID", 0), 0u) << table.out;
  EXPECT_NE(table.out.find("busy"), std::string::npos) << table.out;
  auto json = testing::RunCommand(
      {BinPath("tq"), "--endpoint", tqd.endpoint(), "workers", "--json"});
  EXPECT_NE(json.out.find("\"fn\":\"sleep\""), std::string::npos) << json.out;
  r.cancel();
}

TEST(ListingTest, StatsCountEndedTasksAndListTheRecent) {
  TqdProcess tqd(WithTasks());
  Client client(tqd.endpoint());
  client.apply<int>("pid");
  EXPECT_THROW(client.apply<int>("fail", std::string("x")), RemoteError);
  auto delayed = client.apply_async<int>({.delay = 60s}, "pid");
  ASSERT_TRUE(testing::WaitFor([&] { return delayed.task_id() != 0; }));
  const QueueStats s = client.stats();
  EXPECT_EQ(s.queued, 1u);
  EXPECT_EQ(s.since_start.ended.done, 1u);
  EXPECT_EQ(s.since_start.ended.failed, 1u);
  EXPECT_EQ(s.workers, 2u);
  ASSERT_EQ(s.recent.size(), 2u);
  EXPECT_EQ(s.recent[0].fn, "fail");  // newest first
  EXPECT_EQ(s.recent[1].fn, "pid");
  auto text = testing::RunCommand({BinPath("tq"), "--endpoint", tqd.endpoint(), "status"});
  EXPECT_EQ(text.code(), 0) << text.err;
  EXPECT_NE(text.out.find("queued 1, running 0, workers 2"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("TASK"), std::string::npos) << text.out;
}

TEST(ProgressCliTest, OutputToAPipeHasNoControlCharacters) {
  TqdProcess tqd(WithTasks());
  std::string in;
  for (int i = 0; i < 50; ++i) in += std::to_string(i) + "\n";
  auto map = testing::RunCommand({BinPath("tq"), "--endpoint", tqd.endpoint(), "map", "echo"},
                                 in);
  auto wait = testing::RunCommand(
      {BinPath("tq"), "--endpoint", tqd.endpoint(), "submit", "--wait", "steps", "5", "30"});
  EXPECT_EQ(wait.code(), 0) << wait.err;
  for (const auto* r : {&map, &wait}) {
    for (char c : r->out + r->err) {
      EXPECT_TRUE(c == '\n' || (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f))
          << "control character " << static_cast<int>(c) << " in: " << r->out << r->err;
    }
  }
  // Forced on, the bar is drawn even to a pipe.
  auto forced = testing::RunCommand({BinPath("tq"), "--endpoint", tqd.endpoint(), "submit",
                                     "--wait", "--progress", "steps", "5", "100"});
  EXPECT_NE(forced.err.find("\r"), std::string::npos);
  EXPECT_NE(forced.err.find("step"), std::string::npos) << forced.err;
}

}  // namespace
}  // namespace tq
