// tq status, tq workers, tq cancel, tq kick: what tqd knows, as tables.
#include <cstdio>
#include <ctime>
#include <iostream>
#include <sstream>

#include "cli_common.h"
#include "commands.h"
#include "exit_codes.h"
#include "json_msgpack.h"

namespace tq::cli {
namespace {

std::string FormatTime(std::int64_t unix_ms) {
  if (unix_ms == 0) return "-";
  const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  char out[80];
  std::snprintf(out, sizeof out, "%s.%03d", buf, static_cast<int>(unix_ms % 1000));
  return out;
}

void PrintStatus(const TaskInfo& t) {
  std::cout << "task " << t.task_id << "\n";
  if (!t.name.empty()) std::cout << "  name      " << t.name << "\n";
  std::cout << "  state     " << TaskStateName(t.state) << "\n"
            << "  function  " << t.fn << "\n"
            << "  attempts  " << t.attempts << "\n"
            << "  priority  " << t.priority << "\n"
            << "  worker    " << (t.worker_pid ? "pid " + std::to_string(t.worker_pid) : "-") << "\n"
            << "  queued    " << FormatTime(t.queued_at_ms) << "\n"
            << "  started   " << FormatTime(t.started_at_ms) << "\n"
            << "  finished  " << FormatTime(t.finished_at_ms) << "\n";
  if (t.error_type) {
    std::cout << "  error     " << *t.error_type << ": " << t.error_message << "\n";
    if (!t.error.cause.empty()) std::cout << "  cause     " << t.error.cause << "\n";
    if (!t.error.stack.empty()) {
      std::cout << "  stack\n";
      std::string line;
      for (char c : t.error.stack) {
        if (c != '\n') {
          line += c;
          continue;
        }
        std::cout << "    " << line << "\n";
        line.clear();
      }
      if (!line.empty()) std::cout << "    " << line << "\n";
    }
  }
}

// Runs `ask` for each id, printing what `print` makes of each answer.
template <typename Ask, typename Print>
int ForEachTask(const Common& common, const std::vector<std::uint64_t>& ids,
                Ask ask, Print print) {
  RawClient client(ClientOptionsFor(common));
  int rc = kOk;
  for (std::uint64_t id : ids) {
    try {
      print(ask(client, id));
    } catch (const QueueFullError& e) {
      std::cerr << "tq: " << e.what() << "\n";
      rc = kQueueFull;
    } catch (const RejectedError& e) {
      std::cerr << "tq: task " << id << ": " << e.code() << ": " << e.message() << "\n";
      if (rc == kOk) rc = kRejected;
    } catch (const ConnectionError& e) {
      std::cerr << "tq: " << e.what() << "\n";
      return kUnreachable;
    } catch (const Error& e) {
      std::cerr << "tq: " << e.what() << "\n";
      return kProtocol;
    }
  }
  return rc;
}

}  // namespace

namespace {

// Left-aligned columns, as wide as their widest cell.
void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size());
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

std::string Duration(std::uint64_t ms) {
  const std::uint64_t s = ms / 1000;
  char buf[32];
  if (s < 60) std::snprintf(buf, sizeof buf, "%llus", static_cast<unsigned long long>(s));
  else if (s < 3600) std::snprintf(buf, sizeof buf, "%llum%02llus", static_cast<unsigned long long>(s / 60), static_cast<unsigned long long>(s % 60));
  else std::snprintf(buf, sizeof buf, "%lluh%02llum", static_cast<unsigned long long>(s / 3600), static_cast<unsigned long long>(s / 60 % 60));
  return buf;
}

std::string MiB(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return buf;
}

int Overview(const Common& common, bool json) {
  return Guarded([&] {
    RawClient client(ClientOptionsFor(common));
    const QueueStats s = client.Stats();
    if (json) {
      std::cout << StatsToJson(s) << "\n";
      return kOk;
    }
    std::cout << "queued " << s.queued << ", running " << s.running << ", workers "
              << s.workers << "\n"
              << "ended   done " << s.done << ", failed " << s.failed << ", timed_out "
              << s.timed_out << ", cancelled " << s.cancelled << ", lost " << s.lost
              << ", buried " << s.buried << "\n";
    if (s.recent.empty()) return kOk;
    std::cout << "\nrecent tasks\n";
    std::vector<std::vector<std::string>> rows{{"TASK", "FUNCTION", "STATE", "ATTEMPTS", "FINISHED"}};
    for (const TaskInfo& t : s.recent) {
      rows.push_back({std::to_string(t.task_id), t.fn, std::string(TaskStateName(t.state)),
                      std::to_string(t.attempts), FormatTime(t.finished_at_ms)});
    }
    PrintTable(rows);
    return kOk;
  });
}

}  // namespace

int Status(const Common& common, const std::vector<std::uint64_t>& ids, bool json) {
  if (ids.empty()) return Overview(common, json);
  return ForEachTask(
      common, ids, [](RawClient& c, std::uint64_t id) { return c.Status(id); },
      [json](const TaskInfo& t) {
        if (json) {
          std::cout << TaskInfoToJson(t) << "\n";
        } else {
          PrintStatus(t);
        }
      });
}

int Workers(const Common& common, bool json) {
  return Guarded([&] {
    RawClient client(ClientOptionsFor(common));
    const std::vector<WorkerStatus> workers = client.Workers();
    if (json) {
      std::cout << WorkersToJson(workers) << "\n";
      return kOk;
    }
    std::vector<std::vector<std::string>> rows{
        {"SLOT", "PID", "STATE", "TASK", "FUNCTION", "NAME", "DONE", "UPTIME", "RSS"}};
    for (const WorkerStatus& w : workers) {
      rows.push_back({std::to_string(w.slot), std::to_string(w.pid), w.state,
                      w.task_id ? std::to_string(w.task_id) : "-", w.fn.empty() ? "-" : w.fn,
                      w.name.empty() ? "-" : w.name, std::to_string(w.tasks_done),
                      Duration(w.uptime_ms), MiB(w.rss_bytes)});
    }
    PrintTable(rows);
    return kOk;
  });
}

int Functions(const Common& common, bool json) {
  return Guarded([&] {
    RawClient client(ClientOptionsFor(common));
    const std::vector<FunctionInfo> functions = client.Functions();
    if (json) {
      std::cout << FunctionsToJson(functions) << "\n";
      return kOk;
    }
    std::vector<std::vector<std::string>> rows{{"FUNCTION", "FROM"}};
    for (const FunctionInfo& f : functions) {
      rows.push_back({f.name, f.origin.empty() ? "(builtin)" : f.origin});
    }
    PrintTable(rows);
    return kOk;
  });
}

int Cancel(const Common& common, const std::vector<std::uint64_t>& ids) {
  return ForEachTask(
      common, ids, [](RawClient& c, std::uint64_t id) { return c.Cancel(id); },
      [](const TaskInfo& t) {
        std::cout << "task " << t.task_id << ": " << TaskStateName(t.state) << "\n";
      });
}

int Kick(const Common& common, const std::vector<std::uint64_t>& ids) {
  return ForEachTask(
      common, ids, [](RawClient& c, std::uint64_t id) { return c.Kick(id); },
      [](const TaskInfo& t) {
        std::cout << "task " << t.task_id << ": " << TaskStateName(t.state) << "\n";
      });
}

}  // namespace tq::cli
