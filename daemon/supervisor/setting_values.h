// Reading and writing the values of settings, the same way for the TOML
// file and the command line: "512MiB" is a size and "500ms" a duration in
// both, and a bad value gets the same sentence from both.
//
// Error messages are fragments that follow the setting's name as the user
// wrote it ("--workers: ", "tqd.toml:3: workers: "):
//   must be 1 to 1024, got '0'
//   must be a size (bytes, or a number with a unit ...), got '12XB'
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "settings.h"
#include "tq/proto/status.h"

namespace tq::daemon {

// A TOML value of a kind no setting takes: a table, a date...
struct OtherValue {
  std::string what;  // "a table"
};

// A value as a source gave it, before it is checked: TOML gives typed
// values, the command line gives text (and true for a bool flag).
using RawValue = std::variant<OtherValue, std::int64_t, double, bool, std::string,
                              std::vector<std::string>>;

// How values of a type read, for --help, the README and error messages.
struct SettingTypeText {
  std::string_view name;         // "size"
  std::string_view metavar;      // "SIZE"
  std::string_view expectation;  // "a size (bytes, or ...)"
};
// kChoice has none: its choices say it.
const SettingTypeText& TextOf(SettingType type);

// What a value of `setting` must be: its type's expectation, or its choices.
std::string Expectation(const Setting& setting);

// The value `raw` gives `setting`, checked against its type and range; an
// error is kConfig with a fragment as above.
proto::Result<SettingValue> ParseSetting(const Setting& setting, const RawValue& raw);

// OK if `value`, of `setting`'s type, is in its range; else like ParseSetting.
proto::Status CheckRange(const Setting& setting, const SettingValue& value);

// "48MiB", "1000", "0": with the largest binary unit that divides it.
std::string FormatBytes(std::uint64_t bytes);
// "10s", "100ms", "10m", "0": with the largest unit that divides it.
std::string FormatDuration(std::chrono::milliseconds duration);
// A value of `setting`, the way a user would write it.
std::string FormatValue(const Setting& setting, const SettingValue& value);

// The values accepted: "1 to 1024", "at least 1", "0 (none) or at least
// 32MiB", "on or off"; "" when the type alone says it.
std::string RangeText(const Setting& setting);
// The default: "100000", "0 (never)", "10s", "the CPU count".
std::string DefaultText(const Setting& setting);

}  // namespace tq::daemon
