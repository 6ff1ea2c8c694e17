// tq stats: what tqd counted, since it started and over the last minute,
// as tables, JSON, or Prometheus' text format (which tqd writes itself:
// the `metrics` request, the same page its --metrics endpoint serves).
#include <cctype>
#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "exit_codes.h"
#include "json_msgpack.h"
#include "stats_fields.h"
#include "table.h"

namespace tq::cli {
namespace {

// "last 64s": the window's true length, not a rounded minute.
std::string LastHeading(const WindowStats& w) {
  return "LAST " + FormatAge(w.span);
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

void PrintTasks(const QueueStats& s) {
  const WindowStats& all = s.since_start;
  const WindowStats& last = s.last_minute;
  Rows rows{{"TASKS", "SINCE START", LastHeading(last)},
            {"submitted", std::to_string(all.submitted), std::to_string(last.submitted)},
            {"  per second", FormatRate(all.submitted, all.span),
             FormatRate(last.submitted, last.span)}};
  for (const auto& [name, n] : kStateCountFields) {
    rows.push_back({name, std::to_string(all.ended.*n), std::to_string(last.ended.*n)});
  }
  rows.push_back({"ended per second", FormatRate(all.ended.total(), all.span),
                  FormatRate(last.ended.total(), last.span)});
  PrintTable(rows, Align::kNumbersRight);
}

void PrintDurations(const char* title, const DurationStats WindowStats::*which,
                    const QueueStats& s) {
  Rows rows{{title, "COUNT", "P50", "P90", "P99", "MAX"}};
  const auto row = [&](std::string name, const WindowStats& w) {
    const DurationStats& d = w.*which;
    rows.push_back({std::move(name), std::to_string(d.count), FormatMicros(d.p50, d.count),
                    FormatMicros(d.p90, d.count), FormatMicros(d.p99, d.count),
                    FormatMicros(d.max, d.count)});
  };
  row("since start", s.since_start);
  row("last " + FormatAge(s.last_minute.span), s.last_minute);
  PrintTable(rows, Align::kNumbersRight);
}

void PrintRestarts(const QueueStats& s) {
  const RestartCounts& all = s.since_start.restarts;
  const RestartCounts& last = s.last_minute.restarts;
  Rows rows{{"WORKER RESTARTS", "SINCE START", LastHeading(s.last_minute)}};
  for (const auto& [name, n] : kRestartCountFields) {
    rows.push_back({name, std::to_string(all.*n), std::to_string(last.*n)});
  }
  PrintTable(rows, Align::kNumbersRight);
}

void PrintFunctions(const QueueStats& s) {
  std::vector<std::string> heading{"FUNCTION", "SUBMITTED"};
  for (const auto& field : kStateCountFields) heading.push_back(Upper(field.name));
  Rows rows{std::move(heading)};
  for (const FunctionStats& f : s.functions) {
    std::vector<std::string> row{f.fn.empty() ? "(others)" : f.fn, std::to_string(f.submitted)};
    for (const auto& [name, n] : kStateCountFields) row.push_back(std::to_string(f.ended.*n));
    rows.push_back(std::move(row));
  }
  PrintTable(rows, Align::kNumbersRight);
}

void PrintStats(const QueueStats& s) {
  std::cout << "queue    " << s.queued << " queued, " << s.running << " running\n"
            << "workers  " << s.workers << ": " << s.busy << " busy, " << s.idle << " idle, "
            << s.starting << " starting, " << s.stopping << " stopping\n"
            << "uptime   " << FormatAge(s.since_start.span) << "\n\n";
  PrintTasks(s);
  std::cout << "\n";
  PrintDurations("QUEUE WAIT", &WindowStats::queue_wait, s);
  std::cout << "\n";
  PrintDurations("RUN TIME", &WindowStats::run_time, s);
  std::cout << "\n";
  PrintRestarts(s);
  if (!s.functions.empty()) {
    std::cout << "\n";
    PrintFunctions(s);
  }
  if (!s.hosts.empty()) {
    std::cout << "\n";
    Rows rows{{"HOST", "WORKERS", "BUSY", "DONE"}};
    for (const QueueStats::Host& h : s.hosts) {
      rows.push_back({h.host, std::to_string(h.workers), std::to_string(h.busy),
                      std::to_string(h.tasks_done)});
    }
    PrintTable(rows, Align::kNumbersRight);
  }
}

}  // namespace

int Stats(const Common& common, StatsFormat format) {
  return Guarded([&] {
    RawClient client(ClientOptionsFor(common));
    if (format == StatsFormat::kPrometheus) {
      std::cout << client.MetricsText();
      return kOk;
    }
    const QueueStats s = client.Stats();
    if (format == StatsFormat::kJson) {
      std::cout << StatsReportToJson(s) << "\n";
    } else {
      PrintStats(s);
    }
    return kOk;
  });
}

}  // namespace tq::cli
