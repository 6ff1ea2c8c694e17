// tq status, tq workers, tq cancel, tq kick: what tqd knows, as tables.
#include <algorithm>
#include <iostream>

#include "cli_common.h"
#include "commands.h"
#include "exit_codes.h"
#include "json_msgpack.h"
#include "stats_fields.h"
#include "table.h"
#include "user_name.h"

namespace tq::cli {
namespace {

// "alice (pid 4242)", "alice", or "-" when tqd does not know.
std::string Submitter(std::int64_t uid, std::uint32_t pid) {
  std::string s = UserName(uid);
  if (pid != 0) s += " (pid " + std::to_string(pid) + ")";
  return s;
}

void PrintStatus(const TaskInfo& t) {
  std::cout << "task " << t.task_id << "\n";
  if (!t.name.empty()) std::cout << "  name      " << t.name << "\n";
  std::cout << "  state     " << TaskStateName(t.state) << "\n"
            << "  function  " << t.fn << "\n"
            << "  user      " << Submitter(t.submitter_uid, t.submitter_pid) << "\n"
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
              << "ended  ";
    const char* separator = " ";
    for (const auto& [name, n] : kStateCountFields) {
      std::cout << separator << name << " " << s.since_start.ended.*n;
      separator = ", ";
    }
    std::cout << "\n"
              << "store   " << s.store_path << ", " << FormatMiB(s.store_bytes) << "; holds "
              << s.tasks << " tasks, " << s.durable_tasks << " durable, "
              << s.tasks - std::min(s.durable_tasks, s.tasks) << " not\n";
    if (!s.store_error.empty()) {
      std::cout << "store   FAILING: " << s.store_error
                << " (durable submits are refused; non-durable ones run)\n";
    }
    if (s.recent.empty()) return kOk;
    std::cout << "\nrecent tasks\n";
    Rows rows{{"TASK", "FUNCTION", "STATE", "ATTEMPTS", "FINISHED"}};
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
    Rows rows{
        {"SLOT", "PID", "STATE", "TASK", "FUNCTION", "USER", "NAME", "DONE", "UPTIME", "RSS",
         "HOST", "BEAT"}};
    for (const WorkerStatus& w : workers) {
      rows.push_back({std::to_string(w.slot), std::to_string(w.pid), w.state,
                      w.task_id ? std::to_string(w.task_id) : "-", w.fn.empty() ? "-" : w.fn,
                      w.task_id ? UserName(w.submitter_uid) : "-",
                      w.name.empty() ? "-" : w.name,
                      std::to_string(w.tasks_done),
                      FormatAge(std::chrono::milliseconds(w.uptime_ms)), FormatMiB(w.rss_bytes),
                      w.host.empty() ? "local" : w.host,
                      w.host.empty() ? "-" : FormatAge(std::chrono::milliseconds(w.beat_age_ms))});
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
    Rows rows{{"FUNCTION", "FROM"}};
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
