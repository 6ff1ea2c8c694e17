// tqd: parse flags, set up logging, run the supervisor.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "supervisor.h"
#include "tq/proto/endpoint.h"

namespace {

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

}  // namespace

int main(int argc, char** argv) {
  tq::daemon::Config config;
  config.endpoint = tq::proto::DefaultEndpoint();
  config.workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  config.worker_program = SiblingProgram("tq-worker");
  std::string log_level = "info";
  double shutdown_grace_s = 10.0;

  CLI::App app{"tqd: the tq task-queue daemon. Keeps a pool of worker processes "
               "and runs the tasks clients submit over ZeroMQ."};
  app.set_version_flag("--version", "tqd " TQ_VERSION);
  app.add_option("--endpoint", config.endpoint,
                 "Where to listen: ipc://PATH or tcp://HOST:PORT "
                 "(default: $TQ_ENDPOINT, else $XDG_RUNTIME_DIR/tq/tqd.sock, "
                 "else /run/tq/tqd.sock)")
      ->capture_default_str();
  app.add_option("-w,--workers", config.workers, "Number of worker processes")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--plugin", config.plugins,
                 "Task plugin (.so) every worker loads; repeatable");
  app.add_option("--worker", config.worker_program,
                 "Worker program to run (tq-worker or one built on the SDK)")
      ->capture_default_str();
  app.add_option("--max-queued", config.max_queued,
                 "Most queued tasks; beyond it SUBMIT gets QUEUE_FULL")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--shutdown-grace", shutdown_grace_s,
                 "Seconds running tasks get to finish after SIGTERM")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--log-level", log_level,
                 "trace, debug, info, warn, error or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  CLI11_PARSE(app, argc, argv);

  config.shutdown_grace =
      std::chrono::milliseconds(static_cast<long long>(shutdown_grace_s * 1000));
  SetUpLogging(log_level);

  auto supervisor = tq::daemon::Supervisor::Create(std::move(config));
  if (!supervisor.ok()) {
    spdlog::error("cannot start: {}", supervisor.status().message());
    return 1;
  }
  return (*supervisor)->Run();
}
