// tq call, tq submit, tq wait, tq ping.
#include "commands.h"

#include <iostream>
#include <string>

#include "cli_common.h"
#include "exit_codes.h"
#include "json_msgpack.h"
#include "progress_bar.h"

namespace tq::cli {
namespace {

// Prints the outcome's value as JSON, or why there is none; the exit code.
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
  RawClient client(ClientOptionsFor(common));
  return Report(client.Submit(fn, *args, options).outcome());
}

int Submit(const Common& common, const SubmitSpec& spec) {
  const bool exec = !spec.command.empty();
  std::string args;
  SubmitOptions options = spec.options;
  if (exec) {
    std::uint64_t exec_timeout_ms = 0;
    options = ExecOptions(options, &exec_timeout_ms);
    args = ExecArgs(spec.command, exec_timeout_ms);
  } else {
    const std::optional<std::string> json = ArgsOrComplain(spec.args);
    if (!json) return kUsage;
    args = *json;
  }
  RawClient client(ClientOptionsFor(common));
  RawResult result = client.Submit(exec ? "exec" : spec.fn, args, options);
  const std::uint64_t id = result.wait_accepted();
  if (id == 0) return Report(result.outcome());  // refused or unreachable
  if (!spec.wait) {
    std::cout << id << "\n";
    return kOk;
  }
  // Shows the task's own progress reports while it runs.
  ProgressBar bar(WantProgress(spec.progress));
  while (!result.wait_for(std::chrono::milliseconds(100))) {
    if (auto p = result.progress()) bar.Task(id, p->done, p->total, p->message);
  }
  bar.Clear();
  return exec ? ReportExec(result.outcome()) : Report(result.outcome());
}

int Wait(const Common& common, const std::vector<std::uint64_t>& ids,
         std::optional<std::chrono::milliseconds> timeout) {
  RawClient client(ClientOptionsFor(common));
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

int Ping(const Common& common) {
  return Guarded([&] {
    RawClient client(ClientOptionsFor(common));
    const ServerInfo info = client.Ping();
    std::cout << info.server << " (pid " << info.pid << ", " << info.workers
              << " workers) at " << client.endpoint() << "\n";
    return kOk;
  });
}

}  // namespace tq::cli
