// tqd: parse flags, set up logging, run the supervisor.
//
// The configuration is defaults, then the --config TOML file, then the
// flags given on the command line; SIGHUP rebuilds it the same way, so a
// flag always wins over the file.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <thread>

#include "supervisor.h"
#include "tq/proto/endpoint.h"

namespace {

using tq::daemon::Config;

std::string SiblingProgram(const char* name) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return name;
  return (self.parent_path() / name).string();
}

void SetUpLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("tqd");
  // Under systemd the journal adds its own timestamps and process name.
  if (std::getenv("JOURNAL_STREAM") != nullptr) {
    logger->set_pattern("%l: %v");
  } else {
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e tqd[%P] %l: %v");
  }
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(std::move(logger));
}

std::chrono::milliseconds Ms(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000 + 0.5));
}

// The flags, as given; each one given overrides the config file.
struct Flags {
  std::string config_file;
  std::string log_level = "info";
  std::vector<std::function<void(Config&)>> overrides;
};

}  // namespace

int main(int argc, char** argv) {
  Config defaults;
  defaults.endpoint = tq::proto::DefaultEndpoint();
  defaults.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  defaults.worker_program = SiblingProgram("tq-worker");

  CLI::App app{"tqd: the tq task-queue daemon. Keeps a pool of worker processes "
               "and runs the tasks clients submit over ZeroMQ."};
  app.set_version_flag("--version", "tqd " TQ_VERSION);
  Flags flags;
  Config given;  // flag values land here, then override the file's
  double shutdown_grace = 0, task_timeout = 0, stop_grace = 0, result_ttl = 0;
  std::string given_exec;

  // Registers a flag whose value is copied into the Config when given.
  auto apply = [&](CLI::Option* opt, std::function<void(Config&)> set) {
    flags.overrides.push_back([opt, set = std::move(set)](Config& c) {
      if (opt->count() > 0) set(c);
    });
    return opt;
  };
  app.add_option("--config", flags.config_file,
                 "TOML file with the settings below (flags win over it); "
                 "re-read on SIGHUP");
  apply(app.add_option("--endpoint", given.endpoint,
                       "Where to listen: ipc://PATH or tcp://HOST:PORT (default: "
                       "$TQ_ENDPOINT, else $XDG_RUNTIME_DIR/tq/tqd.sock, else "
                       "/run/tq/tqd.sock)"),
        [&](Config& c) { c.endpoint = given.endpoint; });
  apply(app.add_option("-w,--workers", given.workers,
                       "Number of worker processes (default: the CPU count)")
            ->check(CLI::Range(1, 1024)),
        [&](Config& c) { c.workers = given.workers; });
  apply(app.add_option("--plugin", given.plugins,
                       "Task plugin (.so) every worker loads; repeatable"),
        [&](Config& c) { c.plugins = given.plugins; });
  apply(app.add_option("--worker", given.worker_program,
                       "Worker program to run (tq-worker or one built on the SDK)"),
        [&](Config& c) { c.worker_program = given.worker_program; });
  apply(app.add_option("--max-queued", given.max_queued,
                       "Most queued tasks; beyond it SUBMIT gets QUEUE_FULL (100000)")
            ->check(CLI::PositiveNumber),
        [&](Config& c) { c.max_queued = given.max_queued; });
  apply(app.add_option("--task-timeout", task_timeout,
                       "Default task timeout in seconds; 0: none (0)")
            ->check(CLI::NonNegativeNumber),
        [&](Config& c) { c.task_timeout = Ms(task_timeout); });
  apply(app.add_option("--shutdown-grace", shutdown_grace,
                       "Seconds running tasks get to finish after SIGTERM (10)")
            ->check(CLI::NonNegativeNumber),
        [&](Config& c) { c.shutdown_grace = Ms(shutdown_grace); });
  apply(app.add_option("--stop-grace", stop_grace,
                       "Seconds between SIGTERM and SIGKILL for a worker whose task "
                       "timed out or was cancelled (2)")
            ->check(CLI::NonNegativeNumber),
        [&](Config& c) { c.stop_grace = Ms(stop_grace); });
  apply(app.add_option("--max-tasks-per-worker", given.max_tasks_per_worker,
                       "Replace a worker after this many tasks; 0: never (0)"),
        [&](Config& c) { c.max_tasks_per_worker = given.max_tasks_per_worker; });
  apply(app.add_option("--max-rss-per-worker", given.max_rss_per_worker,
                       "Replace a worker whose RSS exceeds this many bytes after "
                       "a task; 0: never (0)"),
        [&](Config& c) { c.max_rss_per_worker = given.max_rss_per_worker; });
  apply(app.add_option("--bury-after", given.bury_after,
                       "Bury a task once it has killed this many workers (3)")
            ->check(CLI::PositiveNumber),
        [&](Config& c) { c.bury_after = given.bury_after; });
  apply(app.add_flag("--capture-stacks,!--no-capture-stacks", given.capture_stacks,
                     "Attach gdb's stack of a timed-out task's worker to its result"),
        [&](Config& c) { c.capture_stacks = given.capture_stacks; });
  apply(app.add_option("--result-ttl", result_ttl,
                       "Seconds an ended task's result stays available by id (600)")
            ->check(CLI::NonNegativeNumber),
        [&](Config& c) { c.retention.ttl = Ms(result_ttl); });
  apply(app.add_option("--max-results", given.retention.max_results,
                       "Most ended tasks kept; the oldest go first (100000)")
            ->check(CLI::PositiveNumber),
        [&](Config& c) { c.retention.max_results = given.retention.max_results; });
  apply(app.add_option("--max-result-store-bytes", given.retention.max_bytes,
                       "Most bytes of ended tasks kept; the oldest go first (256 MiB)"),
        [&](Config& c) { c.retention.max_bytes = given.retention.max_bytes; });
  apply(app.add_option("--exec", given_exec,
                       "Whether the exec builtin may run commands: on or off (on)")
            ->check(CLI::IsMember({"on", "off"})),
        [&](Config& c) { c.exec_enabled = given_exec == "on"; });
  apply(app.add_option("--exec-allow", given.exec_allow,
                       "Absolute path of a program exec may run; repeatable "
                       "(default: any program)"),
        [&](Config& c) { c.exec_allow = given.exec_allow; });
  apply(app.add_option("--max-args-bytes", given.limits.max_args_bytes,
                       "Largest task arguments accepted, in bytes; bigger submits "
                       "get TOO_LARGE (50331648)")
            ->check(CLI::Range(std::size_t{1}, tq::proto::Limits{}.max_args_bytes)),
        [&](Config& c) { c.limits.max_args_bytes = given.limits.max_args_bytes; });
  apply(app.add_option("--max-result-bytes", given.limits.max_result_bytes,
                       "Largest task result, in bytes; a bigger one fails the task "
                       "with tq.ResultTooLarge (50331648)")
            ->check(CLI::Range(std::size_t{1}, tq::proto::Limits{}.max_result_bytes)),
        [&](Config& c) { c.limits.max_result_bytes = given.limits.max_result_bytes; });
  apply(app.add_option("--worker-rlimit-as", given.worker_rlimit_as,
                       "Address-space limit of each worker (RLIMIT_AS), in bytes; "
                       "a task allocating past it fails with std::bad_alloc; 0: none (0)"),
        [&](Config& c) { c.worker_rlimit_as = given.worker_rlimit_as; });
  apply(app.add_option("--worker-rlimit-cpu", given.worker_rlimit_cpu,
                       "CPU-time limit of each worker process (RLIMIT_CPU), in "
                       "seconds; past it the worker is killed and replaced; 0: none (0)"),
        [&](Config& c) { c.worker_rlimit_cpu = given.worker_rlimit_cpu; });
  app.add_option("--log-level", flags.log_level,
                 "trace, debug, info, warn, error or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  CLI11_PARSE(app, argc, argv);
  SetUpLogging(flags.log_level);

  // defaults <- file <- flags; again on every SIGHUP.
  auto load = [defaults, &flags]() -> tq::proto::Result<Config> {
    Config c = defaults;
    c.config_file = flags.config_file;
    if (!flags.config_file.empty()) {
      TQ_RETURN_IF_ERROR(tq::daemon::ApplyConfigFile(flags.config_file, &c));
    }
    for (const auto& o : flags.overrides) o(c);
    return c;
  };
  auto config = load();
  if (!config.ok()) {
    spdlog::error("cannot start: {}", config.status().message());
    return 1;
  }
  auto supervisor = tq::daemon::Supervisor::Create(std::move(*config), load);
  if (!supervisor.ok()) {
    spdlog::error("cannot start: {}", supervisor.status().message());
    return 1;
  }
  return (*supervisor)->Run();
}
