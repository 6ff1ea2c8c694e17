// tq: the command-line client. Parses flags and runs one command.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string_view>

#include "commands.h"
#include "exit_codes.h"
#include "flags.h"
#include "interrupts.h"

extern char** environ;

namespace {

using namespace tq::cli;

std::chrono::milliseconds Ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000 + 0.5));
}

// CLI11 validators over flags.h's checks: the message says what a valid
// value is, and CLI11 puts the flag's name before it.
CLI::Validator Seconds(bool positive = false) {
  return CLI::Validator(
      [positive](std::string& s) { return CheckSeconds(s, positive); },
      positive ? "SECONDS>0" : "SECONDS>=0");
}
CLI::Validator Integer(long long min, long long max) {
  return CLI::Validator([min, max](std::string& s) { return CheckInteger(s, min, max); },
                        "INT in [" + std::to_string(min) + " - " + std::to_string(max) + "]");
}

// The task options of call, submit and map, as flags.
struct TaskFlags {
  int priority = 0;
  double timeout = 0, delay = 0, retry_backoff = 0;
  unsigned retries = 0;
  std::vector<std::string> retry_on;
  std::string key;
  std::string name;
  bool detach = false;
  int durable = 0;  // +1 --durable, -1 --no-durable, 0: tqd's setting

  void AddTo(CLI::App* cmd, bool with_key) {
    cmd->add_option("--priority", priority, "Higher runs first (-1000..1000)")
        ->check(Integer(-1000, 1000));
    cmd->add_option("--timeout", timeout,
                    "Seconds the task may run; then it is stopped and ends timed_out")
        ->check(Seconds());
    cmd->add_option("--delay", delay, "Seconds to wait before the task may run")
        ->check(Seconds());
    cmd->add_option("--retries", retries, "Further attempts after a failure (0..100)")
        ->check(Integer(0, 100));
    cmd->add_option("--retry-on", retry_on,
                    "States to retry: failed, lost, timed_out (default: lost,timed_out)")
        ->delimiter(',')
        ->check(CLI::IsMember({"failed", "lost", "timed_out"}));
    cmd->add_option("--retry-backoff", retry_backoff,
                    "Seconds before the first retry, doubling after (default 1)")
        ->check(Seconds());
    if (with_key) {
      cmd->add_option("--key", key,
                      "Idempotency key: resubmitting with it returns the same task");
      cmd->add_option("--name", name, "A name for the task, shown by tq status and tq workers");
    }
    cmd->add_flag("--detach", detach,
                  "When interrupted (^C, SIGTERM, stdout closed), leave the tasks "
                  "running instead of cancelling them");
    cmd->add_flag_function("--durable", [this](std::int64_t) { durable = 1; },
                           "On tqd's disk before it is accepted: survives a crash or "
                           "restart of tqd (default: tqd's `durable` setting)");
    cmd->add_flag_function("--no-durable", [this](std::int64_t) { durable = -1; },
                           "In tqd's memory only: faster, lost if tqd dies");
  }

  tq::SubmitOptions Options() const {
    tq::SubmitOptions o;
    o.priority = priority;
    o.timeout = Ms(timeout);
    o.delay = Ms(delay);
    o.max_retries = retries;
    for (const std::string& s : retry_on) {
      if (auto state = tq::ParseTaskState(s)) o.retry_on.push_back(*state);
    }
    o.retry_backoff = Ms(retry_backoff);
    o.key = key;
    o.name = name;
    if (durable != 0) o.durable = durable > 0;
    return o;
  }
};

// Where commands run: --cwd, --env, --env-all (submit -- and map --).
struct PlaceFlags {
  std::string cwd;
  std::vector<std::string> env;
  bool env_all = false;

  void AddTo(CLI::App* cmd) {
    cmd->add_option("--cwd", cwd,
                    "Directory the command runs in (default: this one; relative to this one)");
    cmd->add_option("--env", env,
                    "NAME: pass this variable of yours to the command; NAME=VALUE: set it "
                    "(repeatable). By default the command gets none of yours");
    cmd->add_flag("--env-all", env_all, "Pass all of your environment to the command");
  }

  std::optional<ExecPlace> Place() const {
    std::error_code ec;
    const std::filesystem::path here = std::filesystem::current_path(ec);
    if (ec) {
      std::cerr << "tq: cannot tell the current directory: " << ec.message() << "\n";
      return std::nullopt;
    }
    ExecPlace place;
    place.cwd = cwd.empty() ? here.string() : AbsoluteDir(cwd, here.string());
    std::string error;
    auto vars = ExecEnvironment(env, env_all, environ, &error);
    if (!vars) {
      std::cerr << "tq: " << error << "\n";
      return std::nullopt;
    }
    place.env = std::move(*vars);
    return place;
  }
};

// FN's arguments: whatever CLI11 did not take as a flag, each word one JSON
// value, verbatim (CLI11's own lists would split "[1,2]" at the comma).
// A word that looks like a flag and is no JSON number is an unknown flag.
std::optional<std::vector<std::string>> JsonArgs(const CLI::App* cmd) {
  std::vector<std::string> args = cmd->remaining();
  for (const std::string& a : args) {
    if (a.size() > 1 && a[0] == '-' && !(std::isdigit(static_cast<unsigned char>(a[1])))) {
      std::cerr << "tq " << cmd->get_name() << ": unknown option " << a
                << " (a JSON argument that starts with '-' is a number)\n";
      return std::nullopt;
    }
  }
  return args;
}

std::optional<std::vector<std::uint64_t>> TaskIds(const std::vector<std::string>& words) {
  std::vector<std::uint64_t> ids;
  for (const std::string& w : words) {
    std::string error;
    const std::optional<std::uint64_t> id = ParseTaskId(w, &error);
    if (!id) {
      std::cerr << "tq: " << error << "\n";
      return std::nullopt;
    }
    ids.push_back(*id);
  }
  return ids;
}

int Run(int argc, char** argv) {
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
             "\nThe endpoint defaults to $TQ_ENDPOINT; else your own tqd's, "
             "$XDG_RUNTIME_DIR/tq/tqd.sock (not for root), if it is there; else "
             "the system's, /run/tq/tqd.sock.\n");
  app.require_subcommand(1);
  app.set_version_flag("--version", "tq " TQ_VERSION);

  Common common;
  double connect_timeout_s = 5.0;
  app.add_option("--endpoint", common.endpoint,
                 "tqd's endpoint: ipc://PATH or tcp://HOST:PORT");
  app.add_option("--connect-timeout", connect_timeout_s,
                 "Seconds to wait for tqd to answer at an endpoint that exists")
      ->capture_default_str()
      ->check(Seconds(true));

  std::string fn;
  TaskFlags task;
  PlaceFlags place;

  auto* call = app.add_subcommand(
      "call", "Run FN with JSON arguments; print its value as JSON");
  call->add_option("FN", fn, "Function name")->required();
  call->allow_extras();  // ARG...: each one JSON value (quote strings: '"x"')
  call->footer("ARG...: after FN, each word one JSON value, verbatim (quote strings: '\"x\"')");
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
  submit->allow_extras();
  submit->footer("ARG...: after FN, each word one JSON value, verbatim (quote strings: '\"x\"')");
  submit->add_flag("--wait", wait,
                   "Wait and print the value as call does; for a command, print its "
                   "output and exit with its status");
  task.AddTo(submit, true);
  place.AddTo(submit);
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
      ->check(Integer(1, 1000000));
  bool keep_order = true;
  map->add_flag("-k,--keep-order", keep_order, "Output in input order (the default)");
  map->add_flag("--unordered", unordered, "Output each item as soon as it ends");
  map->add_flag("--halt-on-error", halt_on_error,
                "Start no new item after the first failure");
  std::string job_name;
  bool job_status = false;
  map->add_option("--name", job_name,
                  "A resumable map: its tasks are durable and named JOB; run the same "
                  "command again (after a crash or ^C) and only the items not done run")
      ->option_text("JOB");
  map->add_flag("--status", job_status,
                "With --name JOB: show how many of its items are done, failed and "
                "pending, and which failed; submit nothing");
  task.AddTo(map, false);
  place.AddTo(map);
  add_progress(map);

  std::vector<std::string> id_words;
  double wait_timeout = 0;
  bool json = false;
  auto* wait_cmd = app.add_subcommand(
      "wait",
      "Wait for tasks by id (from any client); print each value as JSON, or a "
      "command's output; exit with the first failure's status");
  wait_cmd->add_option("ID", id_words, "Task ids")->required();
  wait_cmd->add_option("--timeout", wait_timeout,
                       "Give up after this many seconds (exit 124); the tasks go on")
      ->check(Seconds(true));
  wait_cmd->add_flag("--json", json,
                     "One JSON object per task: task, fn, state, value or error");

  auto* status = app.add_subcommand(
      "status",
      "Show a task's state, function, attempts, worker, times and error; "
      "without ID, the queue and the recent tasks");
  status->add_option("ID", id_words, "Task ids");
  status->add_flag("--json", json, "One JSON object per task");

  bool prometheus = false;
  auto* stats = app.add_subcommand(
      "stats",
      "Show what tqd counted since it started and over the last minute: tasks by "
      "state, queue waits and run times (p50/p90/p99/max), worker restarts by cause, "
      "per function");
  auto* stats_json = stats->add_flag("--json", json, "As one line of JSON");
  stats->add_flag("--prometheus", prometheus,
                  "In Prometheus' text format, as tqd's --metrics endpoint serves it "
                  "(for node_exporter's textfile collector)")
      ->excludes(stats_json);

  auto* top = app.add_subcommand(
      "top",
      "Watch tqd live: queue, throughput, workers and the slowest running tasks, "
      "redrawn every second; q or ^C quits");

  auto* workers = app.add_subcommand("workers", "Show the worker pool");
  workers->add_flag("--json", json, "As JSON");

  auto* functions = app.add_subcommand(
      "functions", "List the functions the workers offer, and the plugin of each");
  functions->add_flag("--json", json, "As JSON: [{\"name\", \"origin\"}], origin null for builtins");

  auto* cancel = app.add_subcommand(
      "cancel", "Cancel tasks: queued ones at once, running ones by stopping their worker");
  cancel->add_option("ID", id_words, "Task ids")->required();

  auto* kick = app.add_subcommand("kick", "Queue buried tasks again");
  kick->add_option("ID", id_words, "Task ids")->required();

  auto* ping = app.add_subcommand("ping", "Check that tqd answers; print who it is");

  std::string key_stem;
  bool force = false;
  auto* keygen = app.add_subcommand(
      "keygen",
      "Write a new CURVE key pair, PATH.key (secret, mode 0600) and PATH.pub, for "
      "tqd's agent endpoint or an agent; print the public key (needs no tqd)");
  keygen->add_option("PATH", key_stem, "Where: PATH.key and PATH.pub")->required();
  keygen->add_flag("--force", force, "Replace PATH.key and PATH.pub if they exist");

  // tqd's named objects: tq dict|list|queue VERB NAME [ARG...].
  struct ObjectVerbs {
    const char* kind;
    const char* help;
    std::vector<std::pair<const char*, const char*>> verbs;
  };
  const ObjectVerbs kObjects[] = {
      {"dict", "A named dict of tqd's (values are JSON; KEY is JSON, or else a bare word)",
       {{"get", "NAME KEY: print KEY's value as JSON (exit 1 if it has none)"},
        {"set", "NAME KEY VALUE: set KEY to the JSON VALUE"},
        {"incr", "NAME KEY [BY]: add BY (default 1) to KEY's integer, atomically; print the sum"},
        {"del", "NAME KEY: remove KEY and print its value (exit 1 if it had none)"},
        {"keys", "NAME: print every key, one JSON value per line, in insertion order"},
        {"items", "NAME: print every [key, value], one per line"},
        {"size", "NAME: print how many keys it has"}}},
      {"list", "A named list of tqd's (values are JSON)",
       {{"append", "NAME VALUE...: append each JSON VALUE; print the new length"},
        {"get", "NAME [INDEX]: print the item at INDEX (negative: from the end), or every item"},
        {"len", "NAME: print its length"}}},
      {"queue", "A named queue of tqd's (values are JSON)",
       {{"put", "NAME VALUE...: put each JSON VALUE (waits while a bounded queue is full)"},
        {"get", "NAME: take an item and print it; waits for one (exit 124 if none came "
                "within --timeout)"},
        {"size", "NAME: print how many items it holds"}}},
  };
  ObjectSpec object;
  double object_timeout = -1;
  std::vector<std::pair<CLI::App*, std::pair<std::string, std::string>>> object_cmds;
  for (const ObjectVerbs& o : kObjects) {
    auto* kind = app.add_subcommand(o.kind, o.help);
    kind->require_subcommand(1);
    for (const auto& [verb, help] : o.verbs) {
      auto* cmd = kind->add_subcommand(verb, help);
      cmd->add_option("NAME", object.name, "The object's name")->required();
      cmd->allow_extras();
      const std::string_view v(verb);
      if (std::string_view(o.kind) == "queue" && (v == "get" || v == "put")) {
        cmd->add_option("--timeout", object_timeout,
                        v == "get" ? "Seconds to wait for an item (default: no limit; 0: "
                                     "only what is there)"
                                   : "Seconds to wait while the queue is full (exit 120 when "
                                     "it stays full)")
            ->check(Seconds());
      }
      if (std::string_view(o.kind) == "queue" && v == "get") {
        cmd->add_option("-n,--count", object.count, "Take up to this many items at once")
            ->check(Integer(1, 4096));
      }
      object_cmds.push_back({cmd, {o.kind, verb}});
    }
  }

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

  common.connect_timeout = Ms(connect_timeout_s);
  const bool with_command = cli_argc != argc;
  if (*keygen) {
    if (with_command) {
      std::cerr << "tq: keygen takes no -- CMD\n";
      return kUsage;
    }
    return Keygen(key_stem, force);
  }
  for (const auto& [cmd, what] : object_cmds) {
    if (!*cmd) continue;
    if (with_command) {
      std::cerr << "tq " << what.first << " takes no -- CMD\n";
      return kUsage;
    }
    const auto words = JsonArgs(cmd);
    if (!words) return kUsage;
    object.kind = what.first;
    object.verb = what.second;
    object.words = *words;
    if (object_timeout >= 0) object.timeout = object_timeout;
    return ObjectCommand(common, object);
  }
  if (*call) {
    if (with_command) {
      std::cerr << "tq: call takes no -- CMD; use tq submit --wait -- CMD\n";
      return kUsage;
    }
    const auto args = JsonArgs(call);
    if (!args) return kUsage;
    return Call(common, CallSpec{fn, *args, task.Options(), task.detach});
  }
  if (*map && job_status) {
    if (job_name.empty() || with_command || !fn.empty()) {
      std::cerr << "tq: map --status takes --name JOB and nothing to run: tq map --name JOB "
                   "--status\n";
      return kUsage;
    }
    return MapStatus(common, job_name);
  }
  if (*map && !job_name.empty() && task.durable < 0) {
    std::cerr << "tq: map --name keeps its items on tqd's disk: it cannot be --no-durable\n";
    return kUsage;
  }
  if ((*submit || *map) && with_command == !fn.empty()) {
    std::cerr << "tq: give either FN or -- CMD\n";
    return kUsage;
  }
  if (with_command && command.empty()) {
    std::cerr << "tq: no command after --\n";
    return kUsage;
  }
  std::optional<ExecPlace> exec_place;
  if (with_command) {
    exec_place = place.Place();
    if (!exec_place) return kUsage;
  } else if ((*submit || *map) && (!place.cwd.empty() || !place.env.empty() || place.env_all)) {
    std::cerr << "tq: --cwd, --env and --env-all are for commands (-- CMD)\n";
    return kUsage;
  }
  if (*submit) {
    const auto args = JsonArgs(submit);
    if (!args) return kUsage;
    if (with_command && !args->empty()) {
      std::cerr << "tq: give either FN [ARG...] or -- CMD\n";
      return kUsage;
    }
    return Submit(common, SubmitSpec{fn, *args, command, exec_place.value_or(ExecPlace{}),
                                     task.Options(), wait, progress, task.detach});
  }
  if (*map) {
    if (items && !with_command) {
      std::cerr << "tq: ::: needs a command: tq map -- CMD {} ::: ITEM...\n";
      return kUsage;
    }
    return Map(common, MapSpec{fn, command, items, exec_place.value_or(ExecPlace{}), window,
                               !unordered, halt_on_error, progress, task.Options(),
                               task.detach, job_name});
  }
  const std::optional<std::vector<std::uint64_t>> ids = TaskIds(id_words);
  if (!ids) return kUsage;
  if (*wait_cmd) {
    std::optional<std::chrono::milliseconds> timeout;
    if (wait_timeout > 0) timeout = Ms(wait_timeout);
    return Wait(common, *ids, timeout, json);
  }
  if (*status) return Status(common, *ids, json);
  if (*stats) {
    return Stats(common, prometheus ? StatsFormat::kPrometheus
                                    : json ? StatsFormat::kJson : StatsFormat::kText);
  }
  if (*top) return Top(common);
  if (*workers) return Workers(common, json);
  if (*functions) return Functions(common, json);
  if (*cancel) return Cancel(common, *ids);
  if (*kick) return Kick(common, *ids);
  if (*ping) return Ping(common);
  return kUsage;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread: they all inherit the blocked SIGINT/SIGTERM.
  Interrupts::Start();
  try {
    return Run(argc, argv);
  } catch (const tq::ConnectionError& e) {  // e.g. a malformed --endpoint
    std::cerr << "tq: " << e.what() << "\n";
    return kUnreachable;
  } catch (const std::exception& e) {  // a bug of ours: say it, never abort
    std::cerr << "tq: internal error: " << e.what() << "\n";
    return kProtocol;
  }
}
