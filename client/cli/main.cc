// tq: the command-line client. Parses flags and runs one command.
#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.h"
#include "exit_codes.h"

int main(int argc, char** argv) {
  using namespace tq::cli;
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
  double timeout_s = 0;
  auto* call = app.add_subcommand(
      "call", "Run FN with JSON arguments; print its value as JSON");
  call->add_option("FN", fn, "Function name")->required();
  call->add_option("ARG", args, "Arguments, each a JSON value (quote strings: '\"x\"')");
  call->add_option("--timeout", timeout_s,
                   "Give up waiting after this many seconds (exit 124)")
      ->check(CLI::PositiveNumber);

  std::size_t window = 1000;
  auto* map = app.add_subcommand(
      "map",
      "Run FN once per line of stdin (each a JSON value); print the values "
      "as JSON lines in input order. Failed items are reported on stderr.");
  map->add_option("FN", fn, "Function name")->required();
  map->add_option("--window", window, "Most tasks in flight at once")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);

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
  if (*call) {
    std::optional<std::chrono::milliseconds> timeout;
    if (timeout_s > 0) {
      timeout = std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000));
    }
    return Call(common, fn, args, timeout);
  }
  if (*map) return Map(common, fn, window);
  if (*ping) return Ping(common);
  return kUsage;
}
