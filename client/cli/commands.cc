// tq call, tq map, tq ping.
#include "commands.h"

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

}  // namespace

int Call(const Common& common, const std::string& fn,
         const std::vector<std::string>& json_args,
         std::optional<std::chrono::milliseconds> timeout) {
  std::string error;
  const std::optional<std::string> args = JsonArgsToMsgpack(json_args, &error);
  if (!args) {
    std::cerr << "tq: " << error << "\n";
    return kUsage;
  }
  RawClient client(Options(common));
  RawResult result = client.Submit(fn, *args);
  if (timeout && !result.wait_for(*timeout)) {
    std::cerr << "tq: task " << result.task_id() << " did not finish within "
              << timeout->count() << " ms (it keeps running)\n";
    return kTimeout;
  }
  const Outcome& o = result.outcome();
  if (!o.ok()) {
    std::cerr << "tq: " << Describe(o) << "\n";
    return ExitCodeFor(o);
  }
  std::cout << MsgpackToJson(o.value) << "\n";
  return kOk;
}

int Map(const Common& common, const std::string& fn, std::size_t window) {
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
      in_flight.emplace(submitted, client.Submit(fn, *args, queue, submitted));
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
