// tq stats and tqd --metrics against a real tqd: a known workload, then
// every figure read back from `tq stats --json`, the tables, `tq stats
// --prometheus` and a raw HTTP GET of /metrics.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "base/fd.h"
#include "testing/prometheus_parse.h"
#include "testing/run_command.h"
#include "testing/tqd_process.h"
#include "testing/wait_for.h"

namespace tq {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::BinPath;
using testing::LibPath;
using testing::RunCommand;
using testing::TqdProcess;

// One worker, so the restarts are the workload's and nothing else's; no
// stacks, so a timeout ends at once.
testing::TqdOptions Options() {
  return {.workers = 1,
          .extra_args = {"--plugin", LibPath("libtq_supervision_tasks.so"),
                         "--no-capture-stacks", "--metrics", "127.0.0.1:0"}};
}

// The port tqd logged: "serving metrics at http://127.0.0.1:PORT/metrics".
int MetricsPort(const TqdProcess& tqd) {
  std::smatch m;
  const std::string log = tqd.Log();
  if (!std::regex_search(log, m, std::regex(R"(serving metrics at http://127\.0\.0\.1:(\d+)/metrics)"))) {
    return 0;
  }
  return std::stoi(m[1]);
}

// `request` sent over a fresh TCP connection; everything read until tqd
// closes it.
std::string Http(int port, const std::string& request) {
  base::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return "";
  if (::write(fd.get(), request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    return "";
  }
  timeval timeout{20, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::string got;
  char buf[65536];
  for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) > 0;) {
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

class StatsTest : public ::testing::Test {
 protected:
  testing::CommandResult Tq(std::vector<std::string> args) {
    args.insert(args.begin(), {BinPath("tq"), "--endpoint", tqd_.endpoint()});
    return RunCommand(args);
  }

  json StatsJson() {
    const auto r = Tq({"stats", "--json"});
    EXPECT_EQ(r.code(), 0) << r.err;
    return json::parse(r.out);
  }

  // 3 done, 2 failed, 1 timed out (its worker stopped), 2 lost (a worker
  // killed by SIGABRT, one that exited with 3); then waits until the
  // replacement of the last dead worker is idle.
  void RunWorkload() {
    for (int i = 0; i < 3; ++i) EXPECT_EQ(Tq({"call", "echo", std::to_string(i)}).code(), 0);
    for (int i = 0; i < 2; ++i) EXPECT_EQ(Tq({"call", "fail", "\"no\""}).code(), 1);
    EXPECT_EQ(Tq({"call", "--timeout", "0.2", "sleep", "60000"}).code(), 1);
    EXPECT_EQ(Tq({"call", "crash"}).code(), 1);
    EXPECT_EQ(Tq({"call", "exit_with", "3"}).code(), 1);
    ASSERT_TRUE(testing::WaitFor("three restarts and an idle worker", [&] {
      const json s = StatsJson();
      const json& r = s["since_start"]["restarts"];
      return r["stopped"] == 1 && r["signal"] == 1 && r["exit"] == 1 &&
             s["workers"]["idle"] == 1;
    })) << Tq({"stats"}).out;
  }

  TqdProcess tqd_{Options()};
};

TEST_F(StatsTest, CountsAKnownWorkloadInJson) {
  RunWorkload();
  const json s = StatsJson();
  EXPECT_EQ(s["queued"], 0);
  EXPECT_EQ(s["running"], 0);
  EXPECT_EQ(s["workers"], (json{{"total", 1}, {"starting", 0}, {"idle", 1}, {"busy", 0},
                                {"stopping", 0}}));
  const json& all = s["since_start"];
  EXPECT_EQ(all["submitted"], 8);
  EXPECT_EQ(all["ended"], (json{{"done", 3}, {"failed", 2}, {"timed_out", 1},
                                {"cancelled", 0}, {"lost", 2}, {"buried", 0}}));
  EXPECT_EQ(all["restarts"], (json{{"exit", 1}, {"signal", 1}, {"oom", 0}, {"protocol", 0},
                                   {"recycled", 0}, {"stopped", 1}}));
  // One attempt each: eight starts, eight outcomes.
  EXPECT_EQ(all["queue_wait"]["count"], 8);
  EXPECT_EQ(all["run_time"]["count"], 8);
  const json& run = all["run_time"];
  EXPECT_LE(run["p50_us"], run["p90_us"]);
  EXPECT_LE(run["p90_us"], run["p99_us"]);
  EXPECT_LE(run["p99_us"], run["max_us"]);
  EXPECT_GE(run["max_us"], 200000);  // the sleep ran until its 0.2 s timeout
  EXPECT_GT(all["span_ms"], 0);
  EXPECT_GT(all["submitted_per_s"], 0);
  // All of it happened in the last minute, unless this machine took that long.
  if (all["span_ms"] < 60000) {
    const json& last = s["last_minute"];
    EXPECT_EQ(last["submitted"], 8);
    EXPECT_EQ(last["ended"], all["ended"]);
    EXPECT_EQ(last["restarts"], all["restarts"]);
    EXPECT_EQ(last["run_time"], all["run_time"]);
    EXPECT_EQ(last["span_ms"], all["span_ms"]);
  }
  std::map<std::string, json> fns;
  for (const json& f : s["functions"]) fns[f["fn"]] = f;
  EXPECT_EQ(fns.size(), 5u) << s["functions"].dump();
  EXPECT_EQ(fns["echo"]["submitted"], 3);
  EXPECT_EQ(fns["echo"]["ended"]["done"], 3);
  EXPECT_EQ(fns["fail"]["ended"]["failed"], 2);
  EXPECT_EQ(fns["sleep"]["ended"]["timed_out"], 1);
  EXPECT_EQ(fns["crash"]["ended"]["lost"], 1);
  EXPECT_EQ(fns["exit_with"]["ended"]["lost"], 1);
}

TEST_F(StatsTest, PrintsTheSameCountsAsAlignedTables) {
  RunWorkload();
  const auto r = Tq({"stats"});
  ASSERT_EQ(r.code(), 0) << r.err;
  // A row's figures: since start, then the last minute.
  const auto row = [&](const std::string& name) {
    std::smatch m;
    std::regex_search(r.out, m, std::regex("\n" + name + " +([0-9.]+) +([0-9.]+)\n"));
    return m.size() == 3 ? m[1].str() : std::string("(no row)");
  };
  EXPECT_EQ(row("submitted"), "8") << r.out;
  EXPECT_EQ(row("done"), "3") << r.out;
  EXPECT_EQ(row("failed"), "2") << r.out;
  EXPECT_EQ(row("lost"), "2") << r.out;
  EXPECT_EQ(row("stopped"), "1") << r.out;
  EXPECT_EQ(row("signal"), "1") << r.out;
  EXPECT_NE(r.out.find("queue    0 queued, 0 running\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("workers  1: 0 busy, 1 idle, 0 starting, 0 stopping\n"),
            std::string::npos)
      << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\nsince start +8 +[0-9.]+(us|ms|s) ")))
      << r.out;  // the queue-wait table
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\necho +3 +3 +0 +0 +0 +0 +0\n"))) << r.out;
  EXPECT_TRUE(std::regex_search(r.out, std::regex("\nexit_with +1 +0 +0 +0 +0 +1 +0\n")))
      << r.out;
}

TEST_F(StatsTest, ServesTheSameFiguresToPrometheusOverHttpAndThroughTq) {
  RunWorkload();
  const int port = MetricsPort(tqd_);
  ASSERT_NE(port, 0) << tqd_.Log();
  const std::string response = Http(port, "GET /metrics HTTP/1.1\r\nHost: tq\r\n\r\n");
  const std::size_t body_at = response.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos) << response;
  const std::string headers = response.substr(0, body_at + 2);
  const std::string body = response.substr(body_at + 4);
  EXPECT_EQ(headers.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << headers;
  EXPECT_NE(headers.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
            std::string::npos);
  EXPECT_NE(headers.find("Content-Length: " + std::to_string(body.size()) + "\r\n"),
            std::string::npos)
      << headers;

  std::string error;
  const auto page = testing::ParsePrometheus(body, &error);
  ASSERT_TRUE(page) << error << "\n" << body;
  EXPECT_EQ(page->Value("tq_tasks_submitted_total"), 8);
  EXPECT_EQ(page->Value("tq_tasks_total", {{"state", "done"}}), 3);
  EXPECT_EQ(page->Value("tq_tasks_total", {{"state", "failed"}}), 2);
  EXPECT_EQ(page->Value("tq_tasks_total", {{"state", "timed_out"}}), 1);
  EXPECT_EQ(page->Value("tq_tasks_total", {{"state", "lost"}}), 2);
  EXPECT_EQ(page->Value("tq_worker_restarts_total", {{"cause", "stopped"}}), 1);
  EXPECT_EQ(page->Value("tq_worker_restarts_total", {{"cause", "exit"}}), 1);
  EXPECT_EQ(page->Value("tq_worker_restarts_total", {{"cause", "recycled"}}), 0);
  EXPECT_EQ(page->Value("tq_queue_depth"), 0);
  EXPECT_EQ(page->Value("tq_workers", {{"state", "idle"}}), 1);
  EXPECT_EQ(page->Value("tq_tasks_by_function_total", {{"fn", "echo"}, {"state", "done"}}), 3);
  EXPECT_EQ(page->Value("tq_tasks_submitted_by_function_total", {{"fn", "fail"}}), 2);
  // The parser checked that the buckets never decrease and end at _count.
  EXPECT_EQ(page->Value("tq_task_queue_wait_seconds_count"), 8);
  EXPECT_EQ(page->Value("tq_task_run_seconds_count"), 8);
  // The sleep ran 0.2 s at least: not in le="0.1".
  EXPECT_LE(*page->Value("tq_task_run_seconds_bucket", {{"le", "0.1"}}), 7);

  // One renderer: tq stats --prometheus prints the very same page.
  const auto r = Tq({"stats", "--prometheus"});
  EXPECT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(r.out, body);
}

// Prometheus' own checker, where it is installed (Debian's prometheus
// package; not among tq's test packages: it is 96 MB and a service).
TEST_F(StatsTest, PromtoolAcceptsThePage) {
  if (RunCommand({"/bin/sh", "-c", "command -v promtool"}).code() != 0) {
    GTEST_SKIP() << "promtool is not installed";
  }
  RunWorkload();
  const auto page = Tq({"stats", "--prometheus"});
  ASSERT_EQ(page.code(), 0) << page.err;
  const auto check = RunCommand({"/bin/sh", "-c", "promtool check metrics"}, page.out);
  EXPECT_EQ(check.code(), 0) << check.out << check.err;
}

TEST_F(StatsTest, TheEndpointAnswersOnlyGetOfMetricsAndTqdServesOn) {
  const int port = MetricsPort(tqd_);
  ASSERT_NE(port, 0) << tqd_.Log();
  EXPECT_EQ(Http(port, "GET / HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u);
  EXPECT_EQ(Http(port, "DELETE /metrics HTTP/1.1\r\n\r\n").rfind("HTTP/1.1 405 ", 0), 0u);
  EXPECT_EQ(Http(port, "\x16\x03\x01 garbage\r\n\r\n").rfind("HTTP/1.1 400 ", 0), 0u);
  EXPECT_EQ(Http(port, "GET /metrics HTTP/1.1\r\n" + std::string(10000, 'x')).rfind(
                "HTTP/1.1 431 ", 0),
            0u);
  const std::string head = Http(port, "HEAD /metrics HTTP/1.1\r\n\r\n");
  EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
  testing::RawConnection c(tqd_.endpoint());
  EXPECT_TRUE(c.Ping());
}

TEST(MetricsSettingTest, ABadAddressOrATakenPortStopsTqdWithTheReason) {
  const auto bad = RunCommand({BinPath("tqd"), "--workers", "1", "--metrics", "localhost:9464"});
  EXPECT_EQ(bad.code(), 1);
  EXPECT_NE(bad.err.find("metrics: 'localhost:9464' has no IP address"), std::string::npos)
      << bad.err;

  TqdProcess first(Options());
  const int port = MetricsPort(first);
  ASSERT_NE(port, 0);
  testing::TqdOptions again = Options();
  again.extra_args.back() = "127.0.0.1:" + std::to_string(port);
  again.wait_ready = false;
  TqdProcess second(again);
  ASSERT_TRUE(testing::WaitFor([&] { return second.Exited(); }));
  EXPECT_NE(second.Log().find("cannot start: metrics: cannot listen on 127.0.0.1:" +
                              std::to_string(port) + ": Address already in use"),
            std::string::npos)
      << second.Log();
}

}  // namespace
}  // namespace tq
