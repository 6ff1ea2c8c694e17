// tqd's command-line flags, one per row of the settings table, on a CLI11
// app, and the order in which tqd builds its Config from them:
// defaults <- the --config file <- the flags given on the command line.
//
// A flag's value is checked while CLI11 parses (an error names the flag and
// says what a valid value is); it is written into a Config only by ApplyTo,
// so a SIGHUP can rebuild the Config from a re-read file with the same flags
// on top. Not thread-safe; tqd uses it from main() and its loop.
#pragma once

#include <string>
#include <vector>

#include "config.h"
#include "tq/proto/status.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace tq::daemon {

struct Setting;

class SettingFlags {
 public:
  // Adds a flag for every setting to `app`, which must outlive this, and a
  // help formatter that prints a bool's flags as --[no-]name.
  explicit SettingFlags(CLI::App& app);
  SettingFlags(const SettingFlags&) = delete;
  SettingFlags& operator=(const SettingFlags&) = delete;

  // Writes into `config` every setting whose flag the command line gave.
  proto::Status ApplyTo(Config* config) const;

 private:
  struct Given {
    const Setting* setting = nullptr;
    CLI::Option* option = nullptr;     // owned by the app
    std::string text;                  // a value's flag: as typed
    std::vector<std::string> list;     // a list's flag: every occurrence
    bool flag = false;                 // a bool's flag
  };
  std::vector<Given> given_;  // one per setting; CLI11 holds pointers into it
};

// `defaults`, then the TOML file at `config_file` ("" for none), then
// `flags`: what tqd runs at start and on every SIGHUP. Does not Validate().
proto::Result<Config> LoadConfig(Config defaults, const std::string& config_file,
                                 const SettingFlags& flags);

}  // namespace tq::daemon
