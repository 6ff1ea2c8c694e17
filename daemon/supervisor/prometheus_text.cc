// PrometheusText.
#include "prometheus_text.h"

#include <fmt/format.h>

#include <iterator>

namespace tq::daemon {
namespace {

using Out = fmt::memory_buffer;

void Family(Out& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name,
                 type);
}

void Histogram(Out& out, std::string_view name, std::string_view help,
               const DurationHistogram& h) {
  Family(out, name, "histogram", help);
  std::uint64_t cumulative = 0;
  const auto& counts = h.bound_counts();
  for (std::size_t i = 0; i < kBucketBoundCount; ++i) {
    cumulative += counts[i];
    fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"{}\"}} {}\n", name,
                   kBucketBounds[i].le, cumulative);
  }
  fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"+Inf\"}} {}\n", name, h.count());
  fmt::format_to(std::back_inserter(out), "{}_sum {}\n", name,
                 static_cast<double>(h.sum_us()) / 1e6);
  fmt::format_to(std::back_inserter(out), "{}_count {}\n", name, h.count());
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string PrometheusText(const Metrics& metrics, const Gauges& gauges) {
  Out out;
  auto line = [&out](std::string_view name, const auto& value) {
    fmt::format_to(std::back_inserter(out), "{} {}\n", name, value);
  };
  const proto::WindowStats total = metrics.SinceStart();

  Family(out, "tq_start_time_seconds", "gauge", "When tqd started, in Unix time.");
  line("tq_start_time_seconds", static_cast<double>(gauges.started_at_ms) / 1e3);
  Family(out, "tq_queue_depth", "gauge",
         "Queued tasks, those waiting for a delay or a retry included.");
  line("tq_queue_depth", gauges.queued);
  Family(out, "tq_tasks_running", "gauge", "Tasks running on a worker.");
  line("tq_tasks_running", gauges.running);

  Family(out, "tq_tasks_held", "gauge",
         "Tasks tqd holds: queued, running, or ended and kept for their TTL.");
  line("tq_tasks_held", gauges.tasks_held);
  Family(out, "tq_durable_tasks", "gauge", "Of the tasks held, those kept in the store.");
  line("tq_durable_tasks", gauges.durable_tasks);
  Family(out, "tq_store_bytes", "gauge", "The task store's size on disk, its WAL included.");
  line("tq_store_bytes", gauges.store_bytes);
  Family(out, "tq_store_failing", "gauge",
         "1 while the store cannot commit (durable submits get STORE_FAILED), else 0.");
  line("tq_store_failing", gauges.store_failing ? 1 : 0);

  Family(out, "tq_workers", "gauge", "Worker processes, by state.");
  const std::pair<std::string_view, std::uint32_t> workers[] = {
      {"starting", gauges.workers.starting}, {"idle", gauges.workers.idle},
      {"busy", gauges.workers.busy}, {"stopping", gauges.workers.stopping}};
  for (const auto& [state, n] : workers) {
    fmt::format_to(std::back_inserter(out), "tq_workers{{state=\"{}\"}} {}\n", state, n);
  }

  Family(out, "tq_tasks_submitted_total", "counter", "Tasks accepted since tqd started.");
  line("tq_tasks_submitted_total", total.submitted);
  Family(out, "tq_tasks_total", "counter", "Tasks that ended since tqd started, by final state.");
  for (const proto::TaskState s : proto::kFinalStates) {
    fmt::format_to(std::back_inserter(out), "tq_tasks_total{{state=\"{}\"}} {}\n",
                   proto::TaskStateName(s), total.ended[s]);
  }
  Family(out, "tq_worker_restarts_total", "counter",
         "Worker processes that ended since tqd started, other than by the pool "
         "shrinking or shutdown, by cause.");
  for (std::size_t i = 0; i < proto::kRestartCauses; ++i) {
    fmt::format_to(std::back_inserter(out), "tq_worker_restarts_total{{cause=\"{}\"}} {}\n",
                   proto::RestartCauseName(static_cast<proto::RestartCause>(i)),
                   total.restarts[i]);
  }

  Histogram(out, "tq_task_queue_wait_seconds",
            "Time from when a task could run (submit, delay or retry backoff over) to "
            "when a worker took it, per attempt.",
            metrics.queue_wait());
  Histogram(out, "tq_task_run_seconds",
            "Time from when a worker took a task to its outcome, per attempt.",
            metrics.run_time());

  const std::vector<proto::FunctionStats> functions = metrics.Functions();
  Family(out, "tq_tasks_submitted_by_function_total", "counter",
         fmt::format("Tasks accepted since tqd started, by function; fn=\"\" counts the "
                     "functions beyond the first {} together.",
                     Metrics::kMaxFunctions));
  for (const proto::FunctionStats& f : functions) {
    fmt::format_to(std::back_inserter(out),
                   "tq_tasks_submitted_by_function_total{{fn=\"{}\"}} {}\n",
                   EscapeLabelValue(f.fn), f.submitted);
  }
  Family(out, "tq_tasks_by_function_total", "counter",
         "Tasks that ended since tqd started, by function and final state.");
  for (const proto::FunctionStats& f : functions) {
    const std::string fn = EscapeLabelValue(f.fn);
    for (const proto::TaskState s : proto::kFinalStates) {
      fmt::format_to(std::back_inserter(out),
                     "tq_tasks_by_function_total{{fn=\"{}\",state=\"{}\"}} {}\n", fn,
                     proto::TaskStateName(s), f.ended[s]);
    }
  }
  return fmt::to_string(out);
}

}  // namespace tq::daemon
