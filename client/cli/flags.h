// The checks behind tq's flags and operands, as pure functions: each
// returns "" for a good value, else a sentence saying what a valid one is
// ("'abc' is not a number of seconds >= 0"), which CLI11 prefixes with the
// flag's name. No I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tq::cli {

// Longest duration a flag takes, in seconds (a year): milliseconds of it
// fit any integer type on the way to tqd.
inline constexpr double kMaxSeconds = 365.0 * 24 * 3600;

// A finite number of seconds, >= 0 (> 0 when `positive`), at most
// kMaxSeconds.
std::string CheckSeconds(std::string_view text, bool positive);
// A whole number from min to max.
std::string CheckInteger(std::string_view text, long long min, long long max);

// A task id: a whole number from 1 to 2^64-1, written in decimal.
std::optional<std::uint64_t> ParseTaskId(std::string_view text, std::string* error);

// The environment an exec task gets from `--env NAME` (the caller's value),
// `--env NAME=VALUE` and `--env-all` (all of the caller's `environ`, which
// the named ones then override). nullopt and *error for a malformed NAME or
// a NAME the caller does not have.
std::optional<std::vector<std::pair<std::string, std::string>>> ExecEnvironment(
    const std::vector<std::string>& flags, bool all, char** environ_, std::string* error);

// DIR made absolute against `cwd` (the caller's working directory), so a
// worker elsewhere finds the same directory.
std::string AbsoluteDir(const std::string& dir, const std::string& cwd);

}  // namespace tq::cli
