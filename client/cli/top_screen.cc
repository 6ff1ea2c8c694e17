// TopScreen.
#include "top_screen.h"

#include <algorithm>

#include "stats_fields.h"
#include "table.h"

namespace tq::cli {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

// `s` cut to `cols` characters (code points: tq's names are UTF-8).
std::string Fit(const std::string& s, int cols) {
  int n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((s[i] & 0xc0) == 0x80) continue;
    if (n++ == cols) return s.substr(0, i);
  }
  return s;
}

std::string Percentiles(const char* what, const DurationStats& d) {
  return std::string(what) + "p50 " + FormatMicros(d.p50, d.count) + "  p90 " +
         FormatMicros(d.p90, d.count) + "  p99 " + FormatMicros(d.p99, d.count) + "  max " +
         FormatMicros(d.max, d.count);
}

// "done 3  failed 1  ...": each count after its name.
template <typename T, std::size_t N>
std::string CountsLine(const T& counts, const CountField<T> (&fields)[N]) {
  std::string line;
  for (const auto& [name, n] : fields) {
    if (!line.empty()) line += "  ";
    line += std::string(name) + " " + std::to_string(counts.*n);
  }
  return line;
}

std::vector<std::string> Header(const TopView& v) {
  const QueueStats& s = v.stats;
  const WindowStats& last = s.last_minute;
  const WindowStats& all = s.since_start;
  const std::string over = "   (last " + FormatAge(last.span) + ")";
  std::vector<std::string> lines = {
      "tq top  " + v.endpoint + "  up " + FormatAge(all.span) + "  " + v.clock + "  (q quits)",
      "queue    " + std::to_string(s.queued) + " queued   " + std::to_string(s.running) +
          " running   workers " + std::to_string(s.workers) + ": " + std::to_string(s.busy) +
          " busy, " + std::to_string(s.idle) + " idle, " + std::to_string(s.starting) +
          " starting, " + std::to_string(s.stopping) + " stopping",
      "rate     " + FormatRate(last.submitted, last.span) + " submitted/s   " +
          FormatRate(last.ended.total(), last.span) + " ended/s" + over,
      Percentiles("wait     ", last.queue_wait) + over,
      Percentiles("run      ", last.run_time) + over,
      "ended    " + CountsLine(all.ended, kStateCountFields) + "   (since start)",
      "restarts " + CountsLine(all.restarts, kRestartCountFields) + "   (since start)",
  };
  if (!v.error.empty()) lines.insert(lines.begin() + 1, "tqd: " + v.error + " (retrying)");
  return lines;
}

std::string TaskAge(const WorkerStatus& w) {
  return w.task_id ? FormatMicros(microseconds(w.task_ms * 1000)) : "-";
}

}  // namespace

std::vector<std::string> TopScreen(const TopView& view, int rows, int cols) {
  std::vector<std::string> lines = Header(view);

  std::vector<const WorkerStatus*> running;
  for (const WorkerStatus& w : view.workers) {
    if (w.task_id) running.push_back(&w);
  }
  std::stable_sort(running.begin(), running.end(),
                   [](const WorkerStatus* a, const WorkerStatus* b) { return a->task_ms > b->task_ms; });
  if (running.size() > kSlowestShown) running.resize(kSlowestShown);
  Rows slowest{{"TASK", "FUNCTION", "WORKER", "RUNNING"}};
  for (const WorkerStatus* w : running) {
    slowest.push_back({std::to_string(w->task_id), w->fn, std::to_string(w->pid), TaskAge(*w)});
  }

  Rows workers{{"SLOT", "PID", "STATE", "TASK", "FUNCTION", "RUNNING", "DONE", "UPTIME", "RSS"}};
  for (const WorkerStatus& w : view.workers) {
    workers.push_back({std::to_string(w.slot), std::to_string(w.pid), w.state,
                       w.task_id ? std::to_string(w.task_id) : "-", w.fn.empty() ? "-" : w.fn,
                       TaskAge(w), std::to_string(w.tasks_done),
                       FormatAge(milliseconds(w.uptime_ms)), FormatMiB(w.rss_bytes)});
  }
  // The slowest tasks keep their place at the bottom; the workers get the
  // lines left between, and say how many did not fit.
  std::vector<std::string> table = TableLines(workers);
  const int room = rows - static_cast<int>(lines.size()) - 2 -
                   static_cast<int>(slowest.size()) - 2;  // each section: blank, title
  const int listed = static_cast<int>(table.size()) - 1;
  if (room < static_cast<int>(table.size())) {
    const int shown = std::max(room - 2, 0);  // the header row, and the "more" line
    table.resize(shown > 0 ? static_cast<std::size_t>(shown + 1) : 0);
    table.push_back(std::to_string(listed - shown) + " more workers (a taller window lists them)");
  }
  if (room >= 1) {
    lines.push_back("");
    lines.push_back("WORKERS");
    lines.insert(lines.end(), table.begin(), table.end());
  }
  lines.push_back("");
  lines.push_back("SLOWEST RUNNING");
  for (const std::string& l : TableLines(slowest)) lines.push_back(l);

  if (static_cast<int>(lines.size()) > rows) lines.resize(static_cast<std::size_t>(std::max(rows, 0)));
  for (std::string& l : lines) l = Fit(l, cols);
  return lines;
}

}  // namespace tq::cli
