// PrometheusText: the page tqd serves at /metrics, read back by a strict
// parser of the text format, with figures fed through Metrics.
#include "prometheus_text.h"

#include <gtest/gtest.h>

#include "testing/fake_clock.h"
#include "testing/prometheus_parse.h"

namespace tq::daemon {
namespace {

using namespace std::chrono_literals;
using proto::TaskState;

TEST(PrometheusTextTest, EscapesBackslashQuoteAndNewlineInLabelValues) {
  EXPECT_EQ(EscapeLabelValue(R"(a\b"c)" "\n" "d"), R"(a\\b\"c\nd)");
  EXPECT_EQ(EscapeLabelValue("échø"), "échø");
}

TEST(PrometheusTextTest, WritesAPageAStrictParserReadsBackToTheSameFigures) {
  testing::FakeClock clock;
  Metrics metrics(clock);
  const std::string odd = "odd\"fn\\";
  for (int i = 0; i < 3; ++i) metrics.TaskSubmitted("square");
  metrics.TaskSubmitted(odd);
  metrics.TaskStarted(50us);
  metrics.TaskStarted(3ms);
  metrics.TaskStarted(2h);  // beyond every bound: only +Inf
  metrics.AttemptEnded(1500ms);
  metrics.TaskEnded("square", TaskState::kDone);
  metrics.TaskEnded("square", TaskState::kDone);
  metrics.TaskEnded(odd, TaskState::kLost);
  metrics.WorkerRestarted(proto::RestartCause::kSignal);
  const std::string text = PrometheusText(
      metrics, {.queued = 4, .running = 1, .workers = {.idle = 1, .busy = 1},
                .started_at_ms = 1700000000123, .tasks_held = 9, .durable_tasks = 7,
                .store_bytes = 65536, .store_failing = true});

  std::string error;
  const auto page = testing::ParsePrometheus(text, &error);
  ASSERT_TRUE(page) << error << "\n" << text;
  EXPECT_EQ(page->Value("tq_queue_depth"), 4);
  EXPECT_EQ(page->Value("tq_tasks_running"), 1);
  EXPECT_EQ(page->Value("tq_tasks_held"), 9);
  EXPECT_EQ(page->Value("tq_durable_tasks"), 7);
  EXPECT_EQ(page->Value("tq_store_bytes"), 65536);
  EXPECT_EQ(page->Value("tq_store_failing"), 1);
  EXPECT_EQ(page->Value("tq_workers", {{"state", "busy"}}), 1);
  EXPECT_EQ(page->Value("tq_workers", {{"state", "starting"}}), 0);
  EXPECT_EQ(page->Value("tq_start_time_seconds"), 1700000000.123);
  EXPECT_EQ(page->Value("tq_tasks_submitted_total"), 4);
  EXPECT_EQ(page->Value("tq_tasks_total", {{"state", "done"}}), 2);
  EXPECT_EQ(page->Value("tq_tasks_total", {{"state", "lost"}}), 1);
  EXPECT_EQ(page->Value("tq_tasks_total", {{"state", "buried"}}), 0);
  EXPECT_EQ(page->Value("tq_worker_restarts_total", {{"cause", "signal"}}), 1);
  EXPECT_EQ(page->Value("tq_worker_restarts_total", {{"cause", "oom"}}), 0);
  EXPECT_EQ(page->Value("tq_tasks_submitted_by_function_total", {{"fn", odd}}), 1);
  EXPECT_EQ(page->Value("tq_tasks_by_function_total", {{"fn", odd}, {"state", "lost"}}), 1);
  EXPECT_EQ(page->Value("tq_tasks_by_function_total", {{"fn", "square"}, {"state", "done"}}),
            2);
  // Cumulative buckets: 50 us is within le=0.0001, 3 ms within le=0.005.
  const auto bucket = [&](const char* le) {
    return page->Value("tq_task_queue_wait_seconds_bucket", {{"le", le}});
  };
  EXPECT_EQ(bucket("0.0001"), 1);
  EXPECT_EQ(bucket("0.0025"), 1);
  EXPECT_EQ(bucket("0.005"), 2);
  EXPECT_EQ(bucket("3600"), 2);
  EXPECT_EQ(bucket("+Inf"), 3);
  EXPECT_EQ(page->Value("tq_task_queue_wait_seconds_count"), 3);
  EXPECT_DOUBLE_EQ(*page->Value("tq_task_queue_wait_seconds_sum"), 7200.00305);
  EXPECT_EQ(page->Value("tq_task_run_seconds_bucket", {{"le", "2.5"}}), 1);
  EXPECT_EQ(page->Value("tq_task_run_seconds_bucket", {{"le", "1"}}), 0);
  EXPECT_EQ(page->families.at("tq_task_run_seconds").type, "histogram");
  EXPECT_EQ(page->families.at("tq_tasks_total").type, "counter");
  EXPECT_EQ(page->families.at("tq_queue_depth").type, "gauge");
}

TEST(PrometheusTextTest, IsValidWithNothingCountedYet) {
  testing::FakeClock clock;
  Metrics metrics(clock);
  std::string error;
  const auto page = testing::ParsePrometheus(PrometheusText(metrics, {}), &error);
  ASSERT_TRUE(page) << error;
  EXPECT_EQ(page->Value("tq_task_run_seconds_count"), 0);
  EXPECT_TRUE(page->families.at("tq_tasks_by_function_total").samples.empty());
}

// The parser the tests rely on must itself reject what a scraper would.
TEST(PrometheusParseTest, RejectsWhatAScraperWould) {
  std::string error;
  const auto bad = [&](const std::string& text) {
    return !testing::ParsePrometheus(text, &error).has_value();
  };
  EXPECT_TRUE(bad("x 1\n")) << "a sample before its TYPE";
  EXPECT_TRUE(bad("# TYPE x counter\nx{a=\"b} 1\n"));
  EXPECT_TRUE(bad("# TYPE x counter\nx{a=\"\\t\"} 1\n")) << "unknown escape";
  EXPECT_TRUE(bad("# TYPE x counter\nx 1\nx 2\n")) << "twice";
  EXPECT_TRUE(bad("# TYPE x counter\nx one\n"));
  EXPECT_TRUE(bad("# TYPE x counter\nx 1")) << "no final newline";
  EXPECT_TRUE(bad("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                  "h_sum 1\nh_count 1\n"))
      << "a decreasing bucket";
  EXPECT_TRUE(bad("# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n"));
  EXPECT_FALSE(bad("# HELP h a\\\\b\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
                   "h_bucket{le=\"+Inf\"} 2\nh_sum 1.5\nh_count 2\n"))
      << error;
}

}  // namespace
}  // namespace tq::daemon
