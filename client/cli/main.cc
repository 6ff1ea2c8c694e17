// tq: the command-line client. Parses flags and runs one command.
#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.h"
#include "exit_codes.h"

namespace {

using namespace tq::cli;

// The task options of call, submit and map, as flags.
struct TaskFlags {
  int priority = 0;
  double timeout = 0, delay = 0, retry_backoff = 0;
  unsigned retries = 0;
  std::vector<std::string> retry_on;
  std::string key;

  void AddTo(CLI::App* cmd, bool with_key) {
    cmd->add_option("--priority", priority, "Higher runs first (-1000..1000)")
        ->check(CLI::Range(-1000, 1000));
    cmd->add_option("--timeout", timeout,
                    "Seconds the task may run; then it is stopped and ends timed_out")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--delay", delay, "Seconds to wait before the task may run")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--retries", retries, "Further attempts after a failure")
        ->check(CLI::Range(0, 100));
    cmd->add_option("--retry-on", retry_on,
                    "States to retry: failed, lost, timed_out (default: lost,timed_out)")
        ->delimiter(',')
        ->check(CLI::IsMember({"failed", "lost", "timed_out"}));
    cmd->add_option("--retry-backoff", retry_backoff,
                    "Seconds before the first retry, doubling after (default 1)")
        ->check(CLI::NonNegativeNumber);
    if (with_key) {
      cmd->add_option("--key", key,
                      "Idempotency key: resubmitting with it returns the same task");
    }
  }

  tq::SubmitOptions Options() const {
    auto ms = [](double s) {
      return std::chrono::milliseconds(static_cast<long long>(s * 1000 + 0.5));
    };
    tq::SubmitOptions o;
    o.priority = priority;
    o.timeout = ms(timeout);
    o.delay = ms(delay);
    o.max_retries = retries;
    for (const std::string& s : retry_on) {
      if (auto state = tq::proto::ParseTaskState(s)) o.retry_on.push_back(*state);
    }
    o.retry_backoff = ms(retry_backoff);
    o.key = key;
    return o;
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tq: submit tasks to tqd and print their results.\n"};
  app.footer(std::string("\n") + kExitCodeHelp +
             "\nThe endpoint defaults to $TQ_ENDPOINT, else "
             "$XDG_RUNTIME_DIR/tq/tqd.sock, else /run/tq/tqd.sock.\n");
  app.require_subcommand(1);
  app.set_version_flag("--version", "tq " TQ_VERSION);

  Common common;
  double connect_timeout_s = 5.0;
  app.add_option("--endpoint", common.endpoint,
                 "tqd's endpoint: ipc://PATH or tcp://HOST:PORT");
  app.add_option("--connect-timeout", connect_timeout_s,
                 "Seconds to wait for a connection to tqd")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);

  std::string fn;
  std::vector<std::string> args;
  TaskFlags task;

  auto* call = app.add_subcommand(
      "call", "Run FN with JSON arguments; print its value as JSON");
  call->add_option("FN", fn, "Function name")->required();
  call->add_option("ARG", args, "Arguments, each a JSON value (quote strings: '\"x\"')");
  task.AddTo(call, true);

  bool wait = false;
  auto* submit = app.add_subcommand(
      "submit", "Queue FN with JSON arguments; print the task id (tq wait ID gets the value)");
  submit->add_option("FN", fn, "Function name")->required();
  submit->add_option("ARG", args, "Arguments, each a JSON value");
  submit->add_flag("--wait", wait, "Wait for the task and print its value, as call does");
  task.AddTo(submit, true);

  std::size_t window = 1000;
  auto* map = app.add_subcommand(
      "map",
      "Run FN once per line of stdin (each a JSON value); print the values "
      "as JSON lines in input order. Failed items are reported on stderr.");
  map->add_option("FN", fn, "Function name")->required();
  map->add_option("--window", window, "Most tasks in flight at once")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  task.AddTo(map, false);

  std::vector<std::uint64_t> ids;
  double wait_timeout = 0;
  auto* wait_cmd = app.add_subcommand(
      "wait", "Wait for tasks by id (from any client); print each value as JSON");
  wait_cmd->add_option("ID", ids, "Task ids")->required();
  wait_cmd->add_option("--timeout", wait_timeout,
                       "Give up after this many seconds (exit 124); the tasks go on")
      ->check(CLI::PositiveNumber);

  bool json = false;
  auto* status = app.add_subcommand(
      "status", "Show a task's state, function, attempts, worker, times and error");
  status->add_option("ID", ids, "Task ids")->required();
  status->add_flag("--json", json, "One JSON object per task");

  auto* cancel = app.add_subcommand(
      "cancel", "Cancel tasks: queued ones at once, running ones by stopping their worker");
  cancel->add_option("ID", ids, "Task ids")->required();

  auto* kick = app.add_subcommand("kick", "Queue buried tasks again");
  kick->add_option("ID", ids, "Task ids")->required();

  auto* ping = app.add_subcommand("ping", "Check that tqd answers; print who it is");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    (void)app.exit(e);
    return kUsage;
  }

  common.connect_timeout =
      std::chrono::milliseconds(static_cast<long long>(connect_timeout_s * 1000));
  if (*call) return Call(common, fn, args, task.Options());
  if (*submit) return Submit(common, fn, args, task.Options(), wait);
  if (*map) return Map(common, fn, window, task.Options());
  if (*wait_cmd) {
    std::optional<std::chrono::milliseconds> timeout;
    if (wait_timeout > 0) {
      timeout = std::chrono::milliseconds(static_cast<long long>(wait_timeout * 1000));
    }
    return Wait(common, ids, timeout);
  }
  if (*status) return Status(common, ids, json);
  if (*cancel) return Cancel(common, ids);
  if (*kick) return Kick(common, ids);
  if (*ping) return Ping(common);
  return kUsage;
}
