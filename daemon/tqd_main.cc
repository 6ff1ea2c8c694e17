// tqd: parse flags, set up logging, run the supervisor.
//
// The configuration is defaults, then the --config TOML file, then the
// flags given on the command line; SIGHUP rebuilds it the same way, so a
// flag always wins over the file. The settings' flags come from the table
// in supervisor/settings.cc; only the flags that are not settings are here.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "logging.h"
#include "settings.h"
#include "settings_doc.h"
#include "settings_flags.h"
#include "supervisor.h"

int main(int argc, char** argv) {
  CLI::App app{"tqd: the tq task-queue daemon. Keeps a pool of worker processes "
               "and runs the tasks clients submit over ZeroMQ."};
  app.set_version_flag("--version", "tqd " TQ_VERSION);
  std::string config_file;
  std::string log_level = "info";
  std::string print_settings;
  app.add_option("--config", config_file,
                 "TOML file with the settings below, one key per flag "
                 "(max_queued for --max-queued); flags win over it. Re-read on SIGHUP.")
      ->option_text("FILE");
  const tq::daemon::SettingFlags settings(app);
  app.add_option("--log-level", log_level,
                 "trace, debug, info, warn, error or off. Default: " + log_level + ".")
      ->option_text("LEVEL")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  // For the README's table and the example config file, and the tests that
  // keep them the same.
  app.add_option("--print-settings", print_settings)
      ->group("")
      ->check(CLI::IsMember({"markdown", "toml"}));
  CLI11_PARSE(app, argc, argv);
  if (!print_settings.empty()) {
    std::cout << (print_settings == "toml" ? tq::daemon::SettingsToml()
                                           : tq::daemon::SettingsMarkdown());
    return 0;
  }
  // As text until the settings say otherwise: a setting that does not
  // parse is told as text.
  tq::daemon::LogSetup logging{.level = log_level, .journal = tq::daemon::StderrIsJournal()};
  tq::daemon::SetUpLogging(logging);

  // defaults <- file <- flags; again on every SIGHUP.
  auto load = [defaults = tq::daemon::DefaultConfig(), config_file, &settings] {
    return tq::daemon::LoadConfig(defaults, config_file, settings);
  };
  auto config = load();
  if (!config.ok()) {
    spdlog::error("cannot start: {}", config.status().message());
    return 1;
  }
  logging.format = tq::daemon::ParseLogFormat(config->log_format);
  tq::daemon::SetUpLogging(logging);
  auto supervisor = tq::daemon::Supervisor::Create(std::move(*config), load);
  if (!supervisor.ok()) {
    spdlog::error("cannot start: {}", supervisor.status().message());
    return 1;
  }
  return (*supervisor)->Run();
}
