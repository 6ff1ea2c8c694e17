// tq: the command-line client. Parses flags and runs one command.
#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <string_view>

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
      if (auto state = tq::ParseTaskState(s)) o.retry_on.push_back(*state);
    }
    o.retry_backoff = ms(retry_backoff);
    o.key = key;
    return o;
  }
};

}  // namespace

int main(int argc, char** argv) {
  // Everything after the first "--" is a command to run with the exec task
  // (tq submit -- CMD ARG..., tq map -- CMD {} ... ::: ITEM...): CLI11 never
  // sees it, so the command's own flags stay the command's.
  std::vector<std::string> command;
  std::optional<std::vector<std::string>> items;
  int cli_argc = argc;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) != "--") continue;
    cli_argc = i;
    for (int j = i + 1; j < argc; ++j) {
      if (std::string_view(argv[j]) == ":::" && !items) {
        items.emplace();
      } else if (items) {
        items->push_back(argv[j]);
      } else {
        command.push_back(argv[j]);
      }
    }
    break;
  }

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
  int progress = 0;
  auto add_progress = [&](CLI::App* cmd) {
    cmd->add_flag_function("--progress", [&](std::int64_t) { progress = 1; },
                           "Show progress on stderr even when it is not a terminal");
    cmd->add_flag_function("--no-progress", [&](std::int64_t) { progress = -1; },
                           "Never show progress");
  };
  auto* submit = app.add_subcommand(
      "submit",
      "Queue FN with JSON arguments, or a command (tq submit [OPTIONS] -- CMD ARG...); "
      "print the task id (tq wait ID gets the value)");
  submit->add_option("FN", fn, "Function name (omit it with -- CMD)");
  submit->add_option("ARG", args, "Arguments, each a JSON value");
  submit->add_flag("--wait", wait,
                   "Wait and print the value as call does; for a command, print its "
                   "output and exit with its status");
  task.AddTo(submit, true);
  add_progress(submit);

  std::size_t window = 1000;
  bool unordered = false, halt_on_error = false;
  auto* map = app.add_subcommand(
      "map",
      "tq map FN: run FN once per line of stdin (each a JSON value), print the "
      "values as JSON lines.\ntq map [OPTIONS] -- CMD {} ... [::: ITEM...]: run "
      "CMD once per item (after :::, else one per line of stdin) with GNU "
      "parallel's replacement strings {} {/} {.} {/.} {//} {#}; print each "
      "command's output. Output is in input order unless --unordered; the exit "
      "status is the number of failed items (at most 101).");
  map->add_option("FN", fn, "Function name (omit it with -- CMD)");
  map->add_option("-j,--jobs,--window", window, "Most tasks in flight at once")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  bool keep_order = true;
  map->add_flag("-k,--keep-order", keep_order, "Output in input order (the default)");
  map->add_flag("--unordered", unordered, "Output each item as soon as it ends");
  map->add_flag("--halt-on-error", halt_on_error,
                "Start no new item after the first failure");
  task.AddTo(map, false);
  add_progress(map);

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
      "status",
      "Show a task's state, function, attempts, worker, times and error; "
      "without ID, the queue and the recent tasks");
  status->add_option("ID", ids, "Task ids");
  status->add_flag("--json", json, "One JSON object per task");

  auto* workers = app.add_subcommand("workers", "Show the worker pool");
  workers->add_flag("--json", json, "As JSON");

  auto* cancel = app.add_subcommand(
      "cancel", "Cancel tasks: queued ones at once, running ones by stopping their worker");
  cancel->add_option("ID", ids, "Task ids")->required();

  auto* kick = app.add_subcommand("kick", "Queue buried tasks again");
  kick->add_option("ID", ids, "Task ids")->required();

  auto* ping = app.add_subcommand("ping", "Check that tqd answers; print who it is");

  try {
    app.parse(cli_argc, argv);
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
  const bool with_command = cli_argc != argc;
  if (*call) {
    if (with_command) {
      std::cerr << "tq: call takes no -- CMD; use tq submit --wait -- CMD\n";
      return kUsage;
    }
    return Call(common, fn, args, task.Options());
  }
  if ((*submit || *map) && with_command == !fn.empty()) {
    std::cerr << "tq: give either FN or -- CMD\n";
    return kUsage;
  }
  if (with_command && command.empty()) {
    std::cerr << "tq: no command after --\n";
    return kUsage;
  }
  if (*submit) {
    return Submit(common, SubmitSpec{fn, args, command, task.Options(), wait, progress});
  }
  if (*map) {
    if (items && !with_command) {
      std::cerr << "tq: ::: needs a command: tq map -- CMD {} ::: ITEM...\n";
      return kUsage;
    }
    return Map(common, MapSpec{fn, command, items, window, !unordered, halt_on_error,
                               progress, task.Options()});
  }
  if (*wait_cmd) {
    std::optional<std::chrono::milliseconds> timeout;
    if (wait_timeout > 0) {
      timeout = std::chrono::milliseconds(static_cast<long long>(wait_timeout * 1000));
    }
    return Wait(common, ids, timeout);
  }
  if (*status) return Status(common, ids, json);
  if (*workers) return Workers(common, json);
  if (*cancel) return Cancel(common, ids);
  if (*kick) return Kick(common, ids);
  if (*ping) return Ping(common);
  return kUsage;
}
