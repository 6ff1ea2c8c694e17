// TopScreen: what tq top shows for a given queue and pool, at a given size.
#include "top_screen.h"

#include <gtest/gtest.h>

namespace tq::cli {
namespace {

using namespace std::chrono_literals;

TopView View(int workers) {
  TopView v;
  v.endpoint = "ipc:///run/tq/tqd.sock";
  v.clock = "14:03:12";
  v.stats.queued = 7;
  v.stats.running = 2;
  v.stats.workers = static_cast<std::uint32_t>(workers);
  v.stats.busy = 2;
  v.stats.idle = static_cast<std::uint32_t>(workers - 2);
  v.stats.since_start.span = 3723s;
  v.stats.since_start.ended.done = 120;
  v.stats.since_start.restarts.stopped = 1;
  v.stats.last_minute.span = 64s;
  v.stats.last_minute.submitted = 64;
  v.stats.last_minute.ended.done = 32;
  v.stats.last_minute.run_time = {.count = 32, .p50 = 1200us, .p90 = 3ms, .p99 = 1s, .max = 2s};
  for (int i = 0; i < workers; ++i) {
    WorkerStatus w;
    w.slot = static_cast<std::uint32_t>(i);
    w.pid = static_cast<std::uint32_t>(4000 + i);
    w.state = i < 2 ? "busy" : "idle";
    if (i < 2) {
      w.task_id = static_cast<std::uint64_t>(10 + i);
      w.fn = i == 0 ? "resize" : "thumbnail";
      w.task_ms = i == 0 ? 1500 : 42000;
    }
    v.workers.push_back(w);
  }
  return v;
}

std::string Text(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += l + "\n";
  return out;
}

TEST(TopScreenTest, ShowsTheQueueTheMinuteEachWorkerAndTheSlowestTasksFirst) {
  const std::vector<std::string> lines = TopScreen(View(3), 40, 120);
  const std::string text = Text(lines);
  EXPECT_EQ(lines[0], "tq top  ipc:///run/tq/tqd.sock  up 1h02m  14:03:12  (q quits)");
  EXPECT_EQ(lines[1], "queue    7 queued   2 running   workers 3: 2 busy, 1 idle, 0 starting, "
                      "0 stopping");
  EXPECT_EQ(lines[2], "rate     1.00 submitted/s   0.50 ended/s   (last 1m04s)");
  EXPECT_NE(text.find("run      p50 1.20ms  p90 3.00ms  p99 1.00s  max 2.00s"), std::string::npos)
      << text;
  EXPECT_NE(text.find("restarts exit 0  signal 0  oom 0  protocol 0  recycled 0  stopped 1"),
            std::string::npos);
  EXPECT_NE(text.find("\n0     4000  busy   10    resize     1.50s"), std::string::npos) << text;
  EXPECT_NE(text.find("\n2     4002  idle   -     -          -"), std::string::npos) << text;
  const std::size_t slowest = text.find("SLOWEST RUNNING\nTASK  FUNCTION   WORKER  RUNNING\n"
                                        "11    thumbnail  4001    42.00s\n"
                                        "10    resize     4000    1.50s\n");
  EXPECT_NE(slowest, std::string::npos) << text;
}

TEST(TopScreenTest, ListsAsManyWorkersAsFitAndSaysHowManyDoNot) {
  const std::vector<std::string> lines = TopScreen(View(50), 24, 100);
  EXPECT_EQ(lines.size(), 24u);
  const std::string text = Text(lines);
  // 7 lines of header, 2 + 3 for the slowest tasks, 2 before the workers'
  // table: 10 lines for its header, 8 workers and the rest counted.
  EXPECT_NE(text.find("\n7     4007"), std::string::npos) << text;
  EXPECT_EQ(text.find("\n8     4008"), std::string::npos) << text;
  EXPECT_NE(text.find("\n42 more workers (a taller window lists them)\n"), std::string::npos)
      << text;
  EXPECT_EQ(lines.back(), "10    resize     4000    1.50s");
}

TEST(TopScreenTest, FitsATinyWindowLineByLineAndCharacterByCharacter) {
  const std::vector<std::string> lines = TopScreen(View(3), 5, 20);
  ASSERT_EQ(lines.size(), 5u);
  for (const std::string& l : lines) EXPECT_LE(l.size(), 20u) << l;
  EXPECT_EQ(lines[0], "tq top  ipc:///run/t");
}

TEST(TopScreenTest, SaysWhyTheLastRefreshFailed) {
  TopView v = View(2);
  v.error = "no tqd at /run/tq/tqd.sock (is tqd running?)";
  EXPECT_EQ(TopScreen(v, 40, 120)[1], "tqd: no tqd at /run/tq/tqd.sock (is tqd running?) (retrying)");
}

}  // namespace
}  // namespace tq::cli
