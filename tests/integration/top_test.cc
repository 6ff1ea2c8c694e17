// tq top on a real terminal: a tmux server of the test's own (its socket in
// the test's temp dir) runs tq top in a detached window of a known size;
// capture-pane reads the screen, send-keys types, resize-window resizes.
// A known workload (two sleeps running, three queued) must show on it, and
// q or ^C must end tq top with status 0 and the terminal as it was.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "testing/run_command.h"
#include "testing/temp_dir.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using testing::BinPath;
using testing::RunCommand;
using testing::TqdProcess;

// tmux's path, or "" if it is not installed.
std::string TmuxPath() {
  std::string out = RunCommand({"/bin/sh", "-c", "command -v tmux"}).out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// One tmux server and session, killed (by its pid) with the object.
class Tmux {
 public:
  // Runs `command` (sh syntax) in a window of cols x rows.
  Tmux(const std::string& command, int cols, int rows) {
    const auto r = Run({"-f", "/dev/null", "new-session", "-d", "-s", "t", "-x",
                        std::to_string(cols), "-y", std::to_string(rows), command});
    EXPECT_EQ(r.code(), 0) << r.err;
    const auto pid = Run({"display-message", "-p", "-t", "t", "#{pid}"});
    server_pid_ = pid.code() == 0 ? std::stoi(pid.out) : 0;
  }
  ~Tmux() {
    (void)Run({"kill-server"});
    if (server_pid_ > 0 && testing::ProcessAlive(server_pid_)) ::kill(server_pid_, SIGKILL);
  }

  std::string Screen() { return Run({"capture-pane", "-p", "-t", "t"}).out; }
  void Keys(const std::string& keys) { (void)Run({"send-keys", "-t", "t", keys}); }
  void Resize(int cols, int rows) {
    (void)Run({"resize-window", "-t", "t", "-x", std::to_string(cols), "-y",
               std::to_string(rows)});
  }

 private:
  testing::CommandResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), {TmuxPath(), "-S", dir_.File("tmux.sock")});
    return RunCommand(args);
  }

  testing::TempDir dir_;
  pid_t server_pid_ = 0;
};

class TopTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (TmuxPath().empty()) GTEST_SKIP() << "tmux is not installed";
    // Three tasks done and one failed; then two sleeps running on the two
    // workers, three queued behind them.
    for (const char* value : {"1", "2", "3"}) {
      ASSERT_EQ(RunCommand({BinPath("tq"), "--endpoint", tqd_.endpoint(), "call", "echo", value})
                    .code(),
                0);
    }
    ASSERT_EQ(RunCommand({BinPath("tq"), "--endpoint", tqd_.endpoint(), "call", "fail", "\"no\""})
                  .code(),
              1);
    for (int i = 0; i < 5; ++i) {
      const auto r = RunCommand({BinPath("tq"), "--endpoint", tqd_.endpoint(), "submit",
                                 "sleep", "600000"});
      ASSERT_EQ(r.code(), 0) << r.err;
    }
    ASSERT_TRUE(testing::WaitFor("2 running, 3 queued", [&] {
      const auto r = RunCommand({BinPath("tq"), "--endpoint", tqd_.endpoint(), "stats", "--json"});
      const auto s = nlohmann::json::parse(r.out);
      return s["running"] == 2 && s["queued"] == 3;
    }));
  }

  // tq top in a shell that, once it exits, says how and whether the
  // terminal's settings are what they were, then stays (tmux 3.3 loses
  // the screen's earlier lines when the pane's program exits).
  std::string Command() const {
    return "before=$(stty -g); echo started; TQ_ENDPOINT=" + tqd_.endpoint() + " " +
           BinPath("tq") + " top; rc=$?; "
           "if [ \"$(stty -g)\" = \"$before\" ]; then echo terminal restored; "
           "else echo terminal changed; fi; echo exit=$rc; exec sleep 600";
  }

  // Waits until the shell said how tq top exited; returns the screen.
  static std::string ScreenAfterExit(Tmux& tmux) {
    std::string screen;
    EXPECT_TRUE(testing::WaitFor("tq top to exit", [&] {
      screen = tmux.Screen();
      return screen.find("exit=") != std::string::npos;
    })) << screen;
    return screen;
  }

  TqdProcess tqd_{{.workers = 2}};
};

TEST_F(TopTest, ShowsTheQueueTheWorkersAndTheirTasksAndQuitsOnQ) {
  Tmux tmux(Command(), 100, 30);
  std::string screen;
  ASSERT_TRUE(testing::WaitFor("tq top's first screen", [&] {
    screen = tmux.Screen();
    return screen.find("SLOWEST RUNNING") != std::string::npos;
  })) << screen;
  EXPECT_NE(screen.find("queue    3 queued   2 running   workers 2: 2 busy, 0 idle, "
                        "0 starting, 0 stopping"),
            std::string::npos)
      << screen;
  EXPECT_NE(screen.find("tq top  " + tqd_.endpoint()), std::string::npos) << screen;
  EXPECT_NE(screen.find("ended    done 3  failed 1  timed_out 0  cancelled 0  lost 0  buried 0"),
            std::string::npos)
      << screen;
  EXPECT_NE(screen.find("restarts exit 0  signal 0  oom 0  protocol 0  recycled 0  stopped 0"),
            std::string::npos)
      << screen;
  // The last minute's percentiles are of the six tasks that started.
  EXPECT_TRUE(std::regex_search(screen, std::regex("\nwait     p50 [0-9.]+(us|ms|s)  p90 ")))
      << screen;
  const std::vector<pid_t> workers = tqd_.WorkerPids();
  ASSERT_EQ(workers.size(), 2u);
  for (const pid_t pid : workers) {
    // In the workers' table, busy with a sleep; and among the slowest.
    EXPECT_TRUE(std::regex_search(
        screen, std::regex("\n[01] +" + std::to_string(pid) + " +busy +[0-9]+ +sleep ")))
        << pid << "\n" << screen;
    EXPECT_TRUE(std::regex_search(screen, std::regex("\n[0-9]+ +sleep +" + std::to_string(pid) +
                                                     " +[0-9.]+(ms|s)\n")))
        << pid << "\n" << screen;
  }

  tmux.Keys("q");
  screen = ScreenAfterExit(tmux);
  EXPECT_NE(screen.find("started\nterminal restored\nexit=0\n"), std::string::npos) << screen;
  EXPECT_EQ(screen.find("WORKERS"), std::string::npos) << "the alternate screen is gone\n"
                                                       << screen;
}

TEST_F(TopTest, RedrawsForANewSizeAndQuitsOnCtrlC) {
  Tmux tmux(Command(), 100, 30);
  ASSERT_TRUE(testing::WaitFor("tq top's first screen", [&] {
    return tmux.Screen().find("SLOWEST RUNNING") != std::string::npos;
  })) << tmux.Screen();
  // 15 lines leave no room to list the two workers; 60 columns cut lines.
  tmux.Resize(60, 15);
  std::string screen;
  ASSERT_TRUE(testing::WaitFor("the screen redrawn at 60x15", [&] {
    screen = tmux.Screen();
    return screen.find("2 more workers (a taller window lists them)") != std::string::npos;
  })) << screen;
  std::istringstream lines(screen);
  for (std::string line; std::getline(lines, line);) EXPECT_LE(line.size(), 60u) << line;

  tmux.Keys("C-c");
  screen = ScreenAfterExit(tmux);
  EXPECT_NE(screen.find("started\nterminal restored\nexit=0\n"), std::string::npos) << screen;
}

TEST(TopWithoutATerminalTest, SaysItNeedsOne) {
  TqdProcess tqd({.workers = 1});
  const auto r = RunCommand({BinPath("tq"), "--endpoint", tqd.endpoint(), "top"});
  EXPECT_EQ(r.code(), 125);
  EXPECT_EQ(r.err, "tq top: needs a terminal (for a listing, use tq stats or tq workers)\n");
}

}  // namespace
}  // namespace tq
