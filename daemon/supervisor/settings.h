// The table of tqd's settings: each one declared once, with its TOML key,
// type, range, help sentence and what a SIGHUP does with it.
//
// The table feeds the TOML reader (config_file.cc), the command-line flags
// (settings_flags.h), `tqd --help` and the README's table
// (settings_doc.h). A setting's default is the initial value of its Config
// field (config.h), or, when only start-up knows it (the CPU count), the
// row's start_up_default; it is never typed anywhere else.
//
// Adding a setting: a field in Config and a row in settings.cc.
//
// Thread-safety: the table is built on first use and constant afterwards.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config.h"

namespace tq::daemon {

enum class SettingType {
  kCount,       // a whole number
  kBytes,       // a size: 1048576, "512MiB", "1.5GiB"
  kDuration,    // seconds (2.5), or "500ms", "2s", "1m", "1h", "1d"
  kBool,        // true/false; the flag is --name and --no-name
  kString,
  kStringList,  // a TOML array; the flag is repeatable
  kChoice,      // one of Setting::choices
};

// What a SIGHUP does when the file or flags change the setting.
enum class OnReload {
  kApplies,     // applied at once
  kNewWorkers,  // applies to workers started afterwards
  kRestart,     // kept until tqd restarts
};

// A setting's value: counts and bytes as integers, durations in ms, choices
// as the chosen word.
using SettingValue = std::variant<std::uint64_t, std::chrono::milliseconds, bool,
                                  std::string, std::vector<std::string>>;

// The longest duration any setting accepts: far beyond any real timeout,
// short enough that now + it cannot overflow a clock.
inline constexpr std::chrono::milliseconds kLongestDuration =
    std::chrono::hours(24 * 365);

// How a row reads and writes its Config field, whatever the field's C++ type.
struct SettingField {
  std::function<SettingValue(const Config&)> get;
  std::function<void(Config&, const SettingValue&)> set;
  std::uint64_t max = 0;  // numeric fields: the largest value the field holds
};

struct Setting {
  std::string_view name;  // the TOML key; the flag is --name with '-' for '_'
  SettingType type;
  OnReload reload;
  // One sentence, no default and no range: --help and the README print
  // those from the fields below.
  std::string_view help;
  SettingField field;

  // Numeric types (count, bytes, duration in ms): the values accepted.
  std::uint64_t min = 0;
  std::optional<std::uint64_t> max;  // unset: as much as the field holds
  std::string_view zero_means;  // not empty: 0 is accepted too and means this
  std::vector<std::string_view> choices;  // kChoice: the words accepted

  std::string_view flag;     // CLI11 names, when not derived from `name`
  std::string_view metavar;  // --help's word for the value; "" derives one
  // How the default reads when its value alone does not say it ("the CPU
  // count", "any program"), and for a default only start-up knows, how it
  // is found.
  std::string_view default_text;
  void (*start_up_default)(Config&) = nullptr;
  // For the example config file: a TOML value to show instead of the
  // default (rows whose default only start-up knows, and lists).
  std::string_view example;

  std::uint64_t max_value() const { return max.value_or(field.max); }
  // "--max-queued"; the flag's CLI11 names ("-w,--workers") in flag_names().
  std::string long_flag() const;
  std::string flag_names() const;
};

// Every setting, in the order --help and the README list them.
const std::vector<Setting>& Settings();

// The row whose TOML key is `name`, or nullptr.
const Setting* FindSetting(std::string_view name);

// Config{} with the defaults only start-up knows: the endpoint from the
// environment, the CPU count, the tq-worker beside this program.
Config DefaultConfig();

// For a SIGHUP: sets back in `next` every kRestart setting whose value
// differs from `running`'s, and returns their names, so the caller can say
// they were ignored.
std::vector<std::string_view> KeepRestartOnlySettings(const Config& running,
                                                      Config* next);

}  // namespace tq::daemon
