// tq call, tq submit, tq wait, tq ping.
#include "commands.h"

#include <algorithm>
#include <iostream>
#include <string>

#include "cli_common.h"
#include "exit_codes.h"
#include "interrupts.h"
#include "json_msgpack.h"
#include "progress_bar.h"

namespace tq::cli {
namespace {

std::optional<std::string> ArgsOrComplain(const std::vector<std::string>& json_args) {
  std::string error;
  std::optional<std::string> args = JsonArgsToMsgpack(json_args, &error);
  if (!args) std::cerr << "tq: " << error << "\n";
  return args;
}

// The function a task runs, as tqd tells; "" if it cannot (its result
// expired meanwhile, or tqd is gone: the outcome says so).
std::string FunctionOf(RawClient& client, std::uint64_t id) {
  try {
    return client.Status(id).fn;
  } catch (const Error&) {
    return "";
  }
}

// The exit status `tq wait` gives a task's outcome without printing it.
int StatusOf(const std::string& fn, const Outcome& o) {
  if (!o.ok()) return ExitCodeFor(o);
  if (fn != "exec") return kOk;
  const std::optional<ExecResult> r = DecodeExecResult(o.value);
  return r ? ExecStatus(*r) : kProtocol;
}

}  // namespace

int Call(const Common& common, const CallSpec& spec) {
  const std::optional<std::string> args = ArgsOrComplain(spec.args);
  if (!args) return kUsage;
  RawClient client(ClientOptionsFor(common));
  Interrupts::Scope scope(nullptr);
  const RawResult result = client.Submit(spec.fn, *args, spec.options);
  if (!WaitOrInterrupt(result)) return CancelUncollected({result}, spec.detach);
  return Report(result.outcome());
}

int Submit(const Common& common, const SubmitSpec& spec) {
  const bool exec = !spec.command.empty();
  std::string args;
  SubmitOptions options = spec.options;
  if (exec) {
    std::uint64_t exec_timeout_ms = 0;
    options = ExecOptions(options, &exec_timeout_ms);
    args = ExecArgs(ExecFor(spec.command, spec.place, exec_timeout_ms));
  } else {
    const std::optional<std::string> json = ArgsOrComplain(spec.args);
    if (!json) return kUsage;
    args = *json;
  }
  RawClient client(ClientOptionsFor(common));
  // Without --wait, ^C ends tq at once: what was sent is queued, and the
  // id was all tq would have printed.
  std::optional<Interrupts::Scope> scope;
  if (spec.wait) scope.emplace(nullptr);
  const RawResult result = client.Submit(exec ? "exec" : spec.fn, args, options);
  if (!spec.wait) {
    const std::uint64_t id = result.wait_accepted();
    if (id == 0) return Report(result.outcome());  // refused or unreachable
    std::cout << id << "\n";
    return kOk;
  }
  // Shows the task's own progress reports while it runs.
  ProgressBar bar(WantProgress(spec.progress));
  while (!result.wait_for(std::chrono::milliseconds(50))) {
    if (Interrupts::Status() != 0) {
      bar.Clear();
      return CancelUncollected({result}, spec.detach);
    }
    if (auto p = result.progress()) bar.Task(result.task_id(), p->done, p->total, p->message);
  }
  bar.Clear();
  return exec ? ReportExec(result.outcome()) : Report(result.outcome());
}

int Wait(const Common& common, const std::vector<std::uint64_t>& ids,
         std::optional<std::chrono::milliseconds> timeout, bool json) {
  RawClient client(ClientOptionsFor(common));
  std::vector<RawResult> waits;
  for (std::uint64_t id : ids) waits.push_back(client.Wait(id));
  // Nothing to cancel on ^C: the tasks are not this process's to stop.
  Interrupts::Scope scope(nullptr);
  const auto until = std::chrono::steady_clock::now() +
                     timeout.value_or(std::chrono::hours(24 * 365));
  int rc = kOk;
  for (std::size_t i = 0; i < waits.size(); ++i) {
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (waits[i].wait_for(std::clamp(left, std::chrono::milliseconds(0),
                                       std::chrono::milliseconds(50)))) {
        break;
      }
      if (Interrupts::Status() != 0) {
        std::cerr << "tq: " << Interrupts::Reason() << " (the tasks go on)\n";
        return Interrupts::Status();
      }
      if (left.count() <= 0) {
        std::cerr << "tq: task " << ids[i] << " did not end in time (it goes on)\n";
        return kTimeout;
      }
    }
    const Outcome& o = waits[i].outcome();
    // A command's result is shown as its output; anything else as JSON.
    const std::string fn =
        o.kind == Outcome::Kind::kValue || json ? FunctionOf(client, ids[i]) : "";
    int r;
    if (json) {
      std::cout << OutcomeToJson(ids[i], fn, o) << "\n";
      if (!o.ok() && o.kind != Outcome::Kind::kTaskError) {
        std::cerr << "tq: task " << ids[i] << ": " << Describe(o) << "\n";
      }
      r = StatusOf(fn, o);
    } else {
      r = fn == "exec" ? ReportExec(o) : Report(o);
    }
    std::cout.flush();
    if (rc == kOk) rc = r;  // the first failure's
  }
  return rc;
}

int Ping(const Common& common) {
  return Guarded([&] {
    RawClient client(ClientOptionsFor(common));
    const ServerInfo info = client.Ping();
    std::cout << info.server << " (pid " << info.pid << ", " << info.workers
              << " workers, instance " << info.instance << ") at " << client.endpoint()
              << "\n";
    return kOk;
  });
}

}  // namespace tq::cli
