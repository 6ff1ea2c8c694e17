// PrometheusText: tqd's figures in Prometheus' text exposition format
// (version 0.0.4), the page of `GET /metrics` and of `tq stats
// --prometheus` (through the `metrics` request), written in one place.
//
// Names follow Prometheus' conventions: a tq_ prefix, base units (seconds),
// _total on counters, one HELP and one TYPE line per family. Counters and
// histograms count since tqd started (a scraper takes the rates); the
// histograms are cumulative at the bounds of kBucketBounds. Label values
// are escaped as the format says (\\, \" and \n). The families:
//
//   tq_start_time_seconds                         gauge
//   tq_queue_depth, tq_tasks_running              gauge
//   tq_workers{state}                             gauge
//   tq_tasks_submitted_total                      counter
//   tq_tasks_total{state}                         counter (final states)
//   tq_worker_restarts_total{cause}               counter
//   tq_task_queue_wait_seconds, tq_task_run_seconds   histogram
//   tq_tasks_submitted_by_function_total{fn}      counter
//   tq_tasks_by_function_total{fn,state}          counter
//
// fn="" counts the functions beyond Metrics::kMaxFunctions together.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "metrics.h"
#include "tq/proto/messages.h"

namespace tq::daemon {

// What the page shows of now, beside what Metrics counted.
struct Gauges {
  std::uint64_t queued = 0;
  std::uint64_t running = 0;
  proto::WorkerCounts workers;
  std::int64_t started_at_ms = 0;  // Unix time of tqd's start
  // The durable store (README, Durability): tasks held, how many durable,
  // the store's bytes on disk, and whether its last commit failed.
  std::uint64_t tasks_held = 0;
  std::uint64_t durable_tasks = 0;
  std::uint64_t store_bytes = 0;
  bool store_failing = false;
};

std::string PrometheusText(const Metrics& metrics, const Gauges& gauges);

// A label value as the format writes it between its quotes.
std::string EscapeLabelValue(std::string_view value);

}  // namespace tq::daemon
