// tq call, tq map, tq ping.
#include "commands.h"

#include <ctime>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "exit_codes.h"
#include "json_msgpack.h"
#include "tq/raw_client.h"

namespace tq::cli {

int ExitCodeFor(const Outcome& o) {
  switch (o.kind) {
    case Outcome::Kind::kValue: return kOk;
    case Outcome::Kind::kTaskError: return kTaskFailed;
    case Outcome::Kind::kRejected:
      return o.error_type == "QUEUE_FULL" ? kQueueFull : kRejected;
    case Outcome::Kind::kConnection: return kUnreachable;
    case Outcome::Kind::kProtocol: return kProtocol;
  }
  return kProtocol;
}

namespace {

ClientOptions Options(const Common& common) {
  ClientOptions o;
  o.endpoint = common.endpoint;
  o.connect_timeout = common.connect_timeout;
  return o;
}

// "task 12 failed: std::runtime_error: boom" or "tqd refused ...".
std::string Describe(const Outcome& o) {
  switch (o.kind) {
    case Outcome::Kind::kTaskError:
      return "task " + std::to_string(o.task_id) + " " +
             std::string(proto::TaskStateName(o.state)) + ": " + o.error_type +
             ": " + o.message;
    case Outcome::Kind::kRejected:
      return "tqd refused the task: " + o.error_type + ": " + o.message;
    default:
      return o.message;
  }
}


// Prints the outcome as `call` does and returns the exit code.
int Report(const Outcome& o) {
  if (!o.ok()) {
    std::cerr << "tq: " << Describe(o) << "\n";
    return ExitCodeFor(o);
  }
  std::cout << MsgpackToJson(o.value) << "\n";
  return kOk;
}

std::optional<std::string> ArgsOrComplain(const std::vector<std::string>& json_args) {
  std::string error;
  std::optional<std::string> args = JsonArgsToMsgpack(json_args, &error);
  if (!args) std::cerr << "tq: " << error << "\n";
  return args;
}

}  // namespace

int Call(const Common& common, const std::string& fn,
         const std::vector<std::string>& json_args, const SubmitOptions& options) {
  const std::optional<std::string> args = ArgsOrComplain(json_args);
  if (!args) return kUsage;
  RawClient client(Options(common));
  return Report(client.Submit(fn, *args, options).outcome());
}

int Submit(const Common& common, const std::string& fn,
           const std::vector<std::string>& json_args,
           const SubmitOptions& options, bool wait) {
  const std::optional<std::string> args = ArgsOrComplain(json_args);
  if (!args) return kUsage;
  RawClient client(Options(common));
  RawResult result = client.Submit(fn, *args, options);
  const std::uint64_t id = result.wait_accepted();
  if (id == 0) return Report(result.outcome());  // refused or unreachable
  if (!wait) {
    std::cout << id << "\n";
    return kOk;
  }
  return Report(result.outcome());
}

int Map(const Common& common, const std::string& fn, std::size_t window,
        const SubmitOptions& options) {
  RawClient client(Options(common));
  auto queue = std::make_shared<detail::CompletionQueue>();
  // Results are printed in input order as soon as each next one is known;
  // later ones wait here. At most `window` tasks are in flight.
  std::map<std::size_t, RawResult> in_flight;
  std::size_t submitted = 0;
  std::size_t printed = 0;
  std::size_t failed = 0;
  int tool_error = kOk;  // a rejection or connection error stops the map
  bool input_done = false;
  std::string line;

  auto print_ready = [&] {
    for (auto it = in_flight.begin();
         it != in_flight.end() && it->first == printed && it->second.ready();
         it = in_flight.erase(it), ++printed) {
      const Outcome& o = it->second.outcome();
      if (o.ok()) {
        std::cout << MsgpackToJson(o.value) << "\n";
        continue;
      }
      std::cerr << "tq: item " << it->first + 1 << ": " << Describe(o) << "\n";
      if (o.kind == Outcome::Kind::kTaskError) {
        ++failed;
      } else if (tool_error == kOk) {
        tool_error = ExitCodeFor(o);
      }
    }
  };

  while (true) {
    while (!input_done && tool_error == kOk && in_flight.size() < window) {
      if (!std::getline(std::cin, line)) {
        input_done = true;
        break;
      }
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      std::string error;
      std::optional<std::string> args = JsonLineToArgs(line, &error);
      if (!args) {
        std::cerr << "tq: input line " << submitted + 1 << " is not JSON: "
                  << error << "\n";
        tool_error = kUsage;
        break;
      }
      in_flight.emplace(submitted, client.Submit(fn, *args, options, queue, submitted));
      ++submitted;
    }
    if (in_flight.empty()) break;
    (void)queue->Pop();  // something finished
    print_ready();
    std::cout.flush();
  }
  if (tool_error != kOk) return tool_error;
  return failed > 100 ? kMaxFailedCount : static_cast<int>(failed);
}

int Wait(const Common& common, const std::vector<std::uint64_t>& ids,
         std::optional<std::chrono::milliseconds> timeout) {
  RawClient client(Options(common));
  std::vector<RawResult> waits;
  for (std::uint64_t id : ids) waits.push_back(client.Wait(id));
  const auto until = std::chrono::steady_clock::now() +
                     timeout.value_or(std::chrono::hours(24 * 365));
  int rc = kOk;
  for (std::size_t i = 0; i < waits.size(); ++i) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (!waits[i].wait_for(std::max(left, std::chrono::milliseconds(0)))) {
      std::cerr << "tq: task " << ids[i] << " did not end in time (it goes on)\n";
      return kTimeout;
    }
    const int r = Report(waits[i].outcome());
    // A tool error outranks a task failure, which outranks success.
    if (r != kOk && (rc == kOk || rc == kTaskFailed)) rc = r;
  }
  return rc;
}

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
  std::cout << "task " << t.task_id << "\n"
            << "  state     " << proto::TaskStateName(t.state) << "\n"
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
  RawClient client(Options(common));
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

int Status(const Common& common, const std::vector<std::uint64_t>& ids, bool json) {
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

int Cancel(const Common& common, const std::vector<std::uint64_t>& ids) {
  return ForEachTask(
      common, ids, [](RawClient& c, std::uint64_t id) { return c.Cancel(id); },
      [](const TaskInfo& t) {
        std::cout << "task " << t.task_id << ": " << proto::TaskStateName(t.state) << "\n";
      });
}

int Kick(const Common& common, const std::vector<std::uint64_t>& ids) {
  return ForEachTask(
      common, ids, [](RawClient& c, std::uint64_t id) { return c.Kick(id); },
      [](const TaskInfo& t) {
        std::cout << "task " << t.task_id << ": " << proto::TaskStateName(t.state) << "\n";
      });
}

int Ping(const Common& common) {
  try {
    RawClient client(Options(common));
    const ServerInfo info = client.Ping();
    std::cout << info.server << " (pid " << info.pid << ", " << info.workers
              << " workers) at " << client.endpoint() << "\n";
    return kOk;
  } catch (const ConnectionError& e) {
    std::cerr << "tq: " << e.what() << "\n";
    return kUnreachable;
  } catch (const Error& e) {
    std::cerr << "tq: " << e.what() << "\n";
    return kProtocol;
  }
}

}  // namespace tq::cli
