// tqd's log as an operator's tools read it: --log-format json, one object
// per line with the fields of a task's lines, and the journal's priorities
// when JOURNAL_STREAM names tqd's stderr.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "testing/run_command.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq {
namespace {

using nlohmann::json;
using testing::BinPath;
using testing::RunCommand;
using testing::TqdProcess;

std::vector<std::string> LinesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// tq call with its arguments, on `tqd`; returns the exit code.
int Call(const TqdProcess& tqd, std::vector<std::string> args) {
  args.insert(args.begin(), {BinPath("tq"), "--endpoint", tqd.endpoint(), "call"});
  return RunCommand(args).code();
}

TEST(LoggingTest, JsonLogsAreOneObjectPerLineAndATasksLinesCarryItsFields) {
  TqdProcess tqd({.workers = 1, .extra_args = {"--log-format", "json", "--no-capture-stacks"}});
  ASSERT_EQ(Call(tqd, {"echo", "1"}), 0);
  const pid_t worker = tqd.WorkerPids().at(0);  // the one worker: it runs the sleep too
  ASSERT_EQ(Call(tqd, {"--timeout", "0.2", "sleep", "60000"}), 1);

  std::vector<json> lines;
  for (const std::string& line : LinesOf(tqd.Log())) {
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << line;
    ASSERT_TRUE(j.contains("time") && j.contains("level") && j.contains("message")) << line;
    lines.push_back(std::move(j));
  }
  const auto find = [&](const std::string& message) -> const json* {
    for (const json& j : lines) {
      if (j["message"].get<std::string>().find(message) == 0) return &j;
    }
    return nullptr;
  };
  const json* ready = find("ready: 1 workers");
  ASSERT_NE(ready, nullptr) << tqd.Log();
  EXPECT_EQ((*ready)["level"], "info");
  EXPECT_FALSE(ready->contains("task"));

  const json* queued = find("queued");  // the echo: no worker yet
  ASSERT_NE(queued, nullptr) << tqd.Log();
  EXPECT_EQ((*queued)["task"], 1);
  EXPECT_EQ((*queued)["fn"], "echo");
  EXPECT_FALSE(queued->contains("pid"));

  const json* running = find("running (attempt 1)");  // the echo, on the one worker
  ASSERT_NE(running, nullptr) << tqd.Log();
  EXPECT_EQ((*running)["task"], 1);
  EXPECT_EQ((*running)["pid"], worker);

  const json* done = find("done");
  ASSERT_NE(done, nullptr) << tqd.Log();
  EXPECT_EQ((*done)["level"], "debug");
  EXPECT_EQ((*done)["task"], 1);
  EXPECT_EQ((*done)["fn"], "echo");
  EXPECT_GT((*done)["pid"], 0);

  const json* timed_out = find("timed out after 0.200 s");
  ASSERT_NE(timed_out, nullptr) << tqd.Log();
  EXPECT_EQ((*timed_out)["level"], "warning");
  EXPECT_EQ((*timed_out)["task"], 2);
  EXPECT_EQ((*timed_out)["fn"], "sleep");
  EXPECT_EQ((*timed_out)["pid"], worker);
}

TEST(LoggingTest, TextLogsNameTheTaskItsFunctionAndItsWorker) {
  TqdProcess tqd({.workers = 1});
  ASSERT_EQ(Call(tqd, {"fail", "\"no\""}), 1);
  const std::string pid = std::to_string(tqd.WorkerPids().at(0));
  ASSERT_TRUE(testing::WaitFor("the end logged", [&] {
    // The tq that submitted it is ours: its uid is known (ipc://).
    return tqd.Log().find("task 1 (fail, worker " + pid + ", uid " + std::to_string(::getuid()) +
                          "): failed\n") != std::string::npos;
  })) << tqd.Log();
}

TEST(LoggingTest, UnderTheJournalLinesStartWithTheirPriorityAndNoTimestamp) {
  TqdProcess tqd({.workers = 1, .journal_stream = true});
  ASSERT_EQ(Call(tqd, {"--timeout", "0.2", "sleep", "60000"}), 1);
  ASSERT_TRUE(testing::WaitFor("the timeout logged", [&] {
    return tqd.Log().find("timed out after") != std::string::npos;
  }));
  const std::vector<std::string> lines = LinesOf(tqd.Log());
  ASSERT_FALSE(lines.empty());
  for (const std::string& line : lines) {
    EXPECT_TRUE(std::regex_match(line, std::regex("<[2-7]>[a-z]+: .*"))) << line;
  }
  const auto has = [&](const std::string& prefix, const std::string& text) {
    return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
      return l.rfind(prefix, 0) == 0 && l.find(text) != std::string::npos;
    });
  };
  EXPECT_TRUE(has("<6>info: ", "ready: 1 workers")) << tqd.Log();
  EXPECT_TRUE(has("<4>warning: task 1 (sleep, worker ", "timed out after 0.200 s")) << tqd.Log();
  EXPECT_TRUE(has("<7>debug: task 1 (sleep", "queued")) << tqd.Log();
}

TEST(LoggingTest, AJournalStreamThatIsNotStderrIsIgnored) {
  TqdProcess tqd({.workers = 1, .extra_env = {"JOURNAL_STREAM=1:1"}});
  for (const std::string& line : LinesOf(tqd.Log())) {
    EXPECT_TRUE(std::regex_search(line, std::regex(R"(^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} tqd\[)")))
        << line;
  }
}

}  // namespace
}  // namespace tq
